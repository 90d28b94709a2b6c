"""Dates follow the active language; times are shown in the signed-in person's time zone,
with the zone named: one style for a moment on every page (orcid_community/formats)."""

from datetime import UTC, datetime

import pytest

from forums.models import PostRevision
from tests.factories import UserFactory
from tests.factories.forums import PostFactory

pytestmark = pytest.mark.django_db

# 23:30 UTC on 10 March: already 11 March in Tokyo, still 10 March in São Paulo.
EDITED = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


def _revisions_page(client, *, language: str, time_zone: str) -> str:
    author = UserFactory(language=language, time_zone=time_zone)
    post = PostFactory(author=author)
    revision = PostRevision.objects.create(post=post, body="Earlier text.", edited_by=author)
    PostRevision.objects.filter(pk=revision.pk).update(created_at=EDITED)
    client.force_login(author)
    response = client.get(f"/forums/p/{post.pk}/revisions/")
    assert response.status_code == 200
    return response.content.decode()


def test_english_in_utc(client):
    html = _revisions_page(client, language="en", time_zone="UTC")
    assert "10 March 2026, 23:30 UTC" in html
    assert "p.m." not in html


def test_russian_month_names_and_24_hour_clock(client):
    html = _revisions_page(client, language="ru", time_zone="UTC")
    assert "10 марта 2026" in html
    assert "10 марта 2026 г., 23:30 UTC" in html


def test_the_persons_time_zone_moves_the_date(client):
    tokyo = _revisions_page(client, language="en", time_zone="Asia/Tokyo")
    assert "11 March 2026, 08:30 JST" in tokyo
    assert "10 March 2026" not in tokyo


def test_portuguese_date_in_sao_paulo(client):
    html = _revisions_page(client, language="pt-br", time_zone="America/Sao_Paulo")
    assert "10 de Março de 2026" in html or "10 de março de 2026" in html
    assert "20:30" in html


def test_chinese_dates_use_chinese_format(client):
    html = _revisions_page(client, language="zh-hans", time_zone="Asia/Shanghai")
    assert "2026年3月11日" in html
