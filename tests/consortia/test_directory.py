"""The directory (filters, search, sorting, pagination, map) and the consortium page,
each with a fixed number of queries whatever the data size."""

import pytest
from django.utils import timezone

from consortia.models import (
    Consortium,
    ConsortiumContact,
    ConsortiumCountry,
    Document,
    Membership,
    Organization,
    OrganizationContact,
    ProgressReport,
)
from tests.factories.accounts import UserFactory
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    ProgressReportFactory,
    ror_for,
)
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def three():
    ireland = ConsortiumFactory(
        name="IReL ORCID",
        slug="irel",
        lead_organization__name="Trinity College Dublin",
        lead_organization__country="IE",
        countries=["IE"],
    )
    nordic = ConsortiumFactory(
        name="ORCID Nordic",
        slug="nordic",
        kind="regional",
        lead_organization__name="Sikt",
        lead_organization__country="NO",
        countries=["NO", "SE", "DK"],
    )
    brazil = ConsortiumFactory(
        name="ORCID Brasil",
        slug="brasil",
        region="americas",
        status="forming",
        lead_organization__name="CAPES",
        lead_organization__country="BR",
        countries=["BR"],
    )
    MembershipFactory(consortium=nordic, organization__name="Aarhus University")
    MembershipFactory(consortium=nordic, organization__name="Lund University")
    MembershipFactory(
        consortium=nordic, organization__name="Former Member University", state="left"
    )
    return ireland, nordic, brazil


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["IReL ORCID", "ORCID Brasil", "ORCID Nordic"]),
        ("region=emea", ["IReL ORCID", "ORCID Nordic"]),
        ("region=americas", ["ORCID Brasil"]),
        ("country=SE", ["ORCID Nordic"]),
        ("kind=regional", ["ORCID Nordic"]),
        ("status=forming", ["ORCID Brasil"]),
        ("q=brasil", ["ORCID Brasil"]),
        ("q=trinity", ["IReL ORCID"]),
        ("q=aarhus", ["ORCID Nordic"]),
        ("q=former+member", []),
        ("region=emea&kind=national", ["IReL ORCID"]),
        ("sort=-name", ["ORCID Nordic", "ORCID Brasil", "IReL ORCID"]),
        ("sort=-members", ["ORCID Nordic", "IReL ORCID", "ORCID Brasil"]),
    ],
)
def test_directory_filters_search_and_sorting(client, three, query, expected):
    response = client.get(f"/consortia/?{query}")
    assert response.status_code == 200
    if query.startswith("sort"):
        assert names(response) == expected
    else:
        assert sorted(names(response)) == sorted(expected)


@pytest.mark.parametrize("query", ["region=mars", "country=XX", "kind=galactic", "sort=password"])
def test_unknown_filter_values_are_a_400_with_a_message(client, three, query):
    response = client.get(f"/consortia/?{query}")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_each_row_shows_lead_countries_member_count_and_status(client, three):
    html = client.get("/consortia/?kind=regional").content.decode()
    assert "Sikt" in html
    assert "Denmark, Norway, Sweden" in html
    assert "<td>3</td>" in html  # lead + two active members; the one that left is not counted
    assert "Active" in html


def test_the_directory_shows_a_below_minimum_consortium(client, three):
    Consortium.objects.filter(slug="irel").update(below_minimum=True)
    html = client.get("/consortia/?q=irel").content.decode()
    assert "Below minimum" in html


def test_the_map_shades_countries_with_a_consortium_and_links_to_the_filtered_list(client, three):
    html = client.get("/consortia/").content.decode()
    assert '<a href="/consortia/?country=SE" class="map-link">' in html
    assert '<a href="/consortia/?country=BR" class="map-link">' in html
    assert "/consortia/?country=FR" not in html
    assert html.count("has-consortium") == 5  # IE, NO, SE, DK, BR
    assert "<title>Sweden: 1 consortium</title>" in html
    assert "<script" not in html.split("</main>")[0].split('<main id="main"')[1]
    assert " style=" not in html


def test_pagination_marks_the_current_page(client):
    organizations = Organization.objects.bulk_create(
        [
            Organization(
                name=f"Lead {n}",
                ror_id=ror_for(9000 + n),
                country="DE",
                org_type="non_profit",
                verification="verified",
            )
            for n in range(30)
        ]
    )
    Consortium.objects.bulk_create(
        [
            Consortium(
                name=f"Consortium {n:02d}",
                slug=f"c-{n}",
                kind="national",
                region="emea",
                lead_organization=o,
                verification="verified",
            )
            for n, o in enumerate(organizations)
        ]
    )
    response = client.get("/consortia/?region=emea&page=2")
    html = response.content.decode()
    assert names(response)[0] == "Consortium 25"
    assert '<a href="?region=emea&amp;page=2" aria-current="page">2</a>' in html
    assert 'href="?region=emea&amp;page=1"' in html


