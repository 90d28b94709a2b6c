"""Every state change of the events app: atomic, keyword-only, typed.

Sign-ups and programme changes lock the meeting row first (``_lock_meeting``): that is
what makes two people taking the last seat, or two reviewers scheduling the same room,
happen one after the other. Mail goes through ``mail.services.deliver`` (after commit,
exactly once per recipient and thing).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from contributors import services as contributors_services
from contributors.models import Contribution
from core.errors import InvalidInput, NotAllowed, RuleViolation, full_clean
from events import permissions
from events.models import Meeting, Registration, Session, Speaker
from mail.services import deliver

logger = logging.getLogger(__name__)

LIST_ID = "events"
MAX_SPEAKERS = 5
REMINDER_AHEAD = timedelta(hours=24)


def _lock_meeting(meeting: Meeting) -> Meeting:
    # select_for_update is a no-op on SQLite, where IMMEDIATE transactions serialize writers.
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


# --- Call for sessions ---------------------------------------------------------------------


@transaction.atomic
def session_propose(
    *,
    meeting: Meeting,
    by: User,
    title: str,
    abstract: str,
    co_speakers: list[User] | None = None,
    now: datetime | None = None,
) -> Session:
    """A signed-in person proposes a session while the meeting's call is open."""
    now = now or timezone.now()
    if not getattr(by, "is_authenticated", False):
        raise NotAllowed(_("Sign in to propose a session."))
    meeting = _lock_meeting(meeting)
    if not meeting.call_is_open(now):
        raise RuleViolation(_("The call for sessions of this meeting is not open."))
    speakers = [by]
    for person in co_speakers or []:
        if person.pk not in {s.pk for s in speakers}:
            speakers.append(person)
    if len(speakers) > MAX_SPEAKERS:
        raise InvalidInput(_("A session has at most %(count)d speakers.") % {"count": MAX_SPEAKERS})
    for person in speakers:
        if not person.orcid_id:
            raise InvalidInput(
                _(
                    "Every speaker needs a verified ORCID iD: %(name)s has not connected ORCID "
                    "on the portal yet."
                )
                % {"name": person.display_name}
            )
    session = Session(
        meeting=meeting,
        title=(title or "").strip(),
        abstract=(abstract or "").strip(),
        proposed_by=by,
        proposed_at=now,
    )
    full_clean(session)
    session.save()
    Speaker.objects.bulk_create(
        Speaker(session=session, user=person, position=i) for i, person in enumerate(speakers)
    )
    return session


