"""The consortia admin obeys the rules: actions need their permission, and memberships,
consortia and their checklist change only through the services."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from consortia.models import ChecklistEntry, Consortium, Membership, Organization
from mail.models import Delivery
from tests.factories.accounts import UserFactory, grant, staff_person, with_two_factor
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    add_members,
    complete_checklist,
)

pytestmark = pytest.mark.django_db


def viewer(*permissions: str):
    """Staff who may only view the consortia models (and hold ``permissions``)."""
    person = with_two_factor(UserFactory(is_staff=True))
    return grant(
        person,
        "consortia.view_consortium",
        "consortia.view_membership",
        "consortia.view_organization",
        *permissions,
    )


def _action(client, model: str, action: str, *objects):
    return client.post(
        f"/admin/consortia/{model}/",
        {"action": action, "_selected_action": [o.pk for o in objects]},
        follow=True,
    )


@pytest.fixture
def ready():
    consortium = ConsortiumFactory(status="forming", name="Ready", countries=["IE"])
    add_members(consortium, ["IE"] * 4)
    complete_checklist(consortium)
    return consortium


# --- Actions need their permission ------------------------------------------------------------


def test_staff_who_may_only_view_cannot_mark_a_consortium_inactive(client):
    consortium = ConsortiumFactory()
    client.force_login(viewer())
    page = client.get("/admin/consortia/consortium/").content.decode()
    assert "mark_inactive" not in page
    assert "finalize_agreement" not in page
    _action(client, "consortium", "mark_inactive", consortium)
    consortium.refresh_from_db()
    assert consortium.status == Consortium.Status.ACTIVE


def test_staff_who_may_only_view_cannot_finalize_an_agreement(client, ready):
    client.force_login(viewer("consortia.deactivate_consortium"))
    _action(client, "consortium", "finalize_agreement", ready)
    ready.refresh_from_db()
    assert ready.status == Consortium.Status.FORMING


def test_each_action_needs_its_own_permission(client, ready):
    client.force_login(viewer("consortia.deactivate_consortium"))
    page = client.get("/admin/consortia/consortium/").content.decode()
    assert "mark_inactive" in page
    assert "finalize_agreement" not in page
    client.force_login(viewer("consortia.finalize_consortium"))
    _action(client, "consortium", "finalize_agreement", ready)
    ready.refresh_from_db()
    assert ready.status == Consortium.Status.ACTIVE


def test_the_consortia_staff_group_finalizes_and_deactivates(client, ready):
    client.force_login(staff_person("Consortia staff"))
    response = _action(client, "consortium", "finalize_agreement", ready)
    assert "1 agreement finalized." in response.content.decode()
    _action(client, "consortium", "mark_inactive", ready)
    ready.refresh_from_db()
    assert ready.status == Consortium.Status.INACTIVE


def test_community_staff_have_no_consortia_powers(client, ready):
    client.force_login(staff_person("Community staff"))
    assert client.get("/admin/consortia/consortium/").status_code == 403
    assert client.get(f"/consortia/{ready.slug}/manage/").status_code == 403
    _action(client, "consortium", "finalize_agreement", ready)
    ready.refresh_from_db()
    assert ready.status == Consortium.Status.FORMING


# --- Memberships go through the services -----------------------------------------------------


def _membership_form(membership: Membership, state: str) -> dict:
    return {
        "consortium": membership.consortium_id,
        "organization": membership.organization_id,
        "state": state,
        "message": "",
        "requested_by": "",
        "decided_by": "",
        "decision_note": "",
        "left_at_0": "2026-01-01",
        "left_at_1": "00:00:00",
    }


def superuser():
    """Every admin permission: what the forms allow is what the code allows."""
    return with_two_factor(UserFactory(is_staff=True, is_superuser=True))


def test_the_admin_form_cannot_let_the_lead_organization_leave(client):
    consortium = ConsortiumFactory()
    lead = Membership.objects.get(organization=consortium.lead_organization)
    client.force_login(superuser())
    response = client.post(
        f"/admin/consortia/membership/{lead.pk}/change/", _membership_form(lead, "left")
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.state == Membership.State.ACTIVE


def test_removing_the_lead_organization_in_the_admin_is_refused_like_everywhere(client):
    consortium = ConsortiumFactory()
    lead = Membership.objects.get(organization=consortium.lead_organization)
    client.force_login(staff_person())
    response = _action(client, "membership", "remove_members", lead)
    assert "The lead organization cannot leave its own consortium" in response.content.decode()
    lead.refresh_from_db()
    assert lead.state == Membership.State.ACTIVE


def test_removing_a_member_in_the_admin_recomputes_the_minimum_and_mails(
    client, django_capture_on_commit_callbacks
):
    consortium = ConsortiumFactory(countries=["IE"])
    members = add_members(consortium, ["IE"] * 4)
    lead_contact = ConsortiumContactFactory(consortium=consortium, role="main").user
    staff = staff_person("Consortia staff")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(client, "membership", "remove_members", members[0])
    assert "1 member removed." in response.content.decode()
    members[0].refresh_from_db()
    consortium.refresh_from_db()
    assert members[0].state == Membership.State.LEFT
    assert consortium.below_minimum
    told = set(
        Delivery.objects.filter(kind="consortia.below_minimum").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {lead_contact.pk, staff.pk}
    assert len(mail.outbox) == 2


def test_membership_actions_need_the_power_to_manage_consortia(client):
    request = MembershipFactory(state="requested")
    client.force_login(viewer())
    _action(client, "membership", "accept_requests", request)
    request.refresh_from_db()
    assert request.state == Membership.State.REQUESTED
    client.force_login(viewer("consortia.manage_any_consortium"))
    _action(client, "membership", "accept_requests", request)
    request.refresh_from_db()
    assert request.state == Membership.State.ACTIVE


# --- Read-only where a form would bypass a service --------------------------------------------


def test_the_checklist_is_not_ticked_in_the_admin(client):
    consortium = ConsortiumFactory(status="forming")
    entry = ChecklistEntry.objects.create(consortium=consortium, item_id=1)
    client.force_login(superuser())
    response = client.post(
        f"/admin/consortia/checklistentry/{entry.pk}/change/",
        {"consortium": consortium.pk, "item": 1, "done": "on", "note": "Done"},
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert not entry.done


def test_an_organizations_type_is_not_changed_in_the_admin(client):
    organization = ConsortiumFactory().lead_organization
    client.force_login(superuser())
    response = client.post(
        f"/admin/consortia/organization/{organization.pk}/change/",
        {
            "name": "Renamed",
            "ror_id": organization.ror_id,
            "country": "FR",
            "org_type": Organization.Type.COMPANY,
            "website": "",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Renamed"
    assert organization.org_type != Organization.Type.COMPANY
    assert str(organization.country) != "FR"


def test_the_staff_groups_exist_with_their_powers():
    consortia = Group.objects.get(name="Consortia staff")
    community = Group.objects.get(name="Community staff")
    assert set(
        consortia.permissions.filter(
            codename__in=["finalize_consortium", "moderate_forums"]
        ).values_list("codename", flat=True)
    ) == {"finalize_consortium"}
    assert community.permissions.filter(codename="moderate_forums").exists()
    assert not community.permissions.filter(content_type__app_label="consortia").exists()


def test_a_join_request_without_lead_contacts_is_mailed_to_consortia_staff_only(
    django_capture_on_commit_callbacks,
):
    from consortia import services
    from tests.factories.consortia import OrganizationContactFactory

    consortium = ConsortiumFactory()  # no lead contact yet
    manager = staff_person("Consortia staff")
    with_two_factor(UserFactory(is_staff=True))  # staff status, no power
    staff_person("Community staff")
    contact = OrganizationContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_request(
            consortium=consortium, by=contact.user, organization=contact.organization
        )
    told = Delivery.objects.filter(kind="consortia.join_requested")
    assert set(told.values_list("recipient_id", flat=True)) == {manager.pk}
