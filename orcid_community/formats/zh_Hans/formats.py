# The portal's date styles in Simplified Chinese (orcid_community/formats/__init__.py).
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i T"
TIME_FORMAT = "H:i"
