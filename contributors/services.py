"""Every state change of the contributors app: atomic, keyword-only, audited.

Levels change only here (``_level_change``), and OST only from an approved nomination
with a signed agreement (``agreement_sign``) or a staff marking with a reason
(``level_set_by_staff``). Nominations open, collect votes and are decided here.
"""

from __future__ import annotations

import html
import logging
from datetime import date, datetime, timedelta

import nh3
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import people_with_permission
from accounts.staff import require_staff_power
from contributors import permissions, rules, selectors
from contributors.models import (
    Agreement,
    Briefing,
    BriefingSubscription,
    Contribution,
    Group,
    Level,
    LevelChange,
    Membership,
    Nomination,
    NominationEvent,
    Profile,
    RollEntry,
    Signature,
    Vote,
    one_year_after,
)
from core.errors import InvalidInput, NotAllowed, RuleViolation, full_clean
from core.markdown import render_markdown
from mail import services as mail
from mail.services import deliver

logger = logging.getLogger(__name__)

LIST_ID = "governance"


# --- Levels -------------------------------------------------------------------------------


def _level_change(
    *, user: User, to_level: str, basis: str, reason: str, by: User | None, now: datetime
) -> LevelChange | None:
    # Lock the profile row: two verifications at once record one level change.
    profile, _created = Profile.objects.get_or_create(user=user)
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    if profile.level == to_level:
        return None
    change = LevelChange(
        user=user,
        from_level=profile.level,
        to_level=to_level,
        basis=basis,
        reason=reason,
        changed_by=by,
        changed_at=now,
    )
    full_clean(change)
    change.save()
    profile.level = to_level
    profile.level_since = now
    profile.save(update_fields=["level", "level_since"])
    return change


def level_change_basis(*, level: str, basis: str | None, reason: str) -> str:
    """The basis of a staff level change, or the domain error refusing it."""
    if not (reason or "").strip():
        raise InvalidInput(_("Say why the level changes."))
    if level == Level.OST:
        if basis not in (LevelChange.Basis.DEVELOPMENT_STAFF, LevelChange.Basis.VENDOR):
            raise RuleViolation(
                _(
                    "Without a vote, only ORCID development staff and contracted vendors "
                    "become OST members. Nominate anyone else."
                )
            )
        return basis
    if level in (Level.USER, Level.CONTRIBUTOR):
        return LevelChange.Basis.STAFF_DECISION
    raise InvalidInput(_("Unknown level."))


@transaction.atomic
def level_set_by_staff(
    *, user: User, level: str, reason: str, by: User, basis: str | None = None
) -> LevelChange | None:
    """Staff set a person's level; OST without a vote only for development staff or vendors."""
    require_staff_power(by, permissions.can_record_staff_level)
    reason = (reason or "").strip()
    basis = level_change_basis(level=level, basis=basis, reason=reason)
    return _level_change(
        user=user, to_level=level, basis=basis, reason=reason, by=by, now=timezone.now()
    )


# --- Contributions ------------------------------------------------------------------------


def contribution_date_check(day: date) -> None:
    """Raise the domain error refusing a contribution dated ``day`` (the admin form shows it)."""
    if day and day > timezone.localdate():
        raise InvalidInput(_("A contribution cannot be dated in the future."))


@transaction.atomic
def contribution_add(
    *, user: User, by: User, kind: str, title: str, date: date, link: str = ""
) -> Contribution:
    """Record a contribution: people add their own (unverified); verifiers' are verified."""
    if not permissions.can_add_contribution(by, user):
        raise NotAllowed(_("You may only add your own contributions."))
    contribution = Contribution(
        user=user, kind=kind, title=title.strip(), link=link.strip(), date=date, added_by=by
    )
    full_clean(contribution)
    contribution_date_check(contribution.date)
    contribution.save()
    if permissions.can_verify_contributions(by):
        contribution_verify(contribution=contribution, by=by)
        contribution.refresh_from_db()
    return contribution


