"""core.ratelimit: the actions anyone can repeat answer a branded 429 beyond their limit."""

import os
import re

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings

from consortia.models import Membership
from contributors.models import Contribution
from core import ratelimit
from core.checks import check_rate_limits
from tests.factories.accounts import UserFactory
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    OrganizationContactFactory,
    OrganizationFactory,
)
from tests.factories.events import MeetingFactory
from tests.factories.forums import PostFactory
from tests.helpers import free_port

pytestmark = pytest.mark.django_db

# Every attempt counts, whatever the form then says: no need for a complete one.
NEW_ORG = {"organization": "", "new_name": "University of Galway", "new_country": "IE"}


@pytest.fixture(autouse=True)
def _two_of_everything(settings):
    settings.RATE_LIMITS = {action: "2/h" for action in ratelimit.ACTIONS}
    ratelimit.local_counters.clear()
    yield
    ratelimit.local_counters.clear()


def _join(person):
    ConsortiumFactory(slug="irel")
    return "/consortia/irel/join/", {**NEW_ORG, "message": "Please let us in."}


def _propose(person):
    return "/consortia/propose/", {**NEW_ORG, "name": "ORCID Ireland", "kind": "national"}


def _invitation(person):
    consortium = ConsortiumFactory(slug="irel")
    ConsortiumContactFactory(consortium=consortium, user=person, role="main")
    return "/consortia/irel/manage/invitations/", {"email": "new@example.org", "role": "technical"}


def _session(person):
    MeetingFactory(slug="emea-2026")
    return "/events/emea-2026/propose/", {"title": "ORCID in repositories", "abstract": "How."}


def _contribution(person):
    data = {"kind": "documentation", "title": "Member API guide", "date": "2026-01-10"}
    return f"{person.get_absolute_url()}contributions/", data


def _contact_request(person):
    organization = OrganizationFactory()
    return f"/consortia/organizations/{organization.pk}/ask/", {"role": "technical"}


def _flag(person):
    return f"/forums/p/{PostFactory().pk}/flag/", {"reason": "spam", "note": "Selling shoes."}


def _data_export(person):
    return "/accounts/data/", {}


ACTIONS = {
    "data_export": _data_export,
    "join": _join,
    "propose": _propose,
    "organization": _join,
    "invitation": _invitation,
    "contact_request": _contact_request,
    "session": _session,
    "contribution": _contribution,
    "flag": _flag,
}


