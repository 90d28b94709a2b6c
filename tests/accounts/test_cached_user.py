"""accounts.backends: the signed-in person comes from the cache, kept under the people
generation (core.cache), and every change shows."""

import pytest
from django.conf import settings
from django.core.cache import cache

from accounts import backends
from accounts.models import User
from core import cache as generations
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def person():
    return UserFactory(name="Carla Cached")


@pytest.fixture
def signed_in(client, person):
    assert client.login(email=person.email, password=PASSWORD)
    client.get("/")  # the person is in the cache now
    return client


def cached(pk):
    """The copy of the person the next request would use, if any."""
    entry = cache.get(backends.cache_key(pk))
    if entry is not None and entry[0] == generations.generation("people"):
        return entry[1]
    return None


def _user_queries(captured) -> list[str]:
    table = User._meta.db_table
    return [q["sql"] for q in captured if f'FROM "{table}"' in q["sql"]]


def test_both_backends_are_the_caching_ones():
    assert settings.AUTHENTICATION_BACKENDS == [
        "accounts.backends.ModelBackend",
        "accounts.backends.AuthenticationBackend",
    ]


def test_a_signed_in_request_does_not_load_the_person_again(signed_in, person):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert cached(person.pk) == person
    with CaptureQueriesContext(connection) as captured:
        page = signed_in.get("/contributors/")
    assert "Carla Cached" in page.content.decode()
    assert _user_queries(captured) == []


def test_a_new_name_shows_on_the_next_request(signed_in, person):
    person.name = "Carla Renamed"
    person.save()
    assert cached(person.pk) is None
    assert "Carla Renamed" in signed_in.get("/contributors/").content.decode()


def test_a_deactivated_person_is_signed_out_on_the_next_request(signed_in, person):
    person.is_active = False
    person.save()
    assert signed_in.get("/accounts/profile/").status_code == 302
    assert "Carla Cached" not in signed_in.get("/").content.decode()


def test_a_new_password_signs_out_the_other_sessions_at_once(client, person):
    other = type(client)()
    assert other.login(email=person.email, password=PASSWORD)
    assert other.get("/accounts/profile/").status_code == 200
    person.set_password("another-long-passphrase-2026")
    person.save()
    assert other.get("/accounts/profile/").status_code == 302


def test_a_deleted_person_is_forgotten(signed_in, person):
    pk = person.pk
    person.delete()
    assert cached(pk) is None
    assert signed_in.get("/accounts/profile/").status_code == 302


def test_a_change_in_a_transaction_is_forgotten_again_after_the_commit(
    person, django_capture_on_commit_callbacks
):
    key = backends.cache_key(person.pk)
    with django_capture_on_commit_callbacks(execute=True):
        person.name = "Carla Committed"
        person.save()
        # Another process loaded the person before the commit and cached that copy.
        cache.set(key, (generations.generation("people"), User.objects.get(pk=person.pk)), 60)
    assert cached(person.pk) is None


def test_an_inactive_person_is_never_cached(person):
    person.is_active = False
    person.save()
    assert backends.ModelBackend().get_user(person.pk) is None
    assert cached(person.pk) is None


# --- Staff powers: cached with the person, dropped when they change ------------------------


def _permission_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if 'FROM "auth_permission"' in q["sql"]]


@pytest.fixture
def staff_signed_in(client):
    from tests.factories.accounts import staff_person

    staff = staff_person(name="Olga Ops")
    client.force_login(staff)
    client.get("/forums/")  # the person, with their permissions, is in the cache now
    return client, staff


def test_a_cached_staff_request_asks_no_permission_query(staff_signed_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, _staff = staff_signed_in
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/forums/").status_code == 200
    assert _permission_queries(captured) == []
    assert _user_queries(captured) == []


def test_leaving_a_staff_group_takes_the_power_at_once(staff_signed_in):
    from django.contrib.auth.models import Group

    from consortia.models import Consortium
    from tests.factories.consortia import ConsortiumFactory

    client, staff = staff_signed_in
    ConsortiumFactory(slug="irel")
    assert client.get("/consortia/irel/manage/").status_code == 200
    staff.groups.remove(Group.objects.get(name="Consortia staff"))
    assert client.get("/consortia/irel/manage/").status_code == 403
    assert Consortium.objects.exists()


def test_a_permission_taken_from_a_group_is_gone_at_once(staff_signed_in):
    from django.contrib.auth.models import Group, Permission

    from tests.factories.contributors import GroupFactory
    from tests.factories.forums import ForumFactory

    client, _staff = staff_signed_in
    ForumFactory(slug="private-one", kind="group", group=GroupFactory(), is_private=True)
    assert client.get("/forums/private-one/").status_code == 200
    group = Group.objects.get(name="Community staff")
    group.permissions.remove(Permission.objects.get(codename="read_private_forums"))
    assert client.get("/forums/private-one/").status_code == 404


def test_joining_a_staff_group_gives_the_power_at_once(client, person):
    from django.contrib.auth.models import Group

    from tests.factories.accounts import with_two_factor
    from tests.factories.consortia import ConsortiumFactory

    with_two_factor(person)
    client.force_login(person)
    ConsortiumFactory(slug="irel")
    assert client.get("/consortia/irel/manage/").status_code == 403
    Group.objects.get(name="Consortia staff").user_set.add(person)
    assert client.get("/consortia/irel/manage/").status_code == 200


def test_a_removed_authenticator_asks_for_two_factor_again(staff_signed_in):
    from allauth.mfa.models import Authenticator

    client, staff = staff_signed_in
    Authenticator.objects.filter(user=staff).delete()
    assert client.get("/forums/")["Location"] == "/accounts/2fa/totp/activate/"
