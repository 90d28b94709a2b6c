"""Read queries of the contributors app; other apps (forums) use the group functions here."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext

from accounts.models import User
from contributors import activity
from contributors.models import (
    PUBLIC_LEVELS,
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
)
from contributors.rules import Tally, count_votes
from mail.models import Unsubscription

# --- Groups (public API for other apps) ---------------------------------------------------


def is_group_member(user, group: Group, today: date | None = None) -> bool:
    """Whether ``user`` holds a current term in ``group`` (chairs are members too)."""
    if not getattr(user, "is_authenticated", False) or group is None:
        return False
    return Membership.objects.current(today).filter(group=group, user=user).exists()


def is_group_chair(user, group: Group, today: date | None = None) -> bool:
    if not getattr(user, "is_authenticated", False) or group is None:
        return False
    return (
        Membership.objects.current(today)
        .filter(group=group, user=user, role=Membership.Role.CHAIR)
        .exists()
    )


def current_group_roles(user, today: date | None = None) -> list[tuple[int, str]]:
    """``(group id, role)`` of every current term of ``user``: one query."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Membership.objects.current(today).filter(user=user).values_list("group_id", "role"))


def current_member_ids(group: Group, today: date | None = None) -> set[int]:
    return set(
        Membership.objects.current(today).filter(group=group).values_list("user_id", flat=True)
    )


def non_voting_ost_ids() -> QuerySet:
    """The people who are OST members as ORCID development staff or contracted vendors.

    They are OST members without a vote: the basis of the change that made them OST
    (the latest one to OST) says so.
    """
    latest_ost_basis = Subquery(
        LevelChange.objects.filter(user_id=OuterRef("user_id"), to_level=Level.OST)
        .order_by("-changed_at", "-pk")
        .values("basis")[:1]
    )
    return (
        Profile.objects.filter(level=Level.OST)
        .annotate(ost_basis=latest_ost_basis)
        .filter(ost_basis__in=LevelChange.NON_VOTING_OST_BASES)
        .values("user_id")
    )


def is_non_voting_ost(user) -> bool:
    """Whether ``user`` is an OST member as development staff or a vendor (no vote)."""
    if not getattr(user, "pk", None):
        return False
    return non_voting_ost_ids().filter(user_id=user.pk).exists()


def steering_voter_ids(today: date | None = None, *, nominee=None) -> set[int]:
    """The voter roll of a nomination opened ``today``: the steering group's members with a
    current term, less the nominee, deactivated people, and OST members as ORCID
    development staff or contracted vendors (who have no vote)."""
    members = (
        Membership.objects.current(today)
        .filter(group__kind=Group.Kind.STEERING, user__is_active=True)
        .exclude(user_id__in=non_voting_ost_ids())
    )
    if nominee is not None:
        members = members.exclude(user_id=nominee.pk)
    return set(members.values_list("user_id", flat=True))


def user_level(user) -> str:
    """``"user"``, ``"contributor"`` or ``"ost"`` (see ``contributors.models.Level``)."""
    if not getattr(user, "pk", None):
        return Level.USER
    level = Profile.objects.filter(user_id=user.pk).values_list("level", flat=True).first()
    return level or Level.USER


def has_verified_contribution(user) -> bool:
    """Whether staff verified at least one contribution of this person (forums ask this)."""
    if not getattr(user, "pk", None):
        return False
    return Contribution.objects.filter(user_id=user.pk, verified_at__isnull=False).exists()


def groups_overview() -> list[Group]:
    today = timezone.localdate()
    current = Membership.objects.current(today).select_related("user")
    return list(
        Group.objects.prefetch_related(
            Prefetch("memberships", queryset=current, to_attr="current_memberships")
        )
    )


