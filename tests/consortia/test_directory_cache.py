"""The directory's cached pieces: the world map (under a digest of its counts) and the
country list (per language and selection). A change shows at once; input that is no
country is never cached."""

import pytest
from django.core.cache import cache
from django.utils import translation

from consortia.filters import CountrySelect
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


def test_the_country_list_is_drawn_once_per_language_and_selection():
    widget = CountrySelect(choices=[("", "All countries"), ("SE", "Sweden"), ("NO", "Norway")])
    first = widget.render("country", "SE", {"id": "id_country"})
    assert '<option value="SE" selected>Sweden</option>' in first
    keys = set(cache._cache)  # locmem: the keys stored so far

    assert widget.render("country", "SE", {"id": "id_country"}) == first
    assert set(cache._cache) == keys  # drawn from the cache, nothing new stored

    widget.render("country", "NO", {"id": "id_country"})
    with translation.override("es"):
        widget.render("country", "SE", {"id": "id_country"})
    assert len(set(cache._cache) - keys) == 2  # another selection, another language


def test_a_value_that_is_no_country_is_drawn_but_never_cached():
    widget = CountrySelect(choices=[("", "All countries"), ("SE", "Sweden")])
    html = widget.render("country", "<script>", {"id": "id_country"})
    assert "<script>" not in html
    assert not cache._cache
