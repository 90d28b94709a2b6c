"""Read queries of the events app: each page runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from events import permissions
from events.models import Meeting, Registration, Session, Speaker


def _with_counts(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return queryset.annotate(
        confirmed_count=Count(
            "registrations", filter=Q(registrations__state=Registration.State.CONFIRMED)
        ),
        waiting_count=Count(
            "registrations", filter=Q(registrations__state=Registration.State.WAITING)
        ),
    )


def _speakers() -> Prefetch:
    return Prefetch("speakers", queryset=Speaker.objects.select_related("user"))


@dataclass
class MeetingList:
    upcoming: list[Meeting]
    past: list[Meeting]


def meeting_list(*, region: str = "", now: datetime | None = None) -> MeetingList:
    """Upcoming and past meetings, optionally of one region (two queries)."""
    now = now or timezone.now()
    meetings = _with_counts(Meeting.objects.all())
    if region:
        meetings = meetings.filter(region=region)
    return MeetingList(
        upcoming=list(meetings.upcoming(now)),
        past=list(meetings.past(now)),
    )


def meetings(*, region: str = "", upcoming: bool = True, now: datetime | None = None):
    """Upcoming (soonest first) or past (latest first) meetings, of one region or all: a
    query set, for lists that paginate (the open data API and calendar)."""
    queryset = Meeting.objects.all()
    if region:
        queryset = queryset.filter(region=region)
    return queryset.upcoming(now) if upcoming else queryset.past(now)


def next_meetings(*, limit: int = 3, now: datetime | None = None) -> list[Meeting]:
    """The next outreach meetings for the home page (one query)."""
    return list(Meeting.objects.upcoming(now)[:limit])


@dataclass
class MeetingPage:
    meeting: Meeting
    programme: list[Session]
    registration: Registration | None = None
    waiting_position: int | None = None
    my_proposals: list[Session] = field(default_factory=list)
    can_review: bool = False
    proposals_to_review: int = 0
    call_open: bool = False
    has_ended: bool = False

    @property
    def seats_left(self) -> int:
        return max(self.meeting.capacity - self.meeting.confirmed_count, 0)


def meeting_page(*, slug: str, user, now: datetime | None = None) -> MeetingPage:
    """A meeting with its programme and what the visitor may do there."""
    now = now or timezone.now()
    meeting = _with_counts(Meeting.objects.filter(slug=slug)).first()
    if meeting is None:
        raise Http404
    programme = list(
        meeting.sessions.on_programme()
        .prefetch_related(_speakers())
        .order_by("starts_at", "room", "pk")
    )
    page = MeetingPage(
        meeting=meeting,
        programme=programme,
        call_open=meeting.call_is_open(now),
        has_ended=meeting.has_ended(now),
    )
    if getattr(user, "is_authenticated", False):
        page.registration = Registration.objects.filter(meeting=meeting, user=user).active().first()
        if page.registration and page.registration.state == Registration.State.WAITING:
            page.waiting_position = (
                Registration.objects.filter(meeting=meeting, state=Registration.State.WAITING)
                .filter(
                    Q(signed_up_at__lt=page.registration.signed_up_at)
                    | Q(signed_up_at=page.registration.signed_up_at, pk__lt=page.registration.pk)
                )
                .count()
                + 1
            )
        page.my_proposals = list(
            meeting.sessions.exclude(state__in=[Session.State.ACCEPTED, Session.State.HELD])
            .filter(speakers__user=user)
            .order_by("-proposed_at")
        )
        page.can_review = permissions.can_review_sessions(user)
        if page.can_review:
            page.proposals_to_review = meeting.sessions.awaiting_review().count()
    return page


def proposals_for_review(meeting: Meeting) -> dict[str, list[Session]]:
    """Proposals awaiting review first, then the reviewed ones (two queries)."""
    sessions = list(
        meeting.sessions.select_related("reviewed_by")
        .prefetch_related(_speakers())
        .order_by("proposed_at", "pk")
    )
    return {
        "waiting": [s for s in sessions if s.state == Session.State.PROPOSED],
        "reviewed": [s for s in sessions if s.state != Session.State.PROPOSED],
    }


def meeting_for_calendar(slug: str) -> Meeting:
    meeting = (
        Meeting.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=Session.objects.on_programme().prefetch_related(_speakers()),
                to_attr="programme",
            )
        )
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def registrations_of(meeting: Meeting) -> dict[str, list[Registration]]:
    """Who has a seat and who waits, for staff (one query)."""
    rows = list(
        Registration.objects.filter(meeting=meeting)
        .active()
        .select_related("user")
        .order_by("signed_up_at", "pk")
    )
    return {
        "confirmed": [r for r in rows if r.state == Registration.State.CONFIRMED],
        "waiting": [r for r in rows if r.state == Registration.State.WAITING],
    }


# --- What waits for a person (the to-do page, orcid_community.todo) ----------------------


def proposals_to_review(user, now: datetime | None = None) -> QuerySet[Session]:
    """Session proposals of meetings still to come, for those who review them
    (permissions.can_review_sessions), the oldest proposal first."""
    if not permissions.can_review_sessions(user):
        return Session.objects.none()
    return (
        Session.objects.awaiting_review()
        .filter(meeting__ends_at__gt=now or timezone.now())
        .select_related("meeting")
        .order_by("proposed_at", "pk")
    )


def own_registrations(user, now: datetime | None = None) -> QuerySet[Registration]:
    """The person's seats and places on a waiting list for meetings still to come."""
    if not getattr(user, "is_authenticated", False):
        return Registration.objects.none()
    return (
        Registration.objects.active()
        .filter(user=user, meeting__ends_at__gt=now or timezone.now())
        .select_related("meeting")
        .order_by("meeting__starts_at", "pk")
    )


def person_export(user) -> dict:
    """A person's part of the outreach meetings for the export of their data: their
    registrations and the sessions they proposed or speak at (not who else speaks)."""

    def iso(value):
        return value.isoformat() if value is not None else None

    registrations = [
        {
            "meeting": r.meeting.title,
            "state": r.state,
            "signed_up_at": iso(r.signed_up_at),
            "moved_up_at": iso(r.promoted_at),
            "cancelled_at": iso(r.cancelled_at),
        }
        for r in Registration.objects.filter(user=user).select_related("meeting").order_by("pk")
    ]
    sessions = [
        {
            "meeting": s.meeting.title,
            "title": s.title,
            "abstract": s.abstract,
            "state": s.state,
            "proposed_by_me": s.proposed_by_id == user.pk,
            "starts_at": iso(s.starts_at),
            "proposed_at": iso(s.proposed_at),
        }
        for s in Session.objects.filter(Q(proposed_by=user) | Q(speakers__user=user))
        .select_related("meeting")
        .distinct()
        .order_by("pk")
    ]
    return {"registrations": registrations, "sessions": sessions}