def group_detail(slug: str) -> Group | None:
    today = timezone.localdate()
    group = (
        Group.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related(
                    "user", "user__contributor_profile"
                ).order_by("-role", "-term_end", "user__name"),
                to_attr="all_memberships",
            )
        )
        .first()
    )
    if group is None:
        return None
    for m in group.all_memberships:
        # Linked only where everyone may follow: contributors' and OST members' profiles.
        profile = getattr(m.user, "contributor_profile", None)
        public = profile is not None and profile.level in PUBLIC_LEVELS
        m.profile_url = m.user.get_absolute_url() if public else ""
    group.current_memberships = [m for m in group.all_memberships if m.is_current(today)]
    group.past_memberships = [m for m in group.all_memberships if m.term_end <= today]
    group.future_memberships = [m for m in group.all_memberships if m.term_start > today]
    chairs = [m for m in group.current_memberships if m.role == Membership.Role.CHAIR]
    group.current_chair = chairs[0].user if chairs else None
    return group


# --- Contributors -------------------------------------------------------------------------


def _count(queryset: QuerySet, outer: str):
    """A correlated ``COUNT(*)`` of ``queryset`` (already filtered on ``OuterRef``), 0 if none.

    Cheaper than ``Count()`` over a join: no GROUP BY of the whole directory, and the
    paginator's count query needs no join at all.
    """
    counted = queryset.order_by().values(outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def contributor_directory() -> QuerySet[Profile]:
    """Technical contributors and OST members, with their verified contribution counts."""
    verified = Contribution.objects.verified().filter(user_id=OuterRef("user_id"))
    return (
        Profile.objects.filter(level__in=[Level.CONTRIBUTOR, Level.OST])
        .select_related("user")
        .annotate(verified_count=_count(verified, "user_id"))
        .order_by("user__name", "user__email")
    )


def has_contribution_of_kind(kind: str):
    return Exists(Contribution.objects.verified().filter(user_id=OuterRef("user_id"), kind=kind))


def directory_facets() -> dict:
    """Counts beside the filters: people per level and per contribution kind."""
    levels = dict(
        Profile.objects.filter(level__in=[Level.CONTRIBUTOR, Level.OST])
        .values_list("level")
        .annotate(n=Count("pk"))
    )
    people = Profile.objects.filter(level__in=[Level.CONTRIBUTOR, Level.OST]).values("user_id")
    kinds = dict(
        Contribution.objects.verified()
        .filter(user_id__in=people)
        .values_list("kind")
        .annotate(n=Count("user_id", distinct=True))
    )
    return {"levels": levels, "kinds": kinds}


def profile_page(user) -> dict:
    """Everything the public profile shows, in a fixed number of queries."""
    profile = Profile.objects.filter(user=user).first()
    contributions = list(
        Contribution.objects.filter(user=user).select_related("verified_by").order_by("-date")
    )
    history = list(LevelChange.objects.filter(user=user).select_related("changed_by"))
    today = timezone.localdate()
    memberships = list(Membership.objects.current(today).filter(user=user).select_related("group"))
    outcomes = list(Nomination.objects.decided().filter(nominee=user).order_by("-decided_at"))
    return {
        "profile": profile,
        "level": profile.level if profile else Level.USER,
        "level_label": (profile.get_level_display() if profile else Level.USER.label),
        "contributions": contributions,
        "verified_count": sum(1 for c in contributions if c.is_verified),
        "history": history,
        "memberships": memberships,
        "outcomes": outcomes,
        "forum_activity": forum_activity([user.pk]).get(user.pk),
    }


def forum_activity(user_ids: list[int]) -> dict[int, dict[str, int]]:
    """Posts, accepted answers and ideas per person, as the forums app registered them
    (``contributors.activity``); an empty dict when it did not."""
    return activity.counts("forums", user_ids)


# --- Nominations --------------------------------------------------------------------------


def tally(nomination: Nomination) -> Tally:
    """The tally over the eligible (not recused) voters of the roll."""
    eligible = RollEntry.objects.filter(nomination=nomination, recused_at__isnull=True)
    votes = Vote.objects.filter(nomination=nomination).values_list("voter_id", "choice")
    return count_votes(eligible.values_list("voter_id", flat=True), votes)


REVIEW_DECIDED_PAGE_SIZE = 25


def review_queue(viewer, page=None) -> dict:
    """Open nominations and a page of the decided ones for the review list (the viewer's
    own excluded); ``page`` is the number of the decided page, as given."""
    base = (
        Nomination.objects.exclude(nominee=viewer)
        .select_related("nominee")
        .annotate(
            eligible_count=_count(
                RollEntry.objects.filter(nomination=OuterRef("pk"), recused_at__isnull=True),
                "nomination",
            ),
            vote_count=_count(Vote.objects.filter(nomination=OuterRef("pk")), "nomination"),
            my_vote=Exists(Vote.objects.filter(nomination=OuterRef("pk"), voter=viewer)),
            on_my_roll=Exists(
                RollEntry.objects.filter(
                    nomination=OuterRef("pk"), voter=viewer, recused_at__isnull=True
                )
            ),
        )
    )
    return {
        "open": list(base.open().order_by("deadline")),
        "decided": Paginator(
            base.decided().order_by("-decided_at", "-pk"), REVIEW_DECIDED_PAGE_SIZE
        ).get_page(page),
    }


def nomination_review(nomination: Nomination, viewer) -> dict:
    """The evidence, roll, votes and audit trail of one nomination, in fixed queries."""
    nominee = nomination.nominee
    roll = list(RollEntry.objects.filter(nomination=nomination).select_related("voter"))
    votes = list(Vote.objects.filter(nomination=nomination).select_related("voter"))
    by_voter = {v.voter_id: v for v in votes}
    for entry in roll:
        entry.vote = by_voter.get(entry.voter_id)
    result = count_votes(
        [r.voter_id for r in roll if r.recused_at is None], [(v.voter_id, v.choice) for v in votes]
    )
    # The evidence counts what staff verified; the latest list marks which ones they are.
    verified = Contribution.objects.verified().filter(user=nominee)
    by_kind = dict(verified.values_list("kind").annotate(n=Count("pk")))
    by_year_rows = (
        verified.annotate(year=ExtractYear("date"))
        .values_list("year", "kind")
        .annotate(n=Count("pk"))
        .order_by("year")
    )
    by_year: dict[int, dict[str, int]] = defaultdict(dict)
    for year, kind, n in by_year_rows:
        by_year[year][kind] = n
    kinds = Contribution.Kind
    my_entry = next((r for r in roll if r.voter_id == viewer.pk), None)
    return {
        "nomination": nomination,
        "nominee": nominee,
        "roll": roll,
        "votes": votes,
        "tally": result,
        "kinds": kinds,
        "by_kind": [(k.label, by_kind.get(k.value, 0)) for k in kinds],
        "by_year": [
            (year, [counts.get(k.value, 0) for k in kinds], sum(counts.values()))
            for year, counts in sorted(by_year.items())
        ],
        "recent_contributions": list(
            Contribution.objects.filter(user=nominee).select_related("verified_by")[:20]
        ),
        "forum_activity": forum_activity([nominee.pk]).get(nominee.pk),
        "events": list(
            NominationEvent.objects.filter(nomination=nomination).select_related("actor")
        ),
        "my_entry": my_entry,
        "my_vote": next((v for v in votes if v.voter_id == viewer.pk), None),
    }


def nomination_viewer_part(nomination: Nomination, viewer) -> dict:
    """The viewer's own place on a nomination's roll and their vote (two queries)."""
    return {
        "my_entry": RollEntry.objects.filter(nomination=nomination, voter=viewer).first(),
        "my_vote": Vote.objects.filter(nomination=nomination, voter=viewer).first(),
    }


def approved_unsigned_nomination(user) -> Nomination | None:
    """The approved nomination ``user`` has yet to sign the agreement for, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Nomination.objects.filter(
            nominee=user, state=Nomination.State.APPROVED, signature__isnull=True
        )
        .order_by("-decided_at")
        .first()
    )


def nominations_to_vote(user, now=None) -> QuerySet[Nomination]:
    """Open nominations whose roll ``user`` is on (not recused) and has not voted on yet,
    before their deadline: what services.vote_cast would take from them. Soonest first."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Nomination.objects.none()
    return (
        Nomination.objects.open()
        .filter(
            deadline__gt=now or timezone.now(),
            roll__voter=user,
            roll__recused_at__isnull=True,
        )
        .exclude(nominee=user)
        .exclude(Exists(Vote.objects.filter(nomination=OuterRef("pk"), voter=user)))
        # OST members as development staff or vendors have no vote (services.vote_cast).
        .exclude(Exists(non_voting_ost_ids().filter(user_id=user.pk)))
        .select_related("nominee")
        .order_by("deadline", "pk")
    )


def nominations_to_sign(user) -> QuerySet[Nomination]:
    """The approved nominations of ``user`` whose agreement they have yet to sign."""
    if not getattr(user, "is_authenticated", False):
        return Nomination.objects.none()
    return Nomination.objects.filter(
        nominee=user, state=Nomination.State.APPROVED, signature__isnull=True
    ).order_by("-decided_at", "-pk")


# --- Briefings ----------------------------------------------------------------------------

BRIEFINGS_LIST_PREFIX = "briefings-"
LATEST_BRIEFINGS = 3


def briefing_list_id(group: Group) -> str:
    """The mail list of a group's briefings: one per group, so unsubscribing is per group."""
    return f"{BRIEFINGS_LIST_PREFIX}{group.slug}"


def briefing_list_name(slug: str):
    """The name of ``briefings-<slug>``, translated when it is shown (None: no such group)."""
    name = Group.objects.filter(slug=slug).values_list("name", flat=True).first()
    if name is None:
        return None
    return lazy(lambda: gettext("Briefings of %(group)s") % {"group": name}, str)()


def briefing_recipients(group: Group) -> QuerySet[User]:
    """The people a new briefing of ``group`` is mailed to: subscribed and not unsubscribed."""
    return (
        User.objects.filter(briefing_subscriptions__group=group, is_active=True)
        .exclude(
            Exists(
                Unsubscription.objects.filter(
                    user_id=OuterRef("pk"), list_id=briefing_list_id(group)
                )
            )
        )
        .order_by("pk")
    )


def is_subscribed_to_briefings(user, group: Group) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        BriefingSubscription.objects.filter(user=user, group=group).exists()
        and not Unsubscription.objects.filter(user=user, list_id=briefing_list_id(group)).exists()
    )


