"""Joining a consortium end to end: the request, the lead's email, the answer, the
requester's email and dashboard; and every kind of bad input."""

import pytest
from django.core import mail

from consortia import services
from consortia.models import Membership, Organization, OrganizationContact
from tests.factories.accounts import UserFactory
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
    OrganizationFactory,
    verifier,
)

pytestmark = pytest.mark.django_db

NEW_ORG = {
    "organization": "",
    "new_name": "University of Galway",
    "new_ror_id": "https://ror.org/03bea9k73",
    "new_country": "IE",
    "new_org_type": "higher_education",
    "new_website": "https://universityofgalway.ie",
    "message": "We would like to join.",
}


@pytest.fixture
def consortium():
    consortium = ConsortiumFactory(name="IReL ORCID", slug="irel")
    ConsortiumContactFactory(consortium=consortium, role="main")
    return consortium


@pytest.fixture
def lead(consortium):
    return consortium.contacts.get().user


@pytest.fixture
def requester(client):
    user = UserFactory(name="Aoife Requester")
    client.force_login(user)
    return user


def test_anonymous_visitors_are_sent_to_sign_in(client, consortium):
    response = client.get("/consortia/irel/join/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/consortia/irel/join/")


def test_a_request_with_no_fields_shows_what_is_missing(client, consortium, requester):
    before = Membership.objects.count()
    response = client.post("/consortia/irel/join/", {})
    assert response.status_code == 400
    assert "Enter the organization&#x27;s name." in response.content.decode()
    assert Membership.objects.count() == before


def test_join_flow_end_to_end_with_emails(
    client, consortium, lead, requester, django_capture_on_commit_callbacks
):
    assert client.get("/consortia/irel/").content.decode().count("/consortia/irel/join/") >= 1
    assert client.get("/consortia/irel/join/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/consortia/irel/join/", NEW_ORG)
    assert response.status_code == 302
    assert response["Location"] == "/consortia/mine/"
    organization = Organization.objects.get(ror_id="03bea9k73")
    assert OrganizationContact.objects.filter(organization=organization, user=requester).exists()
    membership = Membership.objects.get(organization=organization)
    assert membership.state == Membership.State.REQUESTED
    assert membership.message == "We would like to join."

    (to_lead,) = mail.outbox
    assert to_lead.to == [lead.email]
    assert to_lead.subject == "New request to join IReL ORCID"
    assert "University of Galway" in to_lead.body
    assert "/consortia/irel/manage/" in to_lead.body

    dashboard = client.get("/consortia/mine/").content.decode()
    assert "University of Galway" in dashboard
    assert "Requested" in dashboard

    # A new organization: ORCID staff verify it before the lead can accept it.
    with django_capture_on_commit_callbacks(execute=True):
        services.organization_verify(organization=organization, by=verifier())
    assert mail.outbox[-2].to == [requester.email]  # "is verified", to the organization
    assert mail.outbox[-1].to == [lead.email]  # its request to join waits for an answer
    mail.outbox.clear()

    client.force_login(lead)
    manage = client.get("/consortia/irel/manage/requests/").content.decode()
    assert "University of Galway" in manage
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/consortia/irel/manage/requests/{membership.pk}/accept/", {"note": "Welcome aboard"}
        )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.state == Membership.State.ACTIVE
    assert membership.decided_by == lead
    to_requester = mail.outbox[0]
    assert to_requester.to == [requester.email]
    assert to_requester.subject == "Your request to join IReL ORCID was accepted"
    assert "Welcome aboard" in to_requester.body

    client.force_login(requester)
    dashboard = client.get("/consortia/mine/").content.decode()
    assert "Active" in dashboard
    assert "University of Galway" in client.get("/consortia/irel/").content.decode()


def test_a_declined_request_mails_the_note_to_the_requester(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    contact = OrganizationContactFactory()
    request = MembershipFactory(
        consortium=consortium,
        organization=contact.organization,
        state="requested",
        requested_by=contact.user,
    )
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/consortia/irel/manage/requests/{request.pk}/decline/",
            {"note": "Please join the national consortium of your country."},
        )
    request.refresh_from_db()
    assert request.state == Membership.State.DECLINED
    (message,) = mail.outbox
    assert message.to == [contact.user.email]
    assert "declined" in message.subject
    assert "national consortium of your country" in message.body


@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_a_note_too_long_is_refused_not_dropped(client, consortium, lead, decision):
    contact = OrganizationContactFactory()
    request = MembershipFactory(
        consortium=consortium,
        organization=contact.organization,
        state="requested",
        requested_by=contact.user,
    )
    client.force_login(lead)
    response = client.post(
        f"/consortia/irel/manage/requests/{request.pk}/{decision}/", {"note": "x" * 4001}
    )
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    request.refresh_from_db()
    assert request.state == Membership.State.REQUESTED
    assert mail.outbox == []