def bulk_consortia(count: int) -> None:
    """``count`` consortia with countries, members, contacts, documents and reports."""
    user = UserFactory()
    leads = Organization.objects.bulk_create(
        [
            Organization(
                name=f"Lead {n}",
                ror_id=ror_for(20_000 + n),
                country="FR",
                org_type="non_profit",
                verification="verified",
            )
            for n in range(count)
        ]
    )
    consortia = Consortium.objects.bulk_create(
        [
            Consortium(
                name=f"Consortium {n:04d}",
                slug=f"bulk-{n}",
                kind="regional",
                region="emea",
                status="active",
                agreement_finalized_at=timezone.now(),
                lead_organization=lead,
                verification="verified",
            )
            for n, lead in enumerate(leads)
        ]
    )
    ConsortiumCountry.objects.bulk_create(
        [ConsortiumCountry(consortium=c, country=code) for c in consortia for code in ("FR", "BE")]
    )
    members = Organization.objects.bulk_create(
        [
            Organization(
                name=f"Member {n}",
                ror_id=ror_for(40_000 + n),
                country="BE",
                org_type="higher_education",
                verification="verified",
            )
            for n in range(count)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(consortium=c, organization=c.lead_organization, state="active")
            for c in consortia
        ]
        + [
            Membership(consortium=c, organization=m, state="active")
            for c, m in zip(consortia, members, strict=True)
        ]
    )
    ConsortiumContact.objects.bulk_create(
        [ConsortiumContact(consortium=c, user=user, role="main") for c in consortia]
    )
    OrganizationContact.objects.bulk_create(
        [OrganizationContact(organization=m, user=user, role="main") for m in members]
    )
    ProgressReport.objects.bulk_create(
        [
            ProgressReport(consortium=c, title=f"Report {i}", body="Text")
            for c in consortia[:1]
            for i in range(count)
        ]
    )
    Document.objects.bulk_create(
        [
            Document(
                consortium=consortia[0],
                title=f"Doc {i}",
                file=f"x/{i}.pdf",
                original_name=f"{i}.pdf",
                content_type="application/pdf",
                size=1,
                visibility="public",
            )
            for i in range(count)
        ]
    )


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_directory_runs_the_same_few_queries_for_10_and_300_consortia(
    client, django_assert_max_num_queries, signed_in
):
    if signed_in:
        client.force_login(UserFactory())
    bulk_consortia(10)
    # Drawn afresh each time: the queries of a draw, not of a cached copy.
    small = count_queries(
        client, "/consortia/?region=emea&q=consortium&sort=-members", clear_cache=True
    )
    bulk_consortia_more = 290
    bulk_more(bulk_consortia_more)
    assert Consortium.objects.count() == 300
    large = count_queries(
        client, "/consortia/?region=emea&q=consortium&sort=-members", clear_cache=True
    )
    assert small == large
    with django_assert_max_num_queries(10):
        client.get("/consortia/?country=BE&page=3")


def bulk_more(count: int) -> None:
    # Different ROR IDs and slugs from the first batch.
    user = UserFactory()
    leads = Organization.objects.bulk_create(
        [
            Organization(
                name=f"More lead {n}",
                ror_id=ror_for(60_000 + n),
                country="BE",
                org_type="non_profit",
                verification="verified",
            )
            for n in range(count)
        ]
    )
    consortia = Consortium.objects.bulk_create(
        [
            Consortium(
                name=f"Consortium more {n:04d}",
                slug=f"more-{n}",
                kind="national",
                region="emea",
                lead_organization=lead,
                verification="verified",
            )
            for n, lead in enumerate(leads)
        ]
    )
    ConsortiumCountry.objects.bulk_create(
        [ConsortiumCountry(consortium=c, country="BE") for c in consortia]
    )
    Membership.objects.bulk_create(
        [
            Membership(consortium=c, organization=c.lead_organization, state="active")
            for c in consortia
        ]
    )
    ConsortiumContact.objects.bulk_create(
        [ConsortiumContact(consortium=c, user=user, role="main") for c in consortia]
    )


@pytest.mark.parametrize("role", ["anonymous", "outsider", "member_contact", "lead"])
def test_the_consortium_page_runs_the_same_few_queries_with_10_and_300_of_everything(
    client, django_assert_max_num_queries, role
):
    bulk_consortia(10)
    consortium = Consortium.objects.get(slug="bulk-0")
    if role == "outsider":
        client.force_login(UserFactory())
    elif role == "member_contact":
        client.force_login(OrganizationContact.objects.first().user)
    elif role == "lead":
        client.force_login(consortium.contacts.first().user)
    small = count_queries(client, "/consortia/bulk-0/", clear_cache=True)
    # 300 members, documents and reports on the same consortium.
    more = Organization.objects.bulk_create(
        [
            Organization(
                name=f"Extra {n}",
                ror_id=ror_for(80_000 + n),
                country="BE",
                org_type="higher_education",
                verification="verified",
            )
            for n in range(290)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(consortium=consortium, organization=o, state="active") for o in more]
    )
    ProgressReport.objects.bulk_create(
        [ProgressReport(consortium=consortium, title=f"Extra {i}", body="Text") for i in range(290)]
    )
    large = count_queries(client, "/consortia/bulk-0/", clear_cache=True)
    assert small == large
    with django_assert_max_num_queries(12):
        client.get("/consortia/bulk-0/")


def test_the_consortium_page_shows_lead_contacts_members_and_the_latest_reports(client):
    consortium = ConsortiumFactory(
        slug="irel",
        description="We **support** Irish research.<script>alert(1)</script>",
        lead_organization__name="Trinity College Dublin",
        lead_organization__ror_id="02tyrky19",
    )
    ConsortiumContactFactory(consortium=consortium, role="main", user__name="Fiona Murphy")
    ConsortiumContactFactory(consortium=consortium, role="support", user__name="Seán Support")
    MembershipFactory(
        consortium=consortium,
        organization__name="University College Cork",
        organization__ror_id="03265fv13",
    )
    for n in range(7):
        ProgressReportFactory(consortium=consortium, title=f"Report {n}")
    html = client.get("/consortia/irel/").content.decode()
    assert "Trinity College Dublin" in html
    assert "https://ror.org/02tyrky19" in html
    assert "https://ror.org/03265fv13" in html
    assert "Main contact: Fiona Murphy" in html
    assert "Support contact: Seán Support" in html
    assert "<strong>support</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert html.count('class="report"') == 5
    assert "Request to join" in html
    assert client.get("/consortia/nope/").status_code == 404