def _check_slot(
    *, meeting: Meeting, session: Session, starts_at: datetime, ends_at: datetime, room: str
) -> None:
    if not room:
        raise InvalidInput(_("Give the room or stream of the session."))
    if ends_at <= starts_at:
        raise InvalidInput(_("A session ends after it starts."))
    if starts_at < meeting.starts_at or ends_at > meeting.ends_at:
        raise InvalidInput(_("The session must take place during the meeting."))
    # Touching slots (one ends at 10:00, the next starts at 10:00) share a room fine.
    clash = (
        Session.objects.on_programme()
        .filter(meeting=meeting, room__iexact=room, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(pk=session.pk)
        .first()
    )
    if clash is not None:
        raise RuleViolation(
            _("“%(room)s” is already taken at that time by “%(title)s”.")
            % {"room": room, "title": clash.title}
        )


def _notify_outcome(session: Session) -> None:
    speakers = [s.user for s in session.speakers.select_related("user")]
    accepted = session.state == Session.State.ACCEPTED
    deliver(
        recipients=speakers,
        kind="events.session_accepted" if accepted else "events.session_declined",
        about=session,
        subject=(
            _("Your session “%(title)s” is on the programme")
            if accepted
            else _("Your session proposal “%(title)s”")
        ),
        subject_params={"title": session.title},
        template="events/email/session_outcome",
        context={
            "session": session,
            "meeting": session.meeting,
            "accepted": accepted,
            "url": _absolute(session.get_absolute_url()),
        },
        list_id=LIST_ID,
    )


@transaction.atomic
def session_accept(
    *,
    session: Session,
    by: User,
    starts_at: datetime,
    ends_at: datetime,
    room: str,
    note: str = "",
) -> Session:
    """A reviewer puts a proposal on the programme in a free room and slot; speakers are told."""
    if not permissions.can_review_sessions(by):
        raise NotAllowed(_("Only ORCID staff and the technical steering group review sessions."))
    meeting = _lock_meeting(session.meeting)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.state != Session.State.PROPOSED:
        raise RuleViolation(_("This proposal has already been reviewed."))
    room = (room or "").strip()
    _check_slot(meeting=meeting, session=session, starts_at=starts_at, ends_at=ends_at, room=room)
    session.state = Session.State.ACCEPTED
    session.starts_at, session.ends_at, session.room = starts_at, ends_at, room
    session.review_note = (note or "").strip()
    session.reviewed_by, session.reviewed_at = by, timezone.now()
    full_clean(session)
    session.save()
    session.meeting = meeting
    _notify_outcome(session)
    return session


@transaction.atomic
def session_decline(*, session: Session, by: User, note: str) -> Session:
    """A reviewer declines a proposal with a note to the speakers, who are told."""
    if not permissions.can_review_sessions(by):
        raise NotAllowed(_("Only ORCID staff and the technical steering group review sessions."))
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Tell the speakers why the proposal is declined."))
    meeting = _lock_meeting(session.meeting)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.state != Session.State.PROPOSED:
        raise RuleViolation(_("This proposal has already been reviewed."))
    session.state = Session.State.DECLINED
    session.review_note = note
    session.reviewed_by, session.reviewed_at = by, timezone.now()
    session.save()
    session.meeting = meeting
    _notify_outcome(session)
    return session


@transaction.atomic
def session_set_slides(
    *, session: Session, by: User, slides_url: str, now: datetime | None = None
) -> Session:
    """A speaker or staff add the slides link once the session has started."""
    if not permissions.can_edit_session(by, session):
        raise NotAllowed(_("Only the speakers and ORCID staff add the slides."))
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_on_programme or session.starts_at > (now or timezone.now()):
        raise RuleViolation(_("Slides are added once the session has started."))
    session.slides_url = (slides_url or "").strip()
    full_clean(session)
    session.save(update_fields=["slides_url"])
    return session


@transaction.atomic
def session_mark_held(*, session: Session, by: User, now: datetime | None = None) -> int:
    """Staff mark a session as held: each speaker gets a verified talk contribution, once.

    Returns how many contributions were recorded (0 the second time).
    """
    if not permissions.can_manage_programme(by):
        raise NotAllowed(_("Only ORCID staff mark a session as held."))
    now = now or timezone.now()
    session = Session.objects.select_for_update().select_related("meeting").get(pk=session.pk)
    if not session.is_on_programme:
        raise RuleViolation(_("Only a session on the programme can be held."))
    if session.ends_at > now:
        raise RuleViolation(_("A session is marked as held once it has ended."))
    if session.state != Session.State.HELD:
        session.state = Session.State.HELD
        session.held_at = now
        session.save(update_fields=["state", "held_at"])
    meeting = session.meeting
    # The date where the talk was given, but never after today (contributions are not
    # dated in the future, and far east of UTC the local date is a day ahead).
    talk_date = min(session.starts_at.astimezone(meeting.tz).date(), timezone.localdate())
    title = f"{session.title} — {meeting.title}"[:200]
    link = _absolute(session.get_absolute_url())
    recorded = 0
    for speaker in Speaker.objects.select_for_update().filter(
        session=session, contribution_id__isnull=True
    ):
        contribution = contributors_services.contribution_add(
            user=speaker.user,
            by=by,
            kind=Contribution.Kind.TALK,
            title=title,
            date=talk_date,
            link=link,
        )
        speaker.contribution_id = contribution.pk
        speaker.save(update_fields=["contribution_id"])
        recorded += 1
    return recorded


# --- Sign-up -------------------------------------------------------------------------------


def _confirmed_count(meeting: Meeting) -> int:
    return Registration.objects.filter(meeting=meeting, state=Registration.State.CONFIRMED).count()


@transaction.atomic
def meeting_register(*, meeting: Meeting, by: User, now: datetime | None = None) -> Registration:
    """Take a seat, or a place on the waiting list when the meeting is full."""
    now = now or timezone.now()
    if not getattr(by, "is_authenticated", False):
        raise NotAllowed(_("Sign in to register."))
    # The lock makes concurrent sign-ups for the last seat count one after the other.
    meeting = _lock_meeting(meeting)
    if meeting.has_ended(now):
        raise RuleViolation(_("This meeting is over: registration is closed."))
    registration = Registration.objects.filter(meeting=meeting, user=by).first()
    if registration is not None and registration.state != Registration.State.CANCELLED:
        raise RuleViolation(_("You are already registered for this meeting."))
    state = (
        Registration.State.CONFIRMED
        if _confirmed_count(meeting) < meeting.capacity
        else Registration.State.WAITING
    )
    if registration is None:
        registration = Registration(meeting=meeting, user=by)
    registration.state = state
    registration.signed_up_at = now
    registration.promoted_at = None
    registration.cancelled_at = None
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        raise RuleViolation(_("You are already registered for this meeting.")) from exc
    return registration


def _promote_waiting(meeting: Meeting, now: datetime) -> list[Registration]:
    free = meeting.capacity - _confirmed_count(meeting)
    if free <= 0:
        return []
    promoted = list(
        Registration.objects.select_for_update()
        .filter(meeting=meeting, state=Registration.State.WAITING)
        .select_related("user")
        .order_by("signed_up_at", "pk")[:free]
    )
    for registration in promoted:
        registration.state = Registration.State.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["state", "promoted_at"])
        deliver(
            recipients=[registration.user],
            kind="events.promoted",
            about=registration,
            # A person may move up again after cancelling and waiting again: one mail each time.
            period=now.strftime("%Y%m%dT%H%M%S%f"),
            subject=_("A seat is free for you at %(title)s"),
            subject_params={"title": meeting.title},
            template="events/email/promoted",
            context={"meeting": meeting, "url": _absolute(meeting.get_absolute_url())},
            list_id=LIST_ID,
        )
    return promoted


