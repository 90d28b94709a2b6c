"""The portal's two date styles, per language (``FORMAT_MODULE_PATH``).

Every page shows a day as ``DATE_FORMAT`` ("7 December 2026", "7 декабря 2026 г.") and a
moment as ``DATETIME_FORMAT``: the day, a 24-hour time and the time zone it is in (the
person's own, else UTC: "7 December 2026, 14:18 UTC"). ``TIME_FORMAT`` is the same 24-hour
time. Templates write ``|date:"DATE_FORMAT"`` or ``|date:"DATETIME_FORMAT"``, never a
pattern of their own; what a language does not set here is Django's own for it.
"""
