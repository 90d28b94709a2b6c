from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from contributors import selectors, services
from contributors.models import (
    Contribution,
    Level,
    LevelChange,
    Membership,
    Nomination,
    NominationEvent,
    RollEntry,
    Signature,
    Vote,
)
from core.errors import InvalidInput, NotAllowed, RuleViolation
from tests.factories.accounts import UserFactory, with_orcid
from tests.factories.contributors import (
    ContributionFactory,
    MembershipFactory,
    ProfileFactory,
    contributor,
    ost_member,
    steering_group,
)
from tests.helpers import vote

pytestmark = pytest.mark.django_db


# --- Opening --------------------------------------------------------------------------------


def test_opening_freezes_the_roll_of_current_steering_members_and_mails_them(
    staff, steering, nominee, django_capture_on_commit_callbacks
):
    expired = MembershipFactory(
        group=steering_group(), term_start=timezone.localdate() - timedelta(days=400)
    ).user
    with django_capture_on_commit_callbacks(execute=True):
        nomination = services.nomination_open(nominee=nominee, rationale="Great docs", by=staff)
    roll = set(RollEntry.objects.filter(nomination=nomination).values_list("voter_id", flat=True))
    assert roll == {p.pk for p in steering}
    assert expired.pk not in roll
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in steering)
    assert "Mei Chen" in mail.outbox[0].subject
    assert f"/review/nominations/{nomination.pk}/" in mail.outbox[0].body
    assert nomination.deadline == nomination.opened_at + timedelta(days=14)
    assert NominationEvent.objects.get(nomination=nomination).kind == "opened"


def test_the_mail_gives_the_deadline_in_utc_when_sent_under_another_time_zone(
    staff, steering, nominee, django_capture_on_commit_callbacks
):
    # Without a broker the mail is drawn in the request, under the staff member's zone.
    with timezone.override("Asia/Tokyo"), django_capture_on_commit_callbacks(execute=True):
        nomination = services.nomination_open(nominee=nominee, rationale="Great docs", by=staff)
    deadline = f"{nomination.deadline:%Y-%m-%d %H:%M} UTC"
    assert deadline in mail.outbox[0].subject
    assert f"before {deadline}" in mail.outbox[0].body


