"""The consortia and organizations of the open data API: what the directory and the
consortium page show, nothing more, in a fixed number of queries."""

import pytest

from consortia.models import ConsortiumContact, Verification
from tests.factories.accounts import UserFactory
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgressReportFactory,
)
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def nordic():
    consortium = ConsortiumFactory(
        name="ORCID Nordic",
        slug="nordic",
        kind="regional",
        lead_organization__name="Sikt",
        lead_organization__country="NO",
        countries=["NO", "SE"],
    )
    MembershipFactory(
        consortium=consortium, organization=OrganizationFactory(name="Lund", country="SE")
    )
    return consortium


def test_list_answers_count_next_and_results_of_verified_consortia(client, nordic):
    ConsortiumFactory(name="Proposed", slug="proposed", verification=Verification.UNVERIFIED)
    ConsortiumFactory(name="Refused", slug="refused", verification=Verification.REJECTED)

    body = client.get("/api/v1/consortia/").json()

    assert body["count"] == 1
    assert body["next"] is None
    [item] = body["results"]
    assert item["slug"] == "nordic"
    assert item["countries"] == ["NO", "SE"]
    assert item["member_count"] == 2
    assert item["lead_organization"]["name"] == "Sikt"
    assert item["lead_organization"]["ror_id"]
    assert item["below_minimum"] is False
    assert item["url"] == "/consortia/nordic/"


def test_list_filters_as_the_directory_does(client, nordic):
    ConsortiumFactory(name="IReL", slug="irel", countries=["IE"])

    def slugs(query):
        return [c["slug"] for c in client.get(f"/api/v1/consortia/?{query}").json()["results"]]

    assert slugs("country=SE") == ["nordic"]
    assert slugs("q=lund") == ["nordic"]  # a member's name
    assert slugs("kind=national") == ["irel"]
    assert slugs("sort=-name") == ["nordic", "irel"]


def test_an_invalid_filter_is_a_400_with_the_field(client, nordic):
    response = client.get("/api/v1/consortia/?country=XX")

    assert response.status_code == 400
    assert "country" in response.json()["errors"]


def test_pages_have_a_next_address_and_a_fixed_maximum(client):
    for n in range(3):
        ConsortiumFactory(name=f"Consortium {n}", slug=f"c{n}")

    first = client.get("/api/v1/consortia/?page_size=2&kind=national").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 3
    assert first["next"] == "/api/v1/consortia/?kind=national&page=2&page_size=2"
    assert [c["slug"] for c in first["results"] + second["results"]] == ["c0", "c1", "c2"]
    assert second["next"] is None
    assert client.get("/api/v1/consortia/?page=9").json()["results"] == []
    assert client.get("/api/v1/consortia/?page_size=101").status_code == 422


def test_detail_shows_members_reports_and_only_public_contact_addresses(client, nordic):
    shown = UserFactory(name="Shown Contact", email="shown@example.org")
    hidden = UserFactory(name="Hidden Contact", email="hidden@example.org")
    staff = UserFactory(name="Staff Person", email="staff@example.org")
    ConsortiumContactFactory(
        consortium=nordic, user=shown, role=ConsortiumContact.Role.MAIN, show_email=True
    )
    ConsortiumContactFactory(consortium=nordic, user=hidden, role=ConsortiumContact.Role.SUPPORT)
    ConsortiumContactFactory(consortium=nordic, user=staff, role=ConsortiumContact.Role.STAFF)
    ProgressReportFactory(consortium=nordic, title="Year one")

    response = client.get("/api/v1/consortia/nordic/")

    body = response.json()
    assert [m["name"] for m in body["members"]] == ["Lund", "Sikt"]
    assert body["contacts"] == [
        {"name": "Shown Contact", "role": "main", "email": "shown@example.org"},
        {"name": "Hidden Contact", "role": "support", "email": None},
    ]
    assert [r["title"] for r in body["reports"]] == ["Year one"]
    assert b"hidden@example.org" not in response.content
    assert b"staff@example.org" not in response.content


def test_an_unverified_consortium_is_404_even_to_its_proposer(client, nordic):
    proposer = UserFactory()
    ConsortiumFactory(slug="proposed", verification=Verification.UNVERIFIED, proposed_by=proposer)
    client.force_login(proposer)

    assert client.get("/api/v1/consortia/proposed/").status_code == 404
    assert client.get("/api/v1/consortia/unknown/").status_code == 404
    assert client.get("/api/v1/consortia/nordic/").status_code == 200


def test_organizations_are_those_of_verified_consortia(client, nordic):
    OrganizationFactory(name="Alone")  # in no consortium
    proposed = ConsortiumFactory(
        slug="proposed",
        verification=Verification.UNVERIFIED,
        lead_organization__name="Hidden Lead",
    )
    OrganizationFactory(name="Unverified", verification=Verification.UNVERIFIED)

    body = client.get("/api/v1/organizations/").json()

    assert [o["name"] for o in body["results"]] == ["Lund", "Sikt"]
    lund = body["results"][0]
    detail = client.get(f"/api/v1/organizations/{lund['id']}/").json()
    assert detail["consortia"] == [
        {"slug": "nordic", "name": "ORCID Nordic", "url": "/consortia/nordic/"}
    ]
    hidden_lead = proposed.lead_organization.pk
    assert client.get(f"/api/v1/organizations/{hidden_lead}/").status_code == 404


def _consortia(n: int) -> None:
    for _i in range(n):
        consortium = ConsortiumFactory(countries=["NO", "SE"])
        MembershipFactory(consortium=consortium)
        ProgressReportFactory(consortium=consortium)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/consortia/", "/api/v1/consortia/?q=consortium", "/api/v1/organizations/"],
)
def test_lists_run_the_same_queries_at_two_sizes(client, url):
    _consortia(2)
    small = count_queries(client, url, clear_cache=True)
    _consortia(30)
    large = count_queries(client, url, clear_cache=True)

    assert small == large


def test_detail_runs_the_same_queries_at_two_sizes(client, nordic):
    small = count_queries(client, "/api/v1/consortia/nordic/", clear_cache=True)
    for _ in range(10):
        MembershipFactory(consortium=nordic)
        ProgressReportFactory(consortium=nordic)
        ConsortiumContactFactory(consortium=nordic)
    large = count_queries(client, "/api/v1/consortia/nordic/", clear_cache=True)

    assert small == large