def briefing_choices(user) -> list[dict]:
    """Every group with whether ``user`` receives its briefings (the mail settings section)."""
    groups = list(Group.objects.order_by("kind", "name"))
    subscribed = set(
        BriefingSubscription.objects.filter(user=user).values_list("group_id", flat=True)
    )
    unsubscribed = set(
        Unsubscription.objects.filter(
            user=user, list_id__startswith=BRIEFINGS_LIST_PREFIX
        ).values_list("list_id", flat=True)
    )
    return [
        {
            "group": group,
            "subscribed": group.pk in subscribed and briefing_list_id(group) not in unsubscribed,
        }
        for group in groups
    ]


def briefing_groups_of(user, *, exclude=()) -> list[Group]:
    """The groups whose briefings ``user`` subscribed to, but those in ``exclude`` (ids)."""
    return list(Group.objects.filter(briefing_subscriptions__user=user).exclude(pk__in=exclude))


def published_briefings(group: Group) -> QuerySet[Briefing]:
    """The archive: a group's published briefings, newest first."""
    return (
        Briefing.objects.published()
        .filter(group=group)
        .select_related("author")
        .order_by("-published_at", "-pk")
    )


def all_published_briefings() -> QuerySet[Briefing]:
    """Every group's published briefings, newest first (the open data feeds and API)."""
    return (
        Briefing.objects.published()
        .select_related("author", "group")
        .order_by("-published_at", "-pk")
    )