def test_a_contact_can_choose_an_organization_they_already_act_for(client, consortium, requester):
    organization = OrganizationFactory(name="Dublin City University")
    OrganizationContactFactory(organization=organization, user=requester)
    page = client.get("/consortia/irel/join/").content.decode()
    assert "Dublin City University" in page
    response = client.post("/consortia/irel/join/", {"organization": organization.pk})
    assert response.status_code == 302
    assert Membership.objects.get(organization=organization).state == "requested"


def test_an_organization_one_does_not_act_for_cannot_be_chosen(client, consortium, requester):
    other = OrganizationFactory()
    response = client.post("/consortia/irel/join/", {"organization": other.pk})
    assert response.status_code == 400
    assert not Membership.objects.filter(organization=other).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("new_ror_id", "03bea9k74", "its check digits do not match"),
        ("new_ror_id", "not-a-ror", "Enter a ROR ID like 02mhbdp94"),
        ("new_country", "XX", "Select a valid choice"),
        ("new_org_type", "pirate", "Select a valid choice"),
        ("new_name", "", "Enter the organization"),
    ],
)
def test_bad_organization_input_is_a_clear_400_and_saves_nothing(
    client, consortium, requester, field, value, message
):
    response = client.post("/consortia/irel/join/", {**NEW_ORG, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Organization.objects.filter(name="University of Galway").exists()
    assert not Membership.objects.filter(state="requested").exists()


def test_a_second_request_is_refused_with_a_message(client, consortium, requester):
    assert client.post("/consortia/irel/join/", NEW_ORG).status_code == 302
    organization = Organization.objects.get(ror_id="03bea9k73")
    response = client.post("/consortia/irel/join/", {"organization": organization.pk})
    assert response.status_code == 409
    assert "has already asked to join IReL ORCID" in response.content.decode()
    assert Membership.objects.filter(organization=organization).count() == 1


def test_a_member_elsewhere_cannot_ask_to_join(client, consortium, requester):
    organization = OrganizationFactory(name="Maynooth University")
    OrganizationContactFactory(organization=organization, user=requester)
    MembershipFactory(organization=organization, consortium=ConsortiumFactory(name="Elsewhere"))
    response = client.post("/consortia/irel/join/", {"organization": organization.pk})
    assert response.status_code == 409
    assert "already an active member of Elsewhere" in response.content.decode()
    assert not Membership.objects.filter(consortium=consortium, organization=organization).exists()


def test_registering_an_already_registered_ror_id_is_refused_and_saves_nothing(
    client, consortium, requester
):
    OrganizationFactory(ror_id="03bea9k73", name="Existing")
    response = client.post("/consortia/irel/join/", NEW_ORG)
    assert response.status_code == 409
    assert "already registered" in response.content.decode()
    assert Organization.objects.filter(ror_id="03bea9k73").count() == 1
    assert not OrganizationContact.objects.filter(user=requester).exists()


def test_a_member_contact_can_leave_from_the_dashboard(client, consortium):
    contact = OrganizationContactFactory()
    membership = MembershipFactory(consortium=consortium, organization=contact.organization)
    client.force_login(contact.user)
    response = client.post(f"/consortia/mine/memberships/{membership.pk}/leave/")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.state == Membership.State.LEFT


def test_nobody_else_can_end_a_membership_from_the_dashboard(client, consortium):
    membership = MembershipFactory(consortium=consortium)
    client.force_login(UserFactory())
    response = client.post(f"/consortia/mine/memberships/{membership.pk}/leave/")
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.state == Membership.State.ACTIVE


def test_the_lead_organization_of_an_inactive_consortium_can_leave_it_and_join_another(
    client, consortium
):
    contact = OrganizationContactFactory(organization=consortium.lead_organization)
    membership = Membership.objects.get(
        consortium=consortium, organization=consortium.lead_organization
    )
    consortium.status = "inactive"
    consortium.save()
    client.force_login(contact.user)
    leave = f"/consortia/mine/memberships/{membership.pk}/leave/"
    assert leave in client.get("/consortia/mine/").content.decode()

    assert client.post(leave).status_code == 302
    membership.refresh_from_db()
    assert membership.state == Membership.State.LEFT
    ConsortiumFactory(slug="next")
    response = client.post(
        "/consortia/next/join/", {"organization": consortium.lead_organization.pk}
    )
    assert response.status_code == 302
    assert Membership.objects.get(consortium__slug="next", state="requested")


def test_the_lead_organization_of_a_current_consortium_cannot_leave_it(client, consortium):
    contact = OrganizationContactFactory(organization=consortium.lead_organization)
    membership = Membership.objects.get(
        consortium=consortium, organization=consortium.lead_organization
    )
    client.force_login(contact.user)
    leave = f"/consortia/mine/memberships/{membership.pk}/leave/"
    assert leave not in client.get("/consortia/mine/").content.decode()
    assert client.post(leave).status_code == 409
    membership.refresh_from_db()
    assert membership.state == Membership.State.ACTIVE
