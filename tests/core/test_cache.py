"""core.cache: generations per area, bumped by signals, services and after the commit."""

from datetime import timedelta

import pytest
from django.core.cache import cache as django_cache
from django.test import RequestFactory
from django.utils import timezone

from core import cache
from tests.factories.accounts import UserFactory
from tests.factories.consortia import ConsortiumFactory

pytestmark = pytest.mark.django_db


def test_a_generation_is_stable_until_bumped():
    first = cache.generation("consortia")
    assert cache.generation("consortia") == first
    cache.bump("consortia")
    assert cache.generation("consortia") != first


def test_a_bump_leaves_the_other_areas_alone():
    forums = cache.generation("forums")
    cache.bump("consortia")
    assert cache.generation("forums") == forums


def test_an_evicted_generation_never_repeats_an_earlier_value():
    first = cache.generation("forums")
    django_cache.delete(cache.PREFIX + "forums")
    assert cache.generation("forums") != first


def test_several_areas_make_one_key_part_that_changes_with_either():
    both = cache.generation("contributors", "forums")
    cache.bump("forums")
    assert cache.generation("contributors", "forums") != both


def test_an_unknown_area_is_refused():
    with pytest.raises(ValueError, match="unknown cache area"):
        cache.generation("nowhere")


def test_a_bump_in_a_transaction_bumps_again_after_the_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cache.bump("events")
        during = cache.generation("events")
    assert len(callbacks) == 1
    assert cache.generation("events") != during


def test_saving_a_row_of_an_area_bumps_its_generation():
    before = cache.generation("consortia")
    consortium = ConsortiumFactory()
    assert cache.generation("consortia") != before
    before = cache.generation("consortia")
    consortium.delete()
    assert cache.generation("consortia") != before


def test_a_sign_in_does_not_bump_but_a_new_name_bumps_every_area():
    user = UserFactory()
    before = cache.generation(*cache.AREAS)
    user.save(update_fields=["last_login"])
    assert cache.generation(*cache.AREAS) == before
    user.name = "Someone Else"
    user.save()
    after = [cache.generation(area) for area in cache.AREAS]
    assert all(a != b for a, b in zip(after, before.split("."), strict=True))


def test_changes_bumps_only_when_the_service_succeeds():
    @cache.changes("forums")
    def works():
        return 42

    @cache.changes("forums")
    def fails():
        raise RuntimeError

    before = cache.generation("forums")
    with pytest.raises(RuntimeError):
        fails()
    assert cache.generation("forums") == before
    assert works() == 42
    assert cache.generation("forums") != before


def test_the_viewer_key_is_shared_by_anonymous_visitors_and_personal_otherwise():
    from django.contrib.auth.models import AnonymousUser

    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    assert cache.viewer_key(anonymous) == "anonymous"
    user = UserFactory()
    request = RequestFactory().get("/")
    request.user = user
    assert cache.viewer_key(request) == f"user-{user.pk}"


def test_a_form_in_a_cached_fragment_gets_each_response_its_own_valid_token(client):
    """The topic page is cached per viewer; its forms' tokens are filled in per response."""
    from forums import services
    from tests.factories.forums import ForumFactory

    forum = ForumFactory(slug="general", kind="general")
    author = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    topic = services.topic_create(forum=forum, by=author, title="Hello", body="World")
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(author)
    url = topic.get_absolute_url()
    first = csrf_client.get(url).content.decode()
    assert "occ:csrf-token" not in first
    csrf_client.cookies.pop("csrftoken", None)  # a new CSRF secret: a new cookie
    page = csrf_client.get(url)
    html = page.content.decode()
    assert "occ:csrf-token" not in html
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    watch = csrf_client.post(
        f"/forums/t/{topic.pk}/watch/", {"csrfmiddlewaretoken": token, "mode": "mute"}
    )
    assert watch.status_code != 403
