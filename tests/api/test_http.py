"""What every API answer shares: the page cache's generations, an ETag with 304, CORS for any origin, the rate limit per client address, and no cookie or session."""

import pytest
from django.test import override_settings

from tests.factories.accounts import UserFactory
from tests.factories.consortia import ConsortiumFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/consortia/"


@pytest.fixture
def consortium():
    return ConsortiumFactory(name="ORCID Nordic", slug="nordic")


def test_a_second_request_is_served_from_the_cache_until_the_area_changes(client, consortium):
    assert count_queries(client, URL) > 0
    assert count_queries(client, URL) == 0

    consortium.name = "ORCID Norden"
    consortium.save()

    assert client.get(URL).json()["results"][0]["name"] == "ORCID Norden"


def test_answers_are_json_with_an_etag(client, consortium):
    response = client.get(URL)

    assert response["Content-Type"] == "application/json"
    assert response["ETag"].startswith('"')
    # The body's digest is the validator: no date needing a store of its own.
    assert "Last-Modified" not in response
    # The same body, the same validator, from the cache or not.
    again = client.get(URL)
    assert again["ETag"] == response["ETag"]


def test_a_client_with_the_current_etag_gets_304_and_a_changed_body_200(client, consortium):
    etag = client.get(URL)["ETag"]

    unchanged = client.get(URL, headers={"If-None-Match": etag})
    consortium.name = "ORCID Norden"
    consortium.save()
    changed = client.get(URL, headers={"If-None-Match": etag})

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_an_etag_among_several_or_a_star_gets_304(client, consortium):
    etag = client.get(URL)["ETag"]

    several = client.get(URL, headers={"If-None-Match": f'"other", {etag}'})
    star = client.get(URL, headers={"If-None-Match": "*"})
    other = client.get(URL, headers={"If-None-Match": '"other"'})

    assert (several.status_code, star.status_code, other.status_code) == (304, 304, 200)


def test_any_origin_may_read_and_preflight_without_credentials(client, consortium):
    response = client.get(URL, headers={"Origin": "https://dashboard.example"})
    preflight = client.options(
        URL,
        headers={"Origin": "https://dashboard.example", "Access-Control-Request-Method": "GET"},
    )

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert client.get("/api/v1/consortia/unknown/")["Access-Control-Allow-Origin"] == "*"


@override_settings(RATE_LIMITS={"api": "3/m"})
def test_a_client_address_beyond_the_limit_gets_429_with_retry_after(client, consortium):
    statuses = [client.get(URL).status_code for _ in range(3)]
    refused = client.get(URL)
    other_address = client.get(URL, REMOTE_ADDR="192.0.2.7")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["retry_after"] == int(refused["Retry-After"])
    assert refused["Access-Control-Allow-Origin"] == "*"
    assert other_address.status_code == 200


@override_settings(RATE_LIMITS={"api": "3/m"})
def test_feeds_count_against_the_same_limit(client, consortium):
    for _ in range(3):
        assert client.get("/events/calendar.ics").status_code == 200

    assert client.get("/consortia/nordic/reports.atom").status_code == 429


def test_a_signed_in_visitor_gets_the_anonymous_answer_and_no_cookie(client, consortium):
    anonymous = client.get(URL).content
    client.force_login(UserFactory())

    signed_in = client.get(URL)

    assert signed_in.content == anonymous
    assert not signed_in.cookies


def test_head_answers_the_headers_of_get(client, consortium):
    response = client.head(URL)

    assert response.status_code == 200
    assert response.content == b""
    assert response["ETag"] == client.get(URL)["ETag"]
