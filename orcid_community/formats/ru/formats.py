# The portal's date styles in Russian (orcid_community/formats/__init__.py): the month in
# the genitive ("7 декабря 2026 г.").
DATE_FORMAT = "j E Y г."
DATETIME_FORMAT = "j E Y г., H:i T"
TIME_FORMAT = "H:i"