@transaction.atomic
def registration_cancel(
    *, meeting: Meeting, by: User, now: datetime | None = None
) -> list[Registration]:
    """Give up a seat (or a waiting place); the first on the waiting list moves up, with mail.

    Returns the registrations that moved up.
    """
    now = now or timezone.now()
    meeting = _lock_meeting(meeting)
    if meeting.has_ended(now):
        raise RuleViolation(_("This meeting is over."))
    registration = (
        Registration.objects.select_for_update()
        .filter(meeting=meeting, user=by)
        .exclude(state=Registration.State.CANCELLED)
        .first()
    )
    if registration is None:
        raise RuleViolation(_("You are not registered for this meeting."))
    registration.state = Registration.State.CANCELLED
    registration.cancelled_at = now
    registration.save(update_fields=["state", "cancelled_at"])
    return _promote_waiting(meeting, now)


@transaction.atomic
def meeting_save(*, meeting: Meeting, by: User, now: datetime | None = None) -> Meeting:
    """Staff create or edit a meeting (the admin); new seats move the waiting list up."""
    if not permissions.can_manage_programme(by):
        raise NotAllowed(_("Only ORCID staff change the programme."))
    existing = meeting.pk is not None and Meeting.objects.filter(pk=meeting.pk).exists()
    if existing:
        _lock_meeting(meeting)  # sign-ups wait while the capacity changes
    full_clean(meeting)
    meeting.save()
    if existing:
        meeting_fill_free_seats(meeting=meeting, now=now)
    return meeting


@transaction.atomic
def meeting_fill_free_seats(*, meeting: Meeting, now: datetime | None = None) -> int:
    """After staff raise the capacity: move people up from the waiting list (with mail)."""
    meeting = _lock_meeting(meeting)
    return len(_promote_waiting(meeting, now or timezone.now()))


# --- Reminders -----------------------------------------------------------------------------


@transaction.atomic
def meeting_send_reminders(*, meeting: Meeting) -> int:
    """Remind everyone with a seat; a person already reminded is skipped by ``deliver``."""
    people = [
        r.user
        for r in Registration.objects.filter(
            meeting=meeting, state=Registration.State.CONFIRMED
        ).select_related("user")
    ]
    return deliver(
        recipients=people,
        kind="events.reminder",
        about=meeting,
        subject=_("Reminder: %(title)s starts tomorrow"),
        subject_params={"title": meeting.title},
        template="events/email/reminder",
        context={
            "meeting": meeting,
            "url": _absolute(meeting.get_absolute_url()),
            "ics_url": _absolute(f"{meeting.get_absolute_url()}calendar.ics"),
        },
        list_id=LIST_ID,
    )


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Remind people of every meeting starting within the next day (idempotent)."""
    now = now or timezone.now()
    sent = 0
    for meeting in Meeting.objects.filter(starts_at__gt=now, starts_at__lte=now + REMINDER_AHEAD):
        sent += meeting_send_reminders(meeting=meeting)
    return sent


@transaction.atomic
def person_erase(user: User) -> None:
    """A person's account is deleted: their seats in meetings still to come are given up
    (the waiting list moves up, as when they cancel), then their registrations and their
    places among the speakers go. Sessions they proposed stay (the programme), by "a former
    member"."""
    now = timezone.now()
    upcoming = (
        Registration.objects.filter(user=user)
        .exclude(state=Registration.State.CANCELLED)
        .select_related("meeting")
    )
    for registration in upcoming:
        if not registration.meeting.has_ended(now):
            registration_cancel(meeting=registration.meeting, by=user, now=now)
    Registration.objects.filter(user=user).delete()
    Speaker.objects.filter(user=user).delete()
