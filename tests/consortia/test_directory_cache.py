"""The directory's world map on the cached page (core.pagecache): a change shows at once."""

import pytest
from django.core.cache import cache

from consortia.models import Consortium
from tests.factories.consortia import ConsortiumFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_a_consortium_in_a_new_country_shows_on_the_cached_map_at_once(client):
    ConsortiumFactory(slug="irel", countries=["IE"])
    html = client.get("/consortia/").content.decode()
    assert html.count("has-consortium") == 1
    assert "/consortia/?country=FR" not in html

    ConsortiumFactory(slug="couperin", countries=["FR"])

    html = client.get("/consortia/").content.decode()
    assert html.count("has-consortium") == 2
    assert "<title>France: 1 consortium</title>" in html


def test_an_inactive_consortium_leaves_the_cached_map_at_once(client):
    ConsortiumFactory(slug="irel", countries=["IE"])
    nordic = ConsortiumFactory(slug="nordic", countries=["NO", "SE"])
    assert client.get("/consortia/").content.decode().count("has-consortium") == 3

    # Saved as the services and the admin save it: the save bumps the consortia
    # generation (core.cache), under which the whole directory is cached.
    nordic.status = Consortium.Status.INACTIVE
    nordic.save(update_fields=["status"])

    html = client.get("/consortia/").content.decode()
    assert html.count("has-consortium") == 1
    assert "/consortia/?country=SE" not in html


def test_the_selected_country_is_drawn_selected_and_unknown_input_selects_nothing(client):
    ConsortiumFactory(slug="nordic", countries=["NO", "SE"])
    assert "has-consortium is-selected" in client.get("/consortia/?country=SE").content.decode()
    # A country without a consortium is a valid filter, but nothing on the map is selected.
    assert "is-selected" not in client.get("/consortia/?country=FR").content.decode()