@transaction.atomic
def contribution_verify(*, contribution: Contribution, by: User) -> bool:
    """Staff verify a contribution; a person's first verified one makes them a contributor."""
    require_staff_power(by, permissions.can_verify_contributions)
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if contribution.verified_at is not None:
        return False
    now = timezone.now()
    contribution.verified_by = by
    contribution.verified_at = now
    contribution.save(update_fields=["verified_by", "verified_at"])
    if selectors.user_level(contribution.user) == Level.USER:
        _level_change(
            user=contribution.user,
            to_level=Level.CONTRIBUTOR,
            basis=LevelChange.Basis.CONTRIBUTION_VERIFIED,
            reason=str(contribution.title),
            by=by,
            now=now,
        )
    return True


# --- Groups -------------------------------------------------------------------------------


def membership_check(*, group: Group, membership: Membership, others) -> None:
    """Raise the RuleViolation refusing ``membership``'s term in ``group`` next to ``others``
    (the group's other terms): the same person twice at once, a second chair, a full group."""
    start = membership.term_start
    end = membership.term_end or one_year_after(start)
    overlapping = [o for o in others if o.term_start < end and o.term_end > start]
    if any(o.user_id == membership.user_id for o in overlapping):
        raise RuleViolation(_("This person already has a term in this group for that time."))
    if membership.role == Membership.Role.CHAIR and any(
        o.role == Membership.Role.CHAIR for o in overlapping
    ):
        raise RuleViolation(_("The group already has a chair for that time."))
    if group.max_members and len(overlapping) >= group.max_members:
        raise RuleViolation(_("The group is full."))


def memberships_check(*, group: Group, memberships, leaving=()) -> None:
    """Raise the RuleViolation refusing these new or changed terms of ``group``, checked
    against its other terms and each other; ``leaving``: ids of terms being deleted.

    The admin's forms call this to show the error; ``memberships_save`` calls it again
    with the group locked.
    """
    memberships = list(memberships)
    skip = {m.pk for m in memberships if m.pk} | {pk for pk in leaving if pk}
    others = (
        list(Membership.objects.filter(group_id=group.pk).exclude(pk__in=skip)) if group.pk else []
    )
    for membership in memberships:
        membership_check(group=group, membership=membership, others=others)
        others.append(membership)


@transaction.atomic
def memberships_save(
    *, group: Group, memberships, deleted=(), by: User | None = None
) -> list[Membership]:
    """Save new or changed terms of ``group`` (and delete ``deleted``) under its rules."""
    require_staff_power(by, permissions.can_manage_groups)
    # The group row lock serializes every change of its terms: two adds cannot both pass.
    group = Group.objects.select_for_update().get(pk=group.pk)
    memberships = list(memberships)
    for membership in memberships:
        if membership.term_start and not membership.term_end:
            membership.term_end = one_year_after(membership.term_start)
    memberships_check(group=group, memberships=memberships, leaving=[d.pk for d in deleted])
    for gone in deleted:
        gone.delete()
    for membership in memberships:
        membership.group = group
        membership.save()
    return memberships


@transaction.atomic
def membership_add(
    *,
    group: Group,
    user: User,
    role: str = Membership.Role.MEMBER,
    term_start: date | None = None,
    by: User | None = None,
) -> Membership:
    """Give a person a one-year term in a group (a chair replaces no one: one at a time)."""
    require_staff_power(by, permissions.can_manage_groups)
    start = term_start or timezone.localdate()
    membership = Membership(
        group=group, user=user, role=role, term_start=start, term_end=one_year_after(start)
    )
    # The overlap checks say more than the unique constraint's generic message.
    full_clean(membership, validate_unique=False, validate_constraints=False)
    memberships_save(group=group, memberships=[membership])
    return membership


# --- Nominations --------------------------------------------------------------------------


def _event(nomination: Nomination, kind: str, *, actor=None, detail="", data=None, now=None):
    NominationEvent.objects.create(
        nomination=nomination,
        kind=kind,
        actor=actor,
        detail=detail,
        data=data or {},
        created_at=now or timezone.now(),
    )


def _review_url(nomination: Nomination) -> str:
    return reverse("contributors:nomination_review", args=[nomination.pk])


