"""Membership, the agreement and the below-minimum flag, through the services."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from consortia import services
from consortia.models import ChecklistEntry, ChecklistItem, Consortium, Membership, Organization
from core.errors import NotAllowed, RuleViolation
from tests.factories.accounts import UserFactory, staff_person
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
    OrganizationFactory,
    add_members,
    complete_checklist,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return staff_person()


def forming(kind="national", countries=("IE",)):
    """A forming consortium whose lead organization (IE) is already a member."""
    return ConsortiumFactory(status=Consortium.Status.FORMING, kind=kind, countries=list(countries))


# --- Finalizing the agreement ---------------------------------------------------------


def test_finalize_refused_with_four_not_for_profit_members(staff):
    consortium = forming()
    add_members(consortium, ["IE"] * 3)
    complete_checklist(consortium)
    with pytest.raises(RuleViolation) as error:
        services.consortium_finalize_agreement(consortium=consortium, by=staff)
    assert error.value.details == [
        "It has 4 active not-for-profit members; it needs at least 5 (1 more)."
    ]
    consortium.refresh_from_db()
    assert consortium.status == Consortium.Status.FORMING


def test_finalize_succeeds_with_five_not_for_profit_members_and_the_checklist_done(staff):
    consortium = forming()
    add_members(consortium, ["IE"] * 4)
    complete_checklist(consortium)
    services.consortium_finalize_agreement(consortium=consortium, by=staff)
    consortium.refresh_from_db()
    assert consortium.status == Consortium.Status.ACTIVE
    assert consortium.agreement_finalized_at is not None


def test_a_company_member_does_not_count_toward_the_five(staff):
    consortium = forming()
    add_members(consortium, ["IE"] * 3)
    add_members(consortium, ["IE"], org_type=Organization.Type.COMPANY)
    complete_checklist(consortium)
    with pytest.raises(RuleViolation) as error:
        services.consortium_finalize_agreement(consortium=consortium, by=staff)
    assert "4 active not-for-profit members" in error.value.details[0]


def test_finalize_explains_every_open_checklist_item(staff):
    consortium = forming()
    add_members(consortium, ["IE"] * 4)
    complete_checklist(consortium)
    item = ChecklistItem.objects.get(title="Funding model decided")
    ChecklistEntry.objects.filter(consortium=consortium, item=item).update(done=False)
    with pytest.raises(RuleViolation) as error:
        services.consortium_finalize_agreement(consortium=consortium, by=staff)
    assert error.value.details == ["Checklist item not done: Funding model decided"]


def test_post_signing_items_do_not_block_the_agreement(staff):
    consortium = forming()
    add_members(consortium, ["IE"] * 4)
    complete_checklist(consortium)  # pre-agreement items only
    assert ChecklistItem.objects.filter(phase="post").exists()
    services.consortium_finalize_agreement(consortium=consortium, by=staff)


def test_a_regional_consortium_needs_three_countries_to_finalize(staff):
    consortium = forming(kind="regional", countries=["IE", "GB"])
    add_members(consortium, ["IE", "GB", "GB", "IE"])
    complete_checklist(consortium)
    with pytest.raises(RuleViolation) as error:
        services.consortium_finalize_agreement(consortium=consortium, by=staff)
    assert any("2 countries" in d for d in error.value.details)
    add_members(consortium, ["FR"])
    services.consortium_finalize_agreement(consortium=consortium, by=staff)


def test_only_staff_finalize_agreements():
    consortium = forming()
    lead = ConsortiumContactFactory(consortium=consortium).user
    with pytest.raises(NotAllowed):
        services.consortium_finalize_agreement(consortium=consortium, by=lead)


# --- Constraints ----------------------------------------------------------------------


def test_the_database_refuses_a_second_active_membership():
    organization = OrganizationFactory()
    MembershipFactory(organization=organization)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(organization=organization)


def test_the_database_refuses_a_second_pending_request():
    organization = OrganizationFactory()
    consortium = ConsortiumFactory()
    MembershipFactory(organization=organization, consortium=consortium, state="requested")
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(organization=organization, consortium=consortium, state="requested")


def test_the_database_refuses_an_active_consortium_without_a_finalized_agreement():
    """Active only through consortium_finalize_agreement, whatever writes the row."""
    consortium = ConsortiumFactory(status=Consortium.Status.FORMING)
    with pytest.raises(IntegrityError), transaction.atomic():
        Consortium.objects.filter(pk=consortium.pk).update(status=Consortium.Status.ACTIVE)
    consortium.refresh_from_db()
    assert consortium.status == Consortium.Status.FORMING


def test_the_database_refuses_an_invalid_ror_id():
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(ror_id="02mhbdp9X")


def test_the_database_refuses_a_duplicate_ror_id_but_allows_many_without_one():
    OrganizationFactory(ror_id="02mhbdp94")
    OrganizationFactory(ror_id="")
    OrganizationFactory(ror_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(ror_id="02mhbdp94")


# --- Leaving and the below-minimum flag -----------------------------------------------


def active_with_five(staff_user=None):
    consortium = ConsortiumFactory(status=Consortium.Status.ACTIVE)
    lead = ConsortiumContactFactory(consortium=consortium, role="main").user
    members = add_members(consortium, ["IE"] * 4)
    return consortium, lead, members


def test_a_member_leaving_flags_the_consortium_below_minimum_and_mails_lead_and_staff(
    django_capture_on_commit_callbacks, staff
):
    consortium, lead, members = active_with_five()
    contact = OrganizationContactFactory(organization=members[0].organization).user
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_leave(membership=members[0], by=contact)
    consortium.refresh_from_db()
    assert consortium.below_minimum is True
    assert Membership.objects.get(pk=members[0].pk).state == Membership.State.LEFT
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([lead.email, staff.email])
    assert "below the membership minimum" in mail.outbox[0].subject
    assert "4 active not-for-profit members" in mail.outbox[0].body


def test_the_flag_is_cleared_when_the_consortium_is_back_at_five(
    django_capture_on_commit_callbacks, staff
):
    consortium, lead, members = active_with_five()
    services.membership_leave(membership=members[0], by=staff)
    consortium.refresh_from_db()
    assert consortium.below_minimum
    request = MembershipFactory(consortium=consortium, state="requested")
    services.membership_accept(membership=request, by=lead)
    consortium.refresh_from_db()
    assert consortium.below_minimum is False


def test_a_second_member_leaving_while_below_minimum_sends_no_second_alarm(
    django_capture_on_commit_callbacks, staff
):
    consortium, lead, members = active_with_five()
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_leave(membership=members[0], by=staff)
        services.membership_leave(membership=members[1], by=staff)
    assert len(mail.outbox) == 2  # lead and staff, once


def test_a_forming_consortium_is_never_flagged_below_minimum(staff):
    consortium = forming()
    (member,) = add_members(consortium, ["IE"])
    services.membership_leave(membership=member, by=staff)
    consortium.refresh_from_db()
    assert consortium.below_minimum is False


def test_the_lead_organization_cannot_leave_its_consortium(staff):
    consortium, lead, members = active_with_five()
    lead_membership = Membership.objects.get(
        consortium=consortium, organization=consortium.lead_organization
    )
    with pytest.raises(RuleViolation):
        services.membership_leave(membership=lead_membership, by=staff)


def test_an_outsider_cannot_end_a_membership():
    consortium, lead, members = active_with_five()
    with pytest.raises(NotAllowed):
        services.membership_leave(membership=members[0], by=UserFactory())
    assert Membership.objects.get(pk=members[0].pk).state == Membership.State.ACTIVE


# --- Requests -------------------------------------------------------------------------


def test_accepting_is_refused_when_the_organization_joined_elsewhere_meanwhile():
    consortium, lead, members = active_with_five()
    organization = OrganizationFactory()
    request = MembershipFactory(consortium=consortium, organization=organization, state="requested")
    MembershipFactory(organization=organization)  # active elsewhere
    with pytest.raises(RuleViolation, match="meanwhile"):
        services.membership_accept(membership=request, by=lead)
    assert Membership.objects.get(pk=request.pk).state == Membership.State.REQUESTED


def test_a_request_is_answered_once():
    consortium, lead, members = active_with_five()
    request = MembershipFactory(consortium=consortium, state="requested")
    services.membership_decline(membership=request, by=lead, note="Not yet")
    with pytest.raises(RuleViolation):
        services.membership_accept(membership=request, by=lead)


def test_an_inactive_consortium_takes_no_requests():
    consortium = ConsortiumFactory(status=Consortium.Status.INACTIVE)
    contact = OrganizationContactFactory()
    with pytest.raises(RuleViolation, match="inactive"):
        services.membership_request(
            consortium=consortium, by=contact.user, organization=contact.organization
        )


def test_a_consortium_marked_inactive_accepts_none_of_its_waiting_requests(staff):
    consortium, lead, members = active_with_five()
    request = MembershipFactory(consortium=consortium, state="requested")
    services.consortium_mark_inactive(consortium=consortium, by=staff)
    with pytest.raises(RuleViolation, match="inactive"):
        services.membership_accept(membership=request, by=lead)
    assert Membership.objects.get(pk=request.pk).state == Membership.State.REQUESTED


def test_proposing_makes_a_forming_consortium_with_its_checklist_and_lead_member():
    contact = OrganizationContactFactory(organization__country="NZ")
    consortium = services.consortium_propose(
        by=contact.user,
        name="ORCID Aotearoa",
        kind="national",
        countries=["NZ"],
        organization=contact.organization,
    )
    assert consortium.status == Consortium.Status.FORMING
    assert consortium.region == "apac"
    assert consortium.slug == "orcid-aotearoa"
    assert consortium.contacts.get().user == contact.user
    assert consortium.memberships.get().organization == contact.organization
    assert consortium.checklist_entries.count() == ChecklistItem.objects.count() == 12


def test_proposing_marks_the_first_checklist_item_done_and_leaves_the_others_open():
    """Proposing names the lead organization and its main contact: item 1 is done by it."""
    contact = OrganizationContactFactory(organization__country="NZ")
    consortium = services.consortium_propose(
        by=contact.user,
        name="ORCID Aotearoa",
        kind="national",
        countries=["NZ"],
        organization=contact.organization,
    )
    done = consortium.checklist_entries.filter(done=True).select_related("item")
    assert [(e.item.title, e.done_by) for e in done] == [
        ("Lead organization identified, with its main contact", contact.user)
    ]
    assert done.get().done_at is not None
    assert consortium.checklist_entries.filter(done=False).count() == 11


def test_proposing_marks_done_whichever_item_staff_put_first():
    first = ChecklistItem.objects.get(title="Lead organization identified, with its main contact")
    ChecklistItem.objects.filter(pk=first.pk).update(is_active=False)
    contact = OrganizationContactFactory(organization__country="NZ")
    consortium = services.consortium_propose(
        by=contact.user,
        name="ORCID Aotearoa",
        kind="national",
        countries=["NZ"],
        organization=contact.organization,
    )
    done = consortium.checklist_entries.get(done=True)
    assert done.item.title == "Funding model decided"


def test_a_regional_consortium_region_is_derived_from_its_countries():
    contact = OrganizationContactFactory(organization__country="SG")
    consortium = services.consortium_propose(
        by=contact.user,
        name="ORCID South-East Asia",
        kind="regional",
        countries=["SG", "MY", "TH"],
        organization=contact.organization,
    )
    assert consortium.region == "apac"
    services.consortium_set_countries(consortium=consortium, countries=["DE", "FR", "SG"])
    consortium.refresh_from_db()
    assert consortium.region == "emea"
    assert sorted(str(c.country) for c in consortium.country_links.all()) == ["DE", "FR", "SG"]
