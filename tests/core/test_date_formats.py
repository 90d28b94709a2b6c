"""One style for a day and one for a moment (with its zone) on every page, in each
language (orcid_community/formats); templates never bring a pattern of their own."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation

MOMENT = datetime(2026, 12, 18, 2, 18, tzinfo=UTC)

EXPECTED = {
    "en": ("18 December 2026", "18 December 2026, 02:18 UTC"),
    "es": ("18 de diciembre de 2026", "18 de diciembre de 2026, 02:18 UTC"),
    "ru": ("18 декабря 2026 г.", "18 декабря 2026 г., 02:18 UTC"),
    "zh-hans": ("2026年12月18日", "2026年12月18日 02:18 UTC"),
    "zh-hant": ("2026年12月18日", "2026年12月18日 02:18 UTC"),
}


@pytest.mark.parametrize(("language", "expected"), EXPECTED.items())
def test_a_day_and_a_moment_read_the_same_way_everywhere_in_each_language(language, expected):
    with translation.override(language), timezone.override(UTC):
        day = formats.date_format(date(2026, 12, 18), "DATE_FORMAT")
        moment = formats.date_format(timezone.localtime(MOMENT), "DATETIME_FORMAT")
        time = formats.time_format(MOMENT, "TIME_FORMAT")
    assert (day, moment) == expected
    assert time == "02:18"  # a 24-hour clock, never "2:18 a.m."


def test_portuguese_has_its_own_day_style():
    with translation.override("pt-br"):
        day = formats.date_format(date(2026, 12, 18), "DATE_FORMAT")
    assert day.lower() == "18 de dezembro de 2026"


def test_a_moment_names_the_readers_time_zone():
    with translation.override("en"), timezone.override("Asia/Tokyo"):
        moment = formats.date_format(timezone.localtime(MOMENT), "DATETIME_FORMAT")
    assert moment == "18 December 2026, 11:18 JST"


# The patterns a page may use: the two styles, a time, machine-readable ``c`` and a
# same-day comparison (``Ymd``). Mails keep their own (their UTC is said in the text).
ALLOWED = {"DATE_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "SHORT_DATE_FORMAT", "c", "Ymd"}


def test_pages_use_only_the_portal_s_date_styles():
    templates = Path(settings.BASE_DIR) / "templates"
    found = {}
    for path in templates.rglob("*.html"):
        if "email" in path.parts:
            continue
        text = path.read_text()
        for pattern in re.findall(r"\|(?:date|time):['\"]([^'\"]*)['\"]", text):
            if pattern not in ALLOWED:
                found.setdefault(str(path.relative_to(templates)), []).append(pattern)
        if "naturaltime" in text or re.search(r"\|date\s*}}", text):
            found.setdefault(str(path.relative_to(templates)), []).append("no style")
    assert found == {}
