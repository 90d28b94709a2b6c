"""iCalendar files for a meeting and for one session, in the meeting's time zone.

Times are written with the meeting's TZID and the matching VTIMEZONE component, so a
calendar shows the session at the right moment wherever the reader is.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from events.models import Meeting, Session


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//ORCID Community Portal//Outreach meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


def _url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _location(meeting: Meeting, room: str = "") -> str:
    parts = [p for p in (room, meeting.place, meeting.online_url) if p]
    return ", ".join(parts)


def _meeting_event(meeting: Meeting) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@{settings.MAIL_LIST_ID_DOMAIN}")
    event.add("dtstamp", timezone.now())
    event.add("summary", meeting.title)
    event.add("dtstart", meeting.starts_at.astimezone(meeting.tz))
    event.add("dtend", meeting.ends_at.astimezone(meeting.tz))
    event.add("location", _location(meeting))
    event.add("url", _url(meeting.get_absolute_url()))
    event.add("description", meeting.description)
    return event


def _session_event(session: Session, meeting: Meeting) -> Event:
    event = Event()
    event.add("uid", f"session-{session.pk}@{settings.MAIL_LIST_ID_DOMAIN}")
    event.add("dtstamp", timezone.now())
    event.add("summary", f"{session.title} ({meeting.title})")
    event.add("dtstart", session.starts_at.astimezone(meeting.tz))
    event.add("dtend", session.ends_at.astimezone(meeting.tz))
    event.add("location", _location(meeting, session.room))
    event.add("url", _url(session.get_absolute_url()))
    speakers = ", ".join(s.user.display_name for s in session.speakers.all())
    event.add("description", f"{speakers}\n\n{session.abstract}".strip())
    return event


def meeting_ics(meeting: Meeting) -> bytes:
    """The meeting and every session of its programme."""
    calendar = _calendar()
    calendar.add("x-wr-calname", meeting.title)
    calendar.add("x-wr-timezone", meeting.time_zone)
    calendar.add_component(_meeting_event(meeting))
    for session in getattr(meeting, "programme", None) or meeting.sessions.on_programme():
        calendar.add_component(_session_event(session, meeting))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def session_ics(session: Session) -> bytes:
    calendar = _calendar()
    calendar.add_component(_session_event(session, session.meeting))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meetings_ics(meetings, *, name: str) -> bytes:
    """A calendar of ``meetings`` (each in its own time zone), called ``name``."""
    calendar = _calendar()
    calendar.add("x-wr-calname", name)
    for meeting in meetings:
        calendar.add_component(_meeting_event(meeting))
    calendar.add_missing_timezones()
    return calendar.to_ical()