def test_no_mail_leaves_before_the_nomination_commits(
    staff, steering, nominee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.nomination_open(nominee=nominee, rationale="Great docs", by=staff)
    assert mail.outbox == []
    assert callbacks


def test_a_nominee_on_the_steering_group_is_left_off_their_own_roll(staff, steering):
    member = steering[1]
    ProfileFactory(user=member, level=Level.CONTRIBUTOR)
    with_orcid(member)
    nomination = services.nomination_open(nominee=member, rationale="r", by=staff)
    assert not nomination.roll.filter(voter=member).exists()
    assert nomination.roll.count() == 6


def test_ost_staff_vendors_and_deactivated_people_are_left_off_the_roll(staff, steering, nominee):
    group = steering_group()
    developer = ost_member(basis=LevelChange.Basis.DEVELOPMENT_STAFF)
    vendor = ost_member(basis=LevelChange.Basis.VENDOR)
    signed = ost_member(basis=LevelChange.Basis.AGREEMENT_SIGNED)
    gone = UserFactory(is_active=False)
    for person in (developer, vendor, signed, gone):
        MembershipFactory(group=group, user=person)
    nomination = services.nomination_open(nominee=nominee, rationale="r", by=staff)
    roll = set(nomination.roll.values_list("voter_id", flat=True))
    assert roll == {p.pk for p in steering} | {signed.pk}
    assert selectors.steering_voter_ids() == roll


def test_a_vendor_marked_after_opening_cannot_vote(staff, nomination, steering):
    member = steering[2]
    services.level_set_by_staff(
        user=member,
        level=Level.OST,
        basis=LevelChange.Basis.VENDOR,
        reason="Contracted for the API",
        by=staff,
    )
    with pytest.raises(NotAllowed):
        vote(nomination, member, "approve")
    assert not Vote.objects.filter(nomination=nomination, voter=member).exists()
    vote(nomination, steering[3], "approve")  # an OST member by nomination votes


def test_a_steering_group_of_only_non_voting_members_cannot_decide(staff, nominee):
    group = steering_group()
    MembershipFactory(group=group, user=ost_member(basis=LevelChange.Basis.VENDOR))
    MembershipFactory(group=group, user=ost_member(basis=LevelChange.Basis.DEVELOPMENT_STAFF))
    MembershipFactory(group=group, user=UserFactory(is_active=False))
    with pytest.raises(RuleViolation, match="no member with a current term"):
        services.nomination_open(nominee=nominee, rationale="r", by=staff)
    assert not Nomination.objects.exists()


def test_the_evidence_counts_only_verified_contributions(nomination, nominee, steering):
    # The nominee has one verified patch (the contributor factory); add unverified ones.
    ContributionFactory(user=nominee, kind=Contribution.Kind.PATCH)
    ContributionFactory(
        user=nominee,
        kind=Contribution.Kind.DOCUMENTATION,
        date=timezone.localdate() - timedelta(days=3 * 366),
    )
    data = selectors.nomination_review(nomination, steering[0])
    by_kind = dict(data["by_kind"])
    assert by_kind[Contribution.Kind.PATCH.label] == 1
    assert by_kind[Contribution.Kind.DOCUMENTATION.label] == 0
    assert [total for _year, _counts, total in data["by_year"]] == [1]
    assert len(data["recent_contributions"]) == 3  # the list shows all, marked verified or not


def test_a_person_who_is_not_a_technical_contributor_cannot_be_nominated(staff, steering):
    with pytest.raises(RuleViolation, match="Only technical contributors"):
        services.nomination_open(nominee=UserFactory(orcid=True), rationale="r", by=staff)


def test_a_contributor_without_a_verified_orcid_id_cannot_be_nominated(staff, steering):
    typed_only = contributor(orcid=False, unverified_orcid_id="0000-0002-1825-0097")
    with pytest.raises(RuleViolation, match="no verified ORCID iD"):
        services.nomination_open(nominee=typed_only, rationale="r", by=staff)
    assert not Nomination.objects.exists()


def test_an_ost_member_cannot_be_nominated_again(staff, steering):
    member = ProfileFactory(level=Level.OST, user__orcid=True).user
    with pytest.raises(RuleViolation, match="already an OST member"):
        services.nomination_open(nominee=member, rationale="r", by=staff)


def test_one_open_nomination_per_nominee(staff, nomination, nominee):
    with pytest.raises(RuleViolation, match="already has an open nomination"):
        services.nomination_open(nominee=nominee, rationale="again", by=staff)


def test_the_database_holds_one_open_nomination_per_nominee(nomination):
    with pytest.raises(IntegrityError), transaction.atomic():
        Nomination.objects.create(
            nominee=nomination.nominee,
            rationale="x",
            opened_at=nomination.opened_at,
            deadline=nomination.deadline,
        )


def test_a_decided_nomination_does_not_block_a_new_one(staff, nomination, nominee):
    services.nomination_decide(nomination_id=nomination.pk, now=nomination.deadline)
    assert services.nomination_open(nominee=nominee, rationale="again", by=staff).is_open


def test_the_deadline_is_at_least_72_hours_after_opening(staff, steering, nominee):
    now = timezone.now()
    with pytest.raises(InvalidInput, match="72 hours"):
        services.nomination_open(
            nominee=nominee,
            rationale="r",
            by=staff,
            now=now,
            deadline=now + timedelta(hours=71, minutes=59),
        )
    nomination = services.nomination_open(
        nominee=nominee, rationale="r", by=staff, now=now, deadline=now + timedelta(hours=72)
    )
    assert nomination.deadline == now + timedelta(hours=72)


def test_only_staff_nominate(steering, nominee):
    with pytest.raises(NotAllowed):
        services.nomination_open(nominee=nominee, rationale="r", by=steering[0])


def test_a_nomination_needs_a_steering_group_to_vote(staff, nominee):
    with pytest.raises(RuleViolation, match="no member with a current term"):
        services.nomination_open(nominee=nominee, rationale="r", by=staff)


# --- Voting ---------------------------------------------------------------------------------


def test_a_member_votes_and_changes_their_vote_until_the_deadline(nomination, steering):
    vote(nomination, steering[0], "approve")
    vote(nomination, steering[0], "reject", "Not yet")
    only = Vote.objects.get(nomination=nomination, voter=steering[0])
    assert (only.choice, only.comment) == ("reject", "Not yet")
    kinds = list(nomination.events.values_list("kind", flat=True))
    assert kinds == ["opened", "voted", "vote_changed"]


def test_a_reject_needs_a_reason(nomination, steering):
    with pytest.raises(InvalidInput, match="reason"):
        vote(nomination, steering[0], "reject", "   ")
    assert not Vote.objects.exists()


def test_the_database_refuses_a_reject_without_reason_and_a_second_vote(nomination, steering):
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(nomination=nomination, voter=steering[0], choice="reject")
    Vote.objects.create(nomination=nomination, voter=steering[0], choice="approve")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(nomination=nomination, voter=steering[0], choice="abstain")


def test_a_vote_at_the_deadline_is_refused(nomination, steering):
    with pytest.raises(RuleViolation, match="deadline"):
        vote(nomination, steering[0], "approve", now=nomination.deadline)
    vote(nomination, steering[0], "approve", now=nomination.deadline - timedelta(seconds=1))


def test_a_vote_on_a_decided_nomination_is_refused(nomination, steering):
    services.nomination_decide(nomination_id=nomination.pk, now=nomination.deadline)
    with pytest.raises(RuleViolation, match="decided"):
        vote(nomination, steering[0], "approve")


def test_only_the_frozen_roll_votes(nomination, nominee):
    newcomer = MembershipFactory(group=steering_group()).user
    with pytest.raises(NotAllowed):
        vote(nomination, newcomer, "approve")
    with pytest.raises(NotAllowed):
        vote(nomination, nominee, "approve")


def test_a_member_whose_term_ends_after_opening_still_votes(nomination, steering):
    Membership.objects.filter(user=steering[2]).update(term_end=timezone.localdate())
    vote(nomination, steering[2], "approve")
    assert Vote.objects.filter(voter=steering[2]).exists()


def test_a_recused_member_leaves_the_roll_and_their_vote_no_longer_counts(nomination, steering):
    vote(nomination, steering[0], "approve")
    services.vote_recuse(nomination=nomination, by=steering[0], reason="I co-authored it")
    assert not Vote.objects.filter(voter=steering[0]).exists()
    assert selectors.tally(nomination).roll_size == 6
    with pytest.raises(NotAllowed, match="recused"):
        vote(nomination, steering[0], "approve")
    event = nomination.events.get(kind="recused")
    assert (event.actor, event.detail) == (steering[0], "I co-authored it")


# --- Decision -------------------------------------------------------------------------------


def decide_at_deadline(nomination):
    services.nominations_decide_due(now=nomination.deadline)
    nomination.refresh_from_db()
    return nomination


def cast(nomination, steering, *choices):
    for member, choice in zip(steering, choices, strict=False):
        vote(nomination, member, choice, "Because" if choice == "reject" else "")


def test_four_of_seven_approving_is_approved_at_the_deadline(nomination, steering):
    cast(nomination, steering, "approve", "approve", "approve", "approve")
    assert decide_at_deadline(nomination).state == "approved"
    assert (nomination.roll_size, nomination.approvals) == (7, 4)


def test_three_of_seven_is_no_quorum_and_is_rejected_at_the_deadline(nomination, steering):
    cast(nomination, steering, "approve", "approve", "approve")
    assert decide_at_deadline(nomination).state == "rejected"


def test_abstentions_make_the_quorum_and_one_approval_carries(nomination, steering):
    cast(nomination, steering, "approve", "abstain", "abstain", "abstain")
    assert decide_at_deadline(nomination).state == "approved"


def test_a_tie_is_rejected(nomination, steering):
    cast(nomination, steering, "approve", "approve", "reject", "reject")
    assert decide_at_deadline(nomination).state == "rejected"


def test_nothing_is_decided_before_the_deadline_while_members_have_not_voted(nomination, steering):
    cast(nomination, steering, "approve", "approve", "approve", "approve", "approve", "approve")
    assert services.nominations_decide_due(now=nomination.deadline - timedelta(seconds=1)) == 0
    nomination.refresh_from_db()
    assert nomination.is_open


def test_the_last_eligible_vote_decides_at_once(
    nomination, steering, staff, nominee, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cast(nomination, steering, *["approve"] * 6, "reject")
    nomination.refresh_from_db()
    assert nomination.state == "approved"
    assert nomination.decided_at is not None
    to_nominee = [m for m in mail.outbox if m.to == [nominee.email]]
    to_staff = [m for m in mail.outbox if m.to == [staff.email]]
    assert len(to_nominee) == len(to_staff) == 1
    assert "/ost/agreement/" in to_nominee[0].body
    assert "approved" in to_staff[0].subject.lower()
    # The nominee learns the outcome, not who voted how.
    assert "reject" not in to_nominee[0].body.lower()


def test_a_recusal_can_complete_the_roll_and_decide(nomination, steering):
    cast(nomination, steering, *["approve"] * 6)
    services.vote_recuse(nomination=nomination, by=steering[6], reason="Conflict")
    nomination.refresh_from_db()
    assert nomination.state == "approved"
    assert nomination.roll_size == 6


def test_deciding_twice_changes_nothing(nomination, steering):
    decide_at_deadline(nomination)
    decided_at = nomination.decided_at
    assert services.nominations_decide_due(now=nomination.deadline + timedelta(days=1)) == 0
    assert services.nomination_decide(nomination_id=nomination.pk) is False
    nomination.refresh_from_db()
    assert nomination.decided_at == decided_at
    assert nomination.events.filter(kind="decided").count() == 1


def test_the_beat_task_decides_due_nominations(nomination, steering):
    from contributors.tasks import decide_due_nominations

    Nomination.objects.filter(pk=nomination.pk).update(
        opened_at=timezone.now() - timedelta(days=15), deadline=timezone.now() - timedelta(days=1)
    )
    assert decide_due_nominations.delay().get() == 1
    nomination.refresh_from_db()
    assert nomination.state == "rejected"


def test_the_beat_schedule_names_the_decision_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["contributors-decide-due-nominations"]
    assert entry["task"] == "contributors.tasks.decide_due_nominations"


# --- The agreement --------------------------------------------------------------------------


def approved(nomination, steering):
    cast(nomination, steering, *["approve"] * 7)
    nomination.refresh_from_db()
    assert nomination.state == "approved"
    return nomination


def sign(nomination, signer, agreement, **overrides):
    data = {
        "by": signer,
        "nomination": nomination,
        "agreement_version": agreement.version,
        "full_name": signer.name,
        "confirmed": True,
        "ip_address": "203.0.113.7",
        **overrides,
    }
    return services.agreement_sign(**data)


def test_an_approved_nominee_becomes_ost_only_when_they_sign(
    nomination, steering, nominee, agreement
):
    approved(nomination, steering)
    assert selectors.user_level(nominee) == Level.CONTRIBUTOR
    signature = sign(nomination, nominee, agreement)
    assert (signature.agreement, signature.ip_address) == (agreement, "203.0.113.7")
    assert selectors.user_level(nominee) == Level.OST
    change = nominee.level_changes.first()
    assert change.basis == "agreement_signed"
    assert agreement.version in change.reason


def test_the_signature_records_the_verified_orcid_id_of_the_signer(
    nomination, steering, nominee, agreement
):
    approved(nomination, steering)
    assert sign(nomination, nominee, agreement).orcid_id == nominee.orcid_id != ""


def test_a_nominee_who_disconnected_orcid_signs_only_after_connecting_it_again(
    nomination, steering, nominee, agreement
):
    approved(nomination, steering)
    account = SocialAccount.objects.get(user=nominee)
    account.delete()  # removed on the account pages
    nominee.refresh_from_db()
    with pytest.raises(RuleViolation, match="Connect your ORCID iD"):
        sign(nomination, nominee, agreement)
    assert selectors.user_level(nominee) == Level.CONTRIBUTOR
    with_orcid(nominee, account.uid)
    assert sign(nomination, nominee, agreement).orcid_id == account.uid


def test_a_second_signature_is_refused(nomination, steering, nominee, agreement):
    approved(nomination, steering)
    sign(nomination, nominee, agreement)
    with pytest.raises(RuleViolation, match="already signed"):
        sign(nomination, nominee, agreement)
    assert Signature.objects.count() == 1


def test_nobody_signs_for_someone_else(nomination, steering, nominee, agreement):
    approved(nomination, steering)
    with pytest.raises(NotAllowed):
        sign(nomination, steering[0], agreement)
    with pytest.raises(InvalidInput, match="your own full name"):
        sign(nomination, nominee, agreement, full_name="Somebody Else")
    assert selectors.user_level(nominee) == Level.CONTRIBUTOR


def test_signing_needs_the_confirmation_and_the_current_version(
    nomination, steering, nominee, agreement
):
    approved(nomination, steering)
    with pytest.raises(InvalidInput, match="Confirm"):
        sign(nomination, nominee, agreement, confirmed=False)
    with pytest.raises(RuleViolation, match="changed"):
        sign(nomination, nominee, agreement, agreement_version="0.9")


def test_a_name_typed_with_other_spacing_and_case_signs(nomination, steering, nominee, agreement):
    approved(nomination, steering)
    assert sign(nomination, nominee, agreement, full_name="  mei   CHEN ").full_name == "mei CHEN"


def test_an_open_or_rejected_nomination_cannot_be_signed_for(
    nomination, steering, nominee, agreement
):
    with pytest.raises(RuleViolation):
        sign(nomination, nominee, agreement)
    decide_at_deadline(nomination)
    with pytest.raises(RuleViolation):
        sign(nomination, nominee, agreement)
