"""A lead contact's email address is public only if that contact chose so (off by
default); lead contacts and staff still see it where they need it."""

import csv
import io

import pytest

from consortia.models import ConsortiumContact
from tests.factories.accounts import UserFactory, staff_person, with_two_factor
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consortium():
    return ConsortiumFactory(slug="irel", name="IReL ORCID")


@pytest.fixture
def main(consortium):
    return ConsortiumContactFactory(
        consortium=consortium,
        role="main",
        user__name="Fiona Murphy",
        user__email="fiona@irel.example",
    )


def test_today_a_contact_email_is_published_without_their_consent_and_now_it_is_not(client, main):
    html = client.get("/consortia/irel/").content.decode()
    assert "Fiona Murphy" in html
    assert "fiona@irel.example" not in html


def test_a_contact_publishes_their_own_address_from_their_dashboard_and_can_take_it_back(
    client, main
):
    client.force_login(main.user)
    dashboard = client.get("/consortia/mine/").content.decode()
    action = f"/consortia/mine/contacts/{main.pk}/email/"
    assert action in dashboard
    assert client.post(action, {"show_email": "on"}).status_code == 302
    main.refresh_from_db()
    assert main.show_email is True
    client.logout()
    assert 'href="mailto:fiona@irel.example"' in client.get("/consortia/irel/").content.decode()
    client.force_login(main.user)
    assert client.post(action, {}).status_code == 302
    main.refresh_from_db()
    assert main.show_email is False
    client.logout()
    assert "fiona@irel.example" not in client.get("/consortia/irel/").content.decode()


@pytest.mark.parametrize("who", ["other_lead_contact", "outsider", "staff"])
def test_nobody_else_chooses_for_a_contact(client, consortium, main, who):
    people = {
        "other_lead_contact": ConsortiumContactFactory(consortium=consortium).user,
        "outsider": UserFactory(),
        "staff": with_two_factor(UserFactory(is_staff=True, is_superuser=True)),
    }
    client.force_login(people[who])
    response = client.post(f"/consortia/mine/contacts/{main.pk}/email/", {"show_email": "on"})
    assert response.status_code == 404
    assert ConsortiumContact.objects.get(pk=main.pk).show_email is False


def test_anonymous_visitors_are_sent_to_sign_in(client, main):
    response = client.post(f"/consortia/mine/contacts/{main.pk}/email/", {"show_email": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_lead_contacts_and_staff_still_see_addresses_on_the_manage_page_and_in_the_export(
    client, consortium, main
):
    member = MembershipFactory(consortium=consortium)
    OrganizationContactFactory(organization=member.organization, user__email="ciara@ucc.example")
    for person in (
        ConsortiumContactFactory(consortium=consortium).user,
        staff_person("Consortia staff"),
    ):
        client.force_login(person)
        assert (
            "fiona@irel.example" in client.get("/consortia/irel/manage/contacts/").content.decode()
        )
        export = client.get("/consortia/irel/manage/members.csv").content.decode()
        assert "ciara@ucc.example" in [
            cell for row in csv.reader(io.StringIO(export)) for cell in row
        ]