@transaction.atomic
def nomination_open(
    *,
    nominee: User,
    rationale: str,
    by: User,
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> Nomination:
    """Staff nominate a technical contributor; the voter roll is frozen and emailed."""
    require_staff_power(by, permissions.can_nominate)
    now = now or timezone.now()
    rationale = (rationale or "").strip()
    if not rationale:
        raise InvalidInput(_("Give the steering group a rationale for the nomination."))
    deadline = deadline or rules.default_deadline(now)
    nomination_check(nominee=nominee, deadline=deadline, now=now)
    roll_ids = selectors.steering_voter_ids(timezone.localdate(now), nominee=nominee)
    nomination = Nomination(
        nominee=nominee, rationale=rationale, nominated_by=by, opened_at=now, deadline=deadline
    )
    try:
        # The savepoint lets a concurrent duplicate fail cleanly on the partial unique index.
        with transaction.atomic():
            nomination.save()
    except IntegrityError as exc:
        raise RuleViolation(
            _("%(name)s already has an open nomination.") % {"name": nominee}
        ) from exc
    RollEntry.objects.bulk_create(RollEntry(nomination=nomination, voter_id=i) for i in roll_ids)
    _event(
        nomination,
        NominationEvent.Kind.OPENED,
        actor=by,
        detail=str(_("Voter roll: %(n)s members.") % {"n": len(roll_ids)}),
        data={"roll": sorted(roll_ids), "deadline": deadline.isoformat()},
        now=now,
    )
    deliver(
        recipients=User.objects.filter(pk__in=roll_ids),
        kind="contributors.nomination_opened",
        about=nomination,
        subject=_("OST nomination of %(name)s: your vote by %(deadline)s"),
        subject_params={"name": nominee.display_name, "deadline": f"{deadline:%Y-%m-%d %H:%M} UTC"},
        template="contributors/email/nomination_opened",
        context={
            "nomination": nomination,
            "nominee": nominee,
            "review_url": _review_url(nomination),
        },
        list_id=LIST_ID,
    )
    return nomination


def nominee_check(*, nominee: User) -> None:
    """Raise the domain error that refuses ``nominee`` for any nomination (the admin's
    "Nominate for OST" action shows it)."""
    if not nominee.orcid_id:
        # Who the steering group elects, and who then signs, is the holder of a proved iD.
        raise RuleViolation(
            _(
                "%(name)s has no verified ORCID iD: only people who have signed in with ORCID "
                "can be nominated. Ask them to connect ORCID on their account pages."
            )
            % {"name": nominee}
        )
    level = selectors.user_level(nominee)
    if level == Level.OST:
        raise RuleViolation(_("%(name)s is already an OST member.") % {"name": nominee})
    if level != Level.CONTRIBUTOR:
        raise RuleViolation(
            _("Only technical contributors can be nominated; %(name)s is not one yet.")
            % {"name": nominee}
        )
    if Nomination.objects.open().filter(nominee=nominee).exists():
        raise RuleViolation(_("%(name)s already has an open nomination.") % {"name": nominee})


def nomination_check(*, nominee: User, deadline: datetime, now: datetime) -> None:
    """Raise the domain error that would refuse this nomination (the admin form shows it)."""
    nominee_check(nominee=nominee)
    if deadline < rules.earliest_deadline(now):
        raise InvalidInput(
            _("The deadline must be at least %(hours)s hours after the nomination opens.")
            % {"hours": settings.CONTRIBUTORS_NOMINATION_MIN_HOURS}
        )
    if not selectors.steering_voter_ids(timezone.localdate(now), nominee=nominee):
        raise RuleViolation(
            _("The steering group has no member with a current term to vote on this nomination.")
        )


def _locked_open_nomination(nomination_id: int, now: datetime) -> Nomination:
    # The nomination row lock serializes every vote, recusal and decision of one nomination.
    nomination = (
        Nomination.objects.select_for_update().select_related("nominee").get(pk=nomination_id)
    )
    if not nomination.is_open:
        raise RuleViolation(_("This nomination has been decided; votes are closed."))
    if now >= nomination.deadline:
        raise RuleViolation(
            _("The deadline of this nomination has passed (%(deadline)s UTC); votes are closed.")
            % {"deadline": f"{nomination.deadline:%Y-%m-%d %H:%M}"}
        )
    return nomination


@transaction.atomic
def vote_cast(
    *,
    nomination: Nomination,
    by: User,
    choice: str,
    comment: str = "",
    now: datetime | None = None,
) -> Vote:
    """Record (or change) a member's vote; a reject needs a reason. Decides when all voted."""
    now = now or timezone.now()
    if choice not in Vote.Choice.values:
        raise InvalidInput(_("Choose approve, reject or abstain."))
    comment = (comment or "").strip()
    if choice == Vote.Choice.REJECT and not comment:
        raise InvalidInput(_("Give a reason when you reject a nomination."))
    nomination = _locked_open_nomination(nomination.pk, now)
    entry = RollEntry.objects.filter(nomination=nomination, voter=by).first()
    if entry is None:
        raise NotAllowed(_("You are not on the voter roll of this nomination."))
    if entry.recused_at is not None:
        raise NotAllowed(_("You recused yourself from this nomination."))
    if not by.is_active or selectors.is_non_voting_ost(by):
        raise NotAllowed(_("You are not on the voter roll of this nomination."))
    vote = Vote.objects.filter(nomination=nomination, voter=by).first()
    if vote is None:
        vote = Vote(
            nomination=nomination,
            voter=by,
            choice=choice,
            comment=comment,
            cast_at=now,
            changed_at=now,
        )
        vote.save()
        kind = NominationEvent.Kind.VOTED
    else:
        if vote.choice == choice and vote.comment == comment:
            return vote
        vote.choice, vote.comment, vote.changed_at = choice, comment, now
        vote.save(update_fields=["choice", "comment", "changed_at"])
        kind = NominationEvent.Kind.VOTE_CHANGED
    _event(nomination, kind, actor=by, detail=comment, data={"choice": choice}, now=now)
    _decide_if_due(nomination, now=now)
    return vote


@transaction.atomic
def vote_recuse(
    *, nomination: Nomination, by: User, reason: str, now: datetime | None = None
) -> RollEntry:
    """A member declares a conflict of interest and leaves this nomination's roll."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say briefly why you recuse yourself."))
    nomination = _locked_open_nomination(nomination.pk, now)
    entry = RollEntry.objects.filter(nomination=nomination, voter=by).first()
    if entry is None:
        raise NotAllowed(_("You are not on the voter roll of this nomination."))
    if entry.recused_at is not None:
        raise RuleViolation(_("You have already recused yourself from this nomination."))
    entry.recused_at, entry.recusal_reason = now, reason
    entry.save(update_fields=["recused_at", "recusal_reason"])
    # A recused member's earlier vote no longer counts; it is removed, the trail keeps it.
    Vote.objects.filter(nomination=nomination, voter=by).delete()
    _event(nomination, NominationEvent.Kind.RECUSED, actor=by, detail=reason, now=now)
    _decide_if_due(nomination, now=now)
    return entry


def _decide_if_due(nomination: Nomination, *, now: datetime) -> bool:
    """Decide a locked open nomination when its deadline passed or every eligible voted."""
    result = selectors.tally(nomination)
    if now < nomination.deadline and not result.everyone_voted:
        return False
    nomination.state = Nomination.State.APPROVED if result.approved else Nomination.State.REJECTED
    nomination.decided_at = now
    nomination.roll_size = result.roll_size
    nomination.approvals = result.approvals
    nomination.rejections = result.rejections
    nomination.abstentions = result.abstentions
    nomination.save(
        update_fields=[
            "state",
            "decided_at",
            "roll_size",
            "approvals",
            "rejections",
            "abstentions",
        ]
    )
    _event(
        nomination,
        NominationEvent.Kind.DECIDED,
        detail=str(nomination.get_state_display()),
        data={
            "state": nomination.state,
            "roll_size": result.roll_size,
            "approvals": result.approvals,
            "rejections": result.rejections,
            "abstentions": result.abstentions,
            "quorum": result.has_quorum,
        },
        now=now,
    )
    _send_decision(nomination)
    return True


def _send_decision(nomination: Nomination) -> None:
    nominee = nomination.nominee
    approved = nomination.state == Nomination.State.APPROVED
    deliver(
        recipients=[nominee],
        kind="contributors.nomination_decided",
        about=nomination,
        subject=_("Your OST nomination was approved: please sign the agreement")
        if approved
        else _("Your OST nomination was not approved"),
        template="contributors/email/nomination_decided_nominee",
        context={
            "nomination": nomination,
            "approved": approved,
            "agreement_url": reverse("contributors:agreement"),
        },
        list_id=LIST_ID,
    )
    deliver(
        recipients=people_with_permission(permissions.NOMINATE),
        kind="contributors.nomination_decided_staff",
        about=nomination,
        subject=_("OST nomination of %(name)s: %(outcome)s"),
        subject_params={
            "name": nominee.display_name,
            "outcome": str(nomination.get_state_display()),
        },
        template="contributors/email/nomination_decided_staff",
        context={
            "nomination": nomination,
            "approved": approved,
            "admin_url": reverse("admin:contributors_nomination_change", args=[nomination.pk]),
        },
        list_id=LIST_ID,
    )


@transaction.atomic
def nomination_decide(*, nomination_id: int, now: datetime | None = None) -> bool:
    """Decide one nomination if it is due (idempotent: a decided one is left alone)."""
    now = now or timezone.now()
    nomination = (
        Nomination.objects.select_for_update()
        .select_related("nominee")
        .filter(pk=nomination_id)
        .first()
    )
    if nomination is None or not nomination.is_open:
        return False
    return _decide_if_due(nomination, now=now)


def nominations_decide_due(*, now: datetime | None = None) -> int:
    """Decide every open nomination whose deadline has passed; return how many."""
    now = now or timezone.now()
    ids = list(Nomination.objects.open().filter(deadline__lte=now).values_list("pk", flat=True))
    decided = 0
    for pk in ids:
        # One transaction each: a failure on one nomination does not hold up the others.
        if nomination_decide(nomination_id=pk, now=now):
            decided += 1
    return decided


# --- The OST agreement --------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@transaction.atomic
def agreement_sign(
    *,
    by: User,
    nomination: Nomination,
    agreement_version: str,
    full_name: str,
    confirmed: bool,
    ip_address: str | None,
    now: datetime | None = None,
) -> Signature:
    """An approved nominee signs the current agreement and so becomes an OST member."""
    now = now or timezone.now()
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.nominee_id != by.pk:
        raise NotAllowed(_("Only the nominee can sign the agreement for this nomination."))
    if Signature.objects.filter(nomination=nomination).exists():
        raise RuleViolation(_("You have already signed the OST agreement."))
    if nomination.state != Nomination.State.APPROVED:
        raise RuleViolation(_("Only an approved nomination can be signed for."))
    agreement = Agreement.objects.current(now)
    if agreement is None:
        raise RuleViolation(_("No OST agreement is in force yet; ORCID staff will tell you."))
    if agreement.version != agreement_version:
        raise RuleViolation(
            _("The agreement changed while you were reading it. Please read version %(v)s.")
            % {"v": agreement.version}
        )
    if not by.orcid_id:
        raise RuleViolation(
            _(
                "Connect your ORCID iD on your account pages before you sign: the agreement "
                "is signed as the holder of a verified iD."
            )
        )
    if not confirmed:
        raise InvalidInput(_("Confirm that you have read and accept the agreement."))
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise InvalidInput(_("Type your full name to sign."))
    if by.name and not _same_name(full_name, by.name):
        raise InvalidInput(
            _("Type your own full name as on your profile: %(name)s.") % {"name": by.name}
        )
    signature = Signature(
        nomination=nomination,
        signer=by,
        agreement=agreement,
        full_name=full_name,
        orcid_id=by.orcid_id,
        signed_at=now,
        ip_address=ip_address or None,
    )
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError as exc:
        raise RuleViolation(_("You have already signed the OST agreement.")) from exc
    _event(
        nomination,
        NominationEvent.Kind.SIGNED,
        actor=by,
        detail=agreement.version,
        data={"version": agreement.version, "ip": ip_address},
        now=now,
    )
    _level_change(
        user=by,
        to_level=Level.OST,
        basis=LevelChange.Basis.AGREEMENT_SIGNED,
        reason=str(
            _("Nomination approved on %(date)s; agreement %(version)s signed.")
            % {"date": f"{nomination.decided_at:%Y-%m-%d}", "version": agreement.version}
        ),
        by=by,
        now=now,
    )
    return signature


# --- Briefings ----------------------------------------------------------------------------

BRIEFING_KIND = "contributors.briefing"


def _require_briefing_writer(by, group: Group) -> None:
    if not permissions.can_write_briefings(by, group):
        raise NotAllowed(_("Only the group's chair and ORCID staff write its briefings."))


def _briefing_fill(briefing: Briefing, *, title: str, body: str) -> None:
    briefing.title = (title or "").strip()
    briefing.body = (body or "").strip()
    if not briefing.title:
        raise InvalidInput(_("Give the briefing a title."))
    if not briefing.body:
        raise InvalidInput(_("Write the briefing's text."))
    briefing.body_html = render_markdown(briefing.body)
    full_clean(briefing)


def briefing_plain_text(body: str) -> str:
    """The text part of a briefing's mail: its Markdown with every HTML tag removed."""
    # nh3 drops <script> and <style> with their content and escapes the rest; the mail's
    # text part is not HTML, so the escapes are undone.
    return html.unescape(nh3.clean(body or "", tags=set())).strip()


@transaction.atomic
def briefing_create(*, group: Group, by: User, title: str, body: str) -> Briefing:
    """The chair (or staff) writes a draft briefing of ``group``; nothing is mailed yet."""
    _require_briefing_writer(by, group)
    briefing = Briefing(group=group, author=by)
    _briefing_fill(briefing, title=title, body=body)
    briefing.save()
    return briefing


@transaction.atomic
def briefing_update(*, briefing: Briefing, by: User, title: str, body: str) -> Briefing:
    """Change a draft briefing; a published one was mailed and stays as it was."""
    briefing = (
        Briefing.objects.select_for_update(of=("self",)).select_related("group").get(pk=briefing.pk)
    )
    _require_briefing_writer(by, briefing.group)
    if briefing.is_published:
        raise RuleViolation(_("This briefing was published and mailed; it can no longer change."))
    _briefing_fill(briefing, title=title, body=body)
    briefing.save()
    return briefing


@transaction.atomic
def briefing_publish(*, briefing: Briefing, by: User, now: datetime | None = None) -> int:
    """Publish a draft and mail it to the group's subscribers; return how many mails.

    The deliveries are written in this transaction and sent after commit; the delivery's
    unique constraint (person, briefing) and the refusal to publish twice make sure nobody
    gets a briefing twice.
    """
    # The row lock makes a second, concurrent publish wait, then find it published.
    briefing = (
        Briefing.objects.select_for_update(of=("self",))
        .select_related("group", "author")
        .get(pk=briefing.pk)
    )
    group = briefing.group
    _require_briefing_writer(by, group)
    if briefing.is_published:
        raise RuleViolation(_("This briefing is already published."))
    briefing.published_at = now or timezone.now()
    briefing.published_by = by
    briefing.save(update_fields=["published_at", "published_by", "updated_at"])
    return deliver(
        recipients=selectors.briefing_recipients(group),
        kind=BRIEFING_KIND,
        about=briefing,
        subject=_("[%(group)s] %(title)s"),
        subject_params={"group": group.name, "title": briefing.title},
        template="contributors/email/briefing",
        context={
            "briefing": briefing,
            "group": group,
            "author": briefing.author,
            "body_text": briefing_plain_text(briefing.body),
            "briefing_url": briefing.get_absolute_url(),
            "group_url": group.get_absolute_url(),
        },
        list_id=selectors.briefing_list_id(group),
    )


@transaction.atomic
def briefing_subscribe(*, by: User, group: Group) -> bool:
    """Receive ``group``'s briefings (again, after a one-click unsubscribe); True if new."""
    _subscription, created = BriefingSubscription.objects.get_or_create(user=by, group=group)
    # Subscribing again undoes an unsubscription from the mail, or nothing would arrive.
    resubscribed = mail.resubscribe(user_id=by.pk, list_id=selectors.briefing_list_id(group))
    return created or resubscribed


@transaction.atomic
def briefing_unsubscribe(*, by: User, group: Group) -> bool:
    """Stop receiving ``group``'s briefings; True if the person was subscribed."""
    deleted, _count = BriefingSubscription.objects.filter(user=by, group=group).delete()
    return bool(deleted)


@transaction.atomic
def briefing_subscriptions_set(*, by: User, groups) -> None:
    """Receive the briefings of exactly ``groups`` (the mail settings page)."""
    wanted = {group.pk: group for group in groups}
    for group in Group.objects.filter(briefing_subscriptions__user=by).exclude(pk__in=wanted):
        briefing_unsubscribe(by=by, group=group)
    for group in wanted.values():
        briefing_subscribe(by=by, group=group)


# --- A person's data: deleting their account, retention ----------------------------------


def person_delete_blockers(user: User) -> list:
    """An open nomination of the person must be decided first (its deadline is near)."""
    nomination = Nomination.objects.open().filter(nominee=user).first()
    if nomination is None:
        return []
    return [
        _(
            "Your OST nomination is open for votes until %(deadline)s. Delete your account "
            "after it is decided, or ask ORCID staff to close it."
        )
        % {"deadline": timezone.localtime(nomination.deadline).strftime("%Y-%m-%d %H:%M")}
    ]


@transaction.atomic
def person_erase(user: User) -> None:
    """A person's account is deleted: their level, contributions, group memberships and
    briefing subscriptions go. They leave the roll of open nominations (as a recusal would,
    their vote there goes). Their votes in decided nominations keep counting, no longer
    attributed; nominations about them that were decided and their agreement signatures
    stay, as the OST's records require (README, "People's data")."""
    now = timezone.now()
    entries = RollEntry.objects.filter(
        voter=user, recused_at__isnull=True, nomination__state=Nomination.State.OPEN
    ).select_related("nomination")
    for entry in entries:
        nomination = Nomination.objects.select_for_update().get(pk=entry.nomination_id)
        entry.recused_at, entry.recusal_reason = now, "account deleted"
        entry.save(update_fields=["recused_at", "recusal_reason"])
        Vote.objects.filter(nomination=nomination, voter=user).delete()
        _event(nomination, NominationEvent.Kind.RECUSED, actor=user, now=now)
        if nomination.is_open:
            _decide_if_due(nomination, now=now)
    Contribution.objects.filter(user=user).delete()
    LevelChange.objects.filter(user=user).delete()
    Profile.objects.filter(user=user).delete()
    Membership.objects.filter(user=user).delete()
    BriefingSubscription.objects.filter(user=user).delete()


def ip_addresses_purge(now: datetime) -> dict[str, int]:
    """Forget the IP address of agreement signatures older than
    settings.RETENTION_IP_ADDRESS_DAYS (the signature itself stays), in the signature and
    in the nomination's audit trail (idempotent)."""
    before = now - timedelta(days=settings.RETENTION_IP_ADDRESS_DAYS)
    count = Signature.objects.filter(signed_at__lt=before, ip_address__isnull=False).update(
        ip_address=None
    )
    events = NominationEvent.objects.filter(
        kind=NominationEvent.Kind.SIGNED, created_at__lt=before, data__has_key="ip"
    )
    for event in events:
        event.data = {k: v for k, v in event.data.items() if k != "ip"}
        event.save(update_fields=["data"])
    return {"ip_addresses": count}