def published_briefing(briefing_id: int) -> Briefing | None:
    return all_published_briefings().filter(pk=briefing_id).first()


def group_briefings(group: Group, viewer, *, can_write: bool) -> dict:
    """What the group page shows of its briefings, in a fixed number of queries."""
    drafts = []
    if can_write:
        drafts = list(
            Briefing.objects.drafts()
            .filter(group=group)
            .select_related("author")
            .order_by("-updated_at")
        )
    return {
        "latest_briefings": list(published_briefings(group)[:LATEST_BRIEFINGS]),
        "draft_briefings": drafts,
        "subscribed": is_subscribed_to_briefings(viewer, group),
        "subscriber_count": briefing_recipients(group).count() if can_write else None,
    }


def person_export(user) -> dict:
    """A person's part of the technical community for the export of their data: level and
    its history, contributions, group memberships, nominations about them as far as they
    see them (state and dates: the rationale and the votes are the steering group's), their
    own votes and recusals (by nomination number: who was nominated is someone else's),
    their agreement signatures and their briefing subscriptions."""

    def iso(value):
        return value.isoformat() if value is not None else None

    profile = Profile.objects.filter(user=user).first()
    return {
        "level": {"level": profile.level, "since": iso(profile.level_since)} if profile else None,
        "level_history": [
            {
                "from": c.from_level,
                "to": c.to_level,
                "basis": c.basis,
                "reason": c.reason,
                "changed_at": iso(c.changed_at),
            }
            for c in LevelChange.objects.filter(user=user).order_by("changed_at", "pk")
        ],
        "contributions": [
            {
                "kind": c.kind,
                "title": c.title,
                "link": c.link,
                "date": iso(c.date),
                "verified": c.verified_at is not None,
                "added_at": iso(c.created_at),
            }
            for c in Contribution.objects.filter(user=user).order_by("date", "pk")
        ],
        "group_memberships": [
            {
                "group": m.group.name,
                "role": m.role,
                "term_start": iso(m.term_start),
                "term_end": iso(m.term_end),
            }
            for m in Membership.objects.filter(user=user).select_related("group").order_by("pk")
        ],
        "nominations_about_me": [
            {
                "nomination": n.pk,
                "state": n.state,
                "opened_at": iso(n.opened_at),
                "deadline": iso(n.deadline),
                "decided_at": iso(n.decided_at),
            }
            for n in Nomination.objects.filter(nominee=user).order_by("opened_at", "pk")
        ],
        "my_votes": [
            {
                "nomination": v.nomination_id,
                "choice": v.choice,
                "comment": v.comment,
                "cast_at": iso(v.cast_at),
                "changed_at": iso(v.changed_at),
            }
            for v in Vote.objects.filter(voter=user).order_by("cast_at", "pk")
        ],
        "my_recusals": [
            {"nomination": r.nomination_id, "at": iso(r.recused_at), "reason": r.recusal_reason}
            for r in RollEntry.objects.filter(voter=user, recused_at__isnull=False)
        ],
        "agreement_signatures": [
            {
                "agreement": s.agreement.version,
                "full_name": s.full_name,
                "orcid_id": s.orcid_id,
                "signed_at": iso(s.signed_at),
                "ip_address": s.ip_address,
            }
            for s in Signature.objects.filter(signer=user).select_related("agreement")
        ],
        "briefing_subscriptions": [
            {"group": s.group.name}
            for s in BriefingSubscription.objects.filter(user=user).select_related("group")
        ],
        "briefings_written": [
            {"group": b.group.name, "title": b.title, "published_at": iso(b.published_at)}
            for b in Briefing.objects.filter(author=user).select_related("group")
        ],
    }