def test_every_limited_action_is_tested():
    # "api" counts every request, GET too, and answers JSON: tests/api/test_http.py.
    assert set(ACTIONS) | {"api"} == set(ratelimit.ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
def test_the_attempt_past_the_limit_gets_a_429_with_retry_after(client, settings, action):
    settings.RATE_LIMITS = {name: "100/h" for name in ratelimit.ACTIONS} | {action: "2/h"}
    person = UserFactory(name="Rita Repeat")
    client.force_login(person)
    url, data = ACTIONS[action](person)
    for _ in range(2):
        assert client.post(url, data).status_code != 429
    refused = client.post(url, data)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    page = refused.content.decode()
    assert "Please wait before trying again" in page
    assert str(ratelimit.ACTIONS[action]) in page
    assert "at most 2 per hour" in page
    assert 'class="site-header"' in page  # the portal's own page, not a bare error


def test_viewing_a_form_costs_nothing(client):
    person = UserFactory()
    client.force_login(person)
    url, data = _join(person)
    for _ in range(5):
        assert client.get(url).status_code == 200
    assert client.post(url, data).status_code != 429


def test_an_organization_chosen_from_ones_own_is_not_a_registration(client, settings):
    settings.RATE_LIMITS = {name: "100/h" for name in ratelimit.ACTIONS} | {"organization": "1/h"}
    person = UserFactory()
    client.force_login(person)
    url, data = _join(person)
    client.post(url, data)
    assert client.post(url, data).status_code == 429
    own = OrganizationContactFactory(user=person).organization
    chosen = client.post(url, {"organization": own.pk, "message": "Again, with ours."})
    assert chosen.status_code == 302
    assert Membership.objects.filter(organization=own).exists()


def test_one_persons_limit_is_not_anothers(client):
    first, second = UserFactory(), UserFactory()
    for person in (first, second):
        client.force_login(person)
        url, data = _contribution(person)
        statuses = [client.post(url, data).status_code for _ in range(3)]
        assert statuses == [302, 302, 429]


def test_a_refused_attempt_saves_nothing_and_shows_what_was_typed(client):
    person = UserFactory()
    client.force_login(person)
    url, data = _contribution(person)
    client.post(url, data)
    client.post(url, data)
    typed = {
        **data,
        "title": "A guide <to> the Member API",
        "link": "https://example.org/g",
        "csrfmiddlewaretoken": "token-never-shown",
        "password": "secret-never-shown",
    }
    refused = client.post(url, typed)
    assert refused.status_code == 429
    assert Contribution.objects.filter(user=person).count() == 2
    page = refused.content.decode()
    assert "Nothing was saved or sent" in page
    assert "title: A guide &lt;to&gt; the Member API" in page
    assert "link: https://example.org/g" in page
    assert "never-shown" not in page


def test_the_429_page_is_translated(client):
    person = UserFactory(language="es")
    client.force_login(person)
    url, data = _flag(person)
    for _ in range(2):
        client.post(url, data)
    refused = client.post(url, data, HTTP_ACCEPT_LANGUAGE="es")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert '<html lang="es">' in page
    assert "Please wait" not in page


def _redis_caches(location: str) -> dict:
    backend = {
        "BACKEND": "core.redis_cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": f"test-ratelimit-{os.getpid()}",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
    }
    return {"default": backend, "pages": backend}


def test_limits_keep_holding_while_redis_is_unreachable_and_refuse_no_one_else(client):
    with override_settings(CACHES=_redis_caches(f"redis://127.0.0.1:{free_port()}/0")):
        rita, sam = UserFactory(), UserFactory()
        client.force_login(rita)
        url, data = _contribution(rita)
        assert [client.post(url, data).status_code for _ in range(3)] == [302, 302, 429]
        client.force_login(sam)
        url, data = _contribution(sam)
        assert client.post(url, data).status_code == 302


LIVE = os.environ.get("REDIS_URL", "")


@pytest.mark.skipif(not LIVE, reason="needs REDIS_URL (a real Redis)")
def test_on_redis_a_counter_always_expires_with_its_window(client):
    caches_setting = _redis_caches(LIVE)
    prefix = caches_setting["default"]["KEY_PREFIX"]
    store = redis.Redis.from_url(LIVE)
    try:
        with override_settings(CACHES=caches_setting):
            person = UserFactory()
            client.force_login(person)
            url, data = _contribution(person)
            assert [client.post(url, data).status_code for _ in range(3)] == [302, 302, 429]
        keys = list(store.scan_iter(f"{prefix}:*ratelimit:contribution:user-{person.pk}:*"))
        assert len(keys) == 1
        assert int(store.get(keys[0])) == 3
        assert 0 < store.ttl(keys[0]) <= 3600
    finally:
        for key in store.scan_iter(f"{prefix}:*"):
            store.delete(key)


def _anonymous(peer: str, forwarded: str = ""):
    request = RequestFactory().post(
        "/", {"body": "hello"}, REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded
    )
    request.user = AnonymousUser()
    request.session = {}
    return request


def test_visitors_are_counted_per_client_address_as_a_trusted_proxy_forwards_it(settings):
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.5"]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "flag": "1/h"}
    assert ratelimit.refusal(_anonymous("10.0.0.5", "203.0.113.1"), "flag") is None
    assert ratelimit.refusal(_anonymous("10.0.0.5", "203.0.113.2"), "flag") is None
    assert ratelimit.refusal(_anonymous("10.0.0.5", "203.0.113.1"), "flag").status_code == 429
    # A spoofed header from an untrusted peer: counted under the peer, whatever it claims.
    assert ratelimit.refusal(_anonymous("198.51.100.4", "203.0.113.3"), "flag") is None
    refused = ratelimit.refusal(_anonymous("198.51.100.4", "203.0.113.4"), "flag")
    assert refused.status_code == 429


def test_a_rate_is_a_count_and_a_period():
    assert ratelimit.parse_rate("10/h") == ratelimit.Rate(limit=10, seconds=3600, period="h")
    assert ratelimit.parse_rate(" 5/d ").seconds == 86400
    for bad in ("10", "ten/h", "0/h", "10/w", "-1/m"):
        with pytest.raises(ValueError, match="a rate is a count and a period"):
            ratelimit.parse_rate(bad)


def test_a_bad_or_missing_limit_is_a_configuration_error(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "flag": "often"}
    del settings.RATE_LIMITS["join"]
    errors = check_rate_limits()
    assert [error.id for error in errors] == ["core.E004", "core.E004"]
    assert re.search("join", errors[0].msg + errors[1].msg)
