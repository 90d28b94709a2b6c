# The portal's date styles in Spanish (orcid_community/formats/__init__.py).
DATE_FORMAT = r"j \d\e F \d\e Y"
DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i T"
TIME_FORMAT = "H:i"
