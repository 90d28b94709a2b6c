# The portal's date styles in English (orcid_community/formats/__init__.py).
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i T"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
