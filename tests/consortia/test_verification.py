"""Organizations and proposed consortia are vouched for by ORCID staff with
``consortia.verify_organization``: until then they wait in the admin's queue, those staff
are mailed, and an unverified consortium is seen only by its proposer, its lead contacts
and those staff."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from consortia import services
from consortia.models import (
    Consortium,
    ContactRequest,
    Membership,
    Organization,
    OrganizationContact,
)
from core.errors import NotAllowed, RuleViolation
from tests.factories.accounts import UserFactory, with_two_factor
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
    OrganizationFactory,
    add_members,
    complete_checklist,
    verifier,
)

pytestmark = pytest.mark.django_db

GALWAY = {
    "organization": "",
    "new_name": "University of Galway",
    "new_ror_id": "https://ror.org/03bea9k73",
    "new_country": "IE",
    "new_org_type": "higher_education",
    "message": "We would like to join.",
}
PROPOSAL = {
    "name": "ORCID Ireland Two",
    "kind": "national",
    "countries": ["IE"],
    "description": "A second Irish consortium.",
    "new_name": "University of Galway",
    "new_ror_id": "03bea9k73",
    "new_country": "IE",
    "new_org_type": "higher_education",
}


@pytest.fixture
def irel():
    consortium = ConsortiumFactory(name="IReL ORCID", slug="irel", countries=["IE"])
    ConsortiumContactFactory(consortium=consortium, role="main")
    return consortium


def propose(client, user, data=PROPOSAL) -> Consortium:
    client.force_login(user)
    response = client.post("/consortia/propose/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Consortium.objects.get(name=data["name"])


# --- Today: a registration by anyone locks the organization's real people out ----------------


def test_the_real_people_of_an_organization_someone_else_registered_can_ask_to_act_for_it(
    client, irel, django_capture_on_commit_callbacks
):
    impostor, real = UserFactory(), UserFactory(name="Róisín Real")
    queue = verifier(email="verifier@orcid.example")
    client.force_login(impostor)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/consortia/irel/join/", GALWAY).status_code == 302
    galway = Organization.objects.get(ror_id="03bea9k73")
    assert galway.verification == "unverified"
    assert [m.to for m in mail.outbox if "University of Galway" in m.subject] == [[queue.email]]

    mail.outbox.clear()
    client.force_login(real)
    response = client.post("/consortia/irel/join/", GALWAY)
    assert response.status_code == 409
    html = response.content.decode()
    assert "already registered" in html
    ask = f"/consortia/organizations/{galway.pk}/ask/?ror=03bea9k73"
    assert ask.replace("&", "&amp;") in html or ask in html  # the way forward

    assert client.get(ask).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ask, {"role": "main", "message": "I run research support."})
    assert response.status_code == 302
    request = ContactRequest.objects.get(organization=galway, user=real)
    assert request.state == "pending"
    # The organization is not verified: its contact (who registered it) does not decide;
    # staff with the permission do.
    assert [m.to for m in mail.outbox] == [[queue.email]]
    assert "Róisín Real" in mail.outbox[0].body
    assert "Waiting for an answer" in client.get("/consortia/mine/").content.decode()


# --- Registering and proposing ----------------------------------------------------------------


def test_a_new_organization_waits_for_staff_who_are_mailed_after_commit(
    client, irel, django_capture_on_commit_callbacks
):
    queue = verifier()
    with_two_factor(UserFactory(is_staff=True))  # staff without the permission are not asked
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/consortia/irel/join/", GALWAY)
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    organization = Organization.objects.get(ror_id="03bea9k73")
    assert organization.verification == "unverified"
    to_staff = [m for m in mail.outbox if m.to == [queue.email]]
    assert len(to_staff) == 1
    assert "/admin/consortia/organization/?verification__exact=unverified" in to_staff[0].body
    assert {m.to[0] for m in mail.outbox} == {queue.email, irel.contacts.get().user.email}


def test_a_proposed_consortium_and_its_new_lead_wait_for_staff(
    client, django_capture_on_commit_callbacks
):
    queue = verifier()
    with django_capture_on_commit_callbacks(execute=True):
        consortium = propose(client, UserFactory())
    assert consortium.verification == "unverified"
    assert consortium.lead_organization.verification == "unverified"
    (message,) = mail.outbox  # one mail about the proposal, naming its new lead
    assert message.to == [queue.email]
    assert "ORCID Ireland Two" in message.subject
    assert "University of Galway" in message.body
    assert "/admin/consortia/consortium/?verification__exact=unverified" in message.body


def test_an_unverified_consortium_is_not_in_the_directory_its_counts_search_or_map(client):
    ConsortiumFactory(name="Listed", countries=["IE"])
    propose(client, UserFactory(), {**PROPOSAL, "countries": ["PT"], "new_country": "PT"})
    client.logout()
    html = client.get("/consortia/").content.decode()
    assert "Listed" in html
    assert "ORCID Ireland Two" not in html
    assert "1 consortium" in html
    assert "/consortia/?country=PT" not in html  # the map
    assert "ORCID Ireland Two" not in client.get("/consortia/?q=ireland").content.decode()
    assert "ORCID Ireland Two" not in client.get("/consortia/?q=galway").content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 404),
        ("outsider", 404),
        ("staff_without_permission", 404),
        ("proposer", 200),
        ("lead_contact", 200),
        ("verifier", 200),
    ],
)
def test_an_unverified_consortium_is_seen_only_by_its_people_and_verifiers(client, role, status):
    proposer = UserFactory()
    consortium = propose(client, proposer)
    lead_contact = ConsortiumContactFactory(consortium=consortium).user
    report = services.progress_report_publish(
        consortium=consortium, by=proposer, title="First steps", body="We began."
    )
    people = {
        "anonymous": None,
        "outsider": UserFactory(),
        "staff_without_permission": with_two_factor(UserFactory(is_staff=True)),
        "proposer": proposer,
        "lead_contact": lead_contact,
        "verifier": verifier(),
    }
    client.logout()
    if people[role] is not None:
        client.force_login(people[role])
    slug = consortium.slug
    assert client.get(f"/consortia/{slug}/").status_code == status
    assert client.get(f"/consortia/{slug}/reports/{report.pk}/").status_code == status
    join = client.get(f"/consortia/{slug}/join/")
    assert join.status_code == (302 if role == "anonymous" else status)


def test_nobody_can_ask_to_join_an_unverified_consortium(client):
    consortium = propose(client, UserFactory())
    contact = OrganizationContactFactory()
    with pytest.raises(RuleViolation, match="not been verified"):
        services.membership_request(
            consortium=consortium, by=contact.user, organization=contact.organization
        )


def test_the_agreement_of_an_unverified_consortium_cannot_be_finalized(client):
    consortium = propose(client, UserFactory())
    add_members(consortium, ["IE"] * 4)
    complete_checklist(consortium)
    staff = with_two_factor(UserFactory(is_staff=True, is_superuser=True))
    with pytest.raises(RuleViolation, match="not been verified"):
        services.consortium_finalize_agreement(consortium=consortium, by=staff)


# --- The staff queue ----------------------------------------------------------------------


def test_verifiers_verify_a_consortium_from_the_admin_and_its_lead_contacts_are_mailed(
    client, django_capture_on_commit_callbacks
):
    proposer = UserFactory()
    consortium = propose(client, proposer)
    queue = verifier()
    client.force_login(queue)
    changelist = client.get("/admin/consortia/consortium/?verification__exact=unverified")
    assert "ORCID Ireland Two" in changelist.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/consortia/consortium/",
            {"action": "verify", "_selected_action": [consortium.pk]},
            follow=True,
        )
    assert "1 consortium verified." in response.content.decode()
    consortium.refresh_from_db()
    assert consortium.verification == "verified"
    assert consortium.verification_decided_by == queue
    assert consortium.lead_organization.verification == "verified"
    (message,) = mail.outbox
    assert message.to == [proposer.email]
    assert "verified" in message.subject
    client.logout()
    assert "ORCID Ireland Two" in client.get("/consortia/").content.decode()
    assert client.get(f"/consortia/{consortium.slug}/").status_code == 200


def test_staff_without_the_permission_get_no_verify_or_reject_action(client):
    consortium = propose(client, UserFactory())
    staff = with_two_factor(UserFactory(is_staff=True))
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="consortia",
            codename__in=["view_consortium", "change_consortium", "view_organization"],
        )
    )
    client.force_login(staff)
    html = client.get("/admin/consortia/consortium/").content.decode()
    assert 'value="verify"' not in html
    assert 'value="reject"' not in html
    client.post(
        "/admin/consortia/consortium/",
        {"action": "verify", "_selected_action": [consortium.pk]},
    )
    client.post(
        "/admin/consortia/organization/",
        {"action": "verify", "_selected_action": [consortium.lead_organization.pk]},
    )
    consortium.refresh_from_db()
    assert consortium.verification == "unverified"
    assert consortium.lead_organization.verification == "unverified"
    with pytest.raises(NotAllowed):
        services.consortium_verify(consortium=consortium, by=staff)


def test_rejecting_a_consortium_ends_its_lead_membership_and_tells_its_lead_contacts(
    client, django_capture_on_commit_callbacks
):
    proposer = UserFactory()
    consortium = propose(client, proposer)
    lead = consortium.lead_organization
    with django_capture_on_commit_callbacks(execute=True):
        services.consortium_reject(consortium=consortium, by=verifier(), note="Not a consortium.")
    consortium.refresh_from_db()
    assert consortium.verification == "rejected"
    assert not Membership.objects.active().filter(organization=lead).exists()
    (message,) = mail.outbox
    assert message.to == [proposer.email]
    assert "Not a consortium." in message.body
    client.logout()
    assert client.get(f"/consortia/{consortium.slug}/").status_code == 404
    client.force_login(proposer)
    assert "Rejected" in client.get("/consortia/mine/").content.decode()


def test_rejecting_an_organization_frees_its_ror_id_and_ends_what_waited_on_it(
    client, irel, django_capture_on_commit_callbacks
):
    impostor = UserFactory()
    client.force_login(impostor)
    client.post("/consortia/irel/join/", GALWAY)
    galway = Organization.objects.get(ror_id="03bea9k73")
    consortium = propose(client, impostor, {**PROPOSAL, "organization": galway.pk})
    assert consortium.lead_organization == galway
    asking = UserFactory()
    services.contact_request_create(organization=galway, by=asking, role="main")
    with django_capture_on_commit_callbacks(execute=True):
        services.organization_reject(organization=galway, by=verifier(), note="Not theirs.")
    galway.refresh_from_db()
    assert galway.verification == "rejected"
    assert Membership.objects.get(consortium=irel, organization=galway).state == "declined"
    consortium.refresh_from_db()
    assert consortium.verification == "rejected"
    assert ContactRequest.objects.get(user=asking).state == "declined"
    assert {m.to[0] for m in mail.outbox} >= {impostor.email, asking.email}
    # The real people can now register it themselves.
    client.force_login(asking)
    assert client.post("/consortia/irel/join/", GALWAY).status_code == 302
    new = Organization.objects.get(ror_id="03bea9k73", verification="unverified")
    assert OrganizationContact.objects.filter(organization=new, user=asking).exists()
    # And a rejected organization is no longer offered to the one who registered it.
    client.force_login(impostor)
    assert f'value="{galway.pk}"' not in client.get("/consortia/irel/join/").content.decode()


def test_a_lead_cannot_accept_an_unverified_organization_until_staff_verify_it(
    client, irel, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory())
    client.post("/consortia/irel/join/", GALWAY)
    request = Membership.objects.get(organization__ror_id="03bea9k73")
    lead = irel.contacts.get().user
    client.force_login(lead)
    manage = client.get("/consortia/irel/manage/requests/").content.decode()
    assert "Waiting for ORCID to verify this organization" in manage
    response = client.post(f"/consortia/irel/manage/requests/{request.pk}/accept/", {})
    assert response.status_code == 409
    request.refresh_from_db()
    assert request.state == "requested"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.organization_verify(organization=request.organization, by=verifier())
    assert {m.to[0] for m in mail.outbox} == {lead.email, request.requested_by.email}
    to_lead = next(m for m in mail.outbox if m.to == [lead.email])
    assert "/consortia/irel/manage/" in to_lead.body
    response = client.post(f"/consortia/irel/manage/requests/{request.pk}/accept/", {})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == "active"


def test_verifying_twice_or_verifying_a_rejected_row_is_refused():
    organization = OrganizationFactory(verification="unverified")
    queue = verifier()
    services.organization_verify(organization=organization, by=queue)
    with pytest.raises(RuleViolation, match="already"):
        services.organization_verify(organization=organization, by=queue)
    with pytest.raises(RuleViolation, match="already"):
        services.organization_reject(organization=organization, by=queue)


def test_the_admin_queue_filters_unverified_rows_and_shows_who_registered_them(client):
    contact = OrganizationContactFactory(
        organization=OrganizationFactory(name="Waiting Institute", verification="unverified"),
        user__name="Una Registrant",
    )
    OrganizationFactory(name="Verified Institute")
    client.force_login(verifier())
    html = client.get("/admin/consortia/organization/?verification__exact=unverified").content
    html = html.decode()
    assert "Waiting Institute" in html
    assert "Verified Institute" not in html
    assert contact.user.name in html


def test_admin_verification_fields_change_only_through_the_actions(client):
    organization = OrganizationFactory(verification="unverified")
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    page = client.get(f"/admin/consortia/organization/{organization.pk}/change/").content.decode()
    assert 'name="verification"' not in page


def test_a_member_organization_of_a_verified_consortium_is_always_verified(irel):
    """What keeps unverified organizations off public member lists."""
    organization = OrganizationFactory(verification="unverified")
    contact = OrganizationContactFactory(organization=organization)
    MembershipFactory(
        consortium=irel, organization=organization, state="requested", requested_by=contact.user
    )
    request = Membership.objects.get(organization=organization)
    with pytest.raises(RuleViolation, match="verify"):
        services.membership_accept(membership=request, by=irel.contacts.get().user)
