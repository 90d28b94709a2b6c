"""Demo outreach meetings for `manage.py seed_demo` (idempotent: meetings by slug,
sessions by title, registrations by person).

Seed data is history, not people acting now: rows are written directly (no mail). Past
sessions are marked as held through the service, which records each speaker's talk in
the contributors app only once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from core.regions import Region
from events import services
from events.models import Meeting, Registration, Session, Speaker


def _at(days: int, hour: int, tz: str) -> datetime:
    """A round local hour ``days`` from today in the meeting's time zone."""
    day = (timezone.now() + timedelta(days=days)).astimezone(ZoneInfo(tz)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(tz))


MEETINGS = [
    # slug, title, region, tz, days from today, place, online link, capacity, call (days)
    ("americas-2025", "ORCID Americas outreach meeting", Region.AMERICAS, "America/Mexico_City",
     -150, "Universidad Nacional Autónoma de México, Mexico City", "", 120, (-240, -180)),
    ("emea-2025", "ORCID EMEA outreach meeting", Region.EMEA, "Europe/Berlin",
     -75, "Humboldt-Universität zu Berlin", "https://meet.example.org/orcid-emea", 150, (-160, -110)),
    ("apac-2026", "ORCID Asia-Pacific outreach meeting", Region.APAC, "Australia/Sydney",
     21, "University of Melbourne", "https://meet.example.org/orcid-apac", 3, (-40, -5)),
    ("api-day-2026", "ORCID API community day (online)", Region.AMERICAS, "America/New_York",
     60, "", "https://meet.example.org/orcid-api-day", 200, (-10, 30)),
]  # fmt: skip

SESSIONS = {
    # slug: [(title, speakers, day offset, hour, room, state)]
    "americas-2025": [
        ("Sign in with ORCID in a national CRIS", ["contributor", "lead"], 0, 10, "Main hall", "held"),
        ("Affiliations with ROR IDs through the member API", ["chair"], 0, 11, "Main hall", "held"),
    ],
    "emea-2025": [
        ("Harvesting works with the public API at scale", ["contributor2"], 0, 14, "Room 1", "held"),
        ("Our consortium's onboarding checklist, one year on", ["steering2"], 0, 14, "Room 2", "held"),
    ],
    "apac-2026": [
        ("OAuth pitfalls and how to avoid them", ["ost"], 0, 9, "Stage", "accepted"),
        ("Peer review items via the ORCID API", ["steering1", "member"], 0, 10, "Stage", "accepted"),
        ("Batch-updating employment records", ["contributor2"], 0, 0, "", "proposed"),
    ],
    "api-day-2026": [
        ("What's new in API 3.0", ["devstaff"], 0, 11, "Stream A", "accepted"),
        ("ORCID in a research data repository", ["contributor"], 0, 0, "", "proposed"),
    ],
}  # fmt: skip

# slug: people with a seat, then people on the waiting list (in order)
REGISTRATIONS = {
    "emea-2025": (["contributor2", "steering2", "member", "lead"], []),
    "apac-2026": (["member", "steering1", "ost"], ["contributor", "user"]),
    "api-day-2026": (["contributor", "lead", "user"], []),
}


def seed(stdout, context: dict) -> None:
    people = context["people"]
    staff = people["staff"]
    for slug, title, region, tz, days, place, link, capacity, (c_open, c_close) in MEETINGS:
        starts = _at(days, 9, tz)
        meeting, _ = Meeting.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "region": region,
                "time_zone": tz,
                "starts_at": starts,
                "ends_at": starts + timedelta(days=1, hours=8),
                "place": place,
                "online_url": link,
                "capacity": capacity,
                "description": (
                    f"The {title} brings together the people who use and build on ORCID "
                    "in the region: **technical sessions**, a hands-on API workshop and "
                    "time to share experiences with the community."
                ),
                "call_opens_at": _at(c_open, 9, tz),
                "call_closes_at": _at(c_close, 17, tz),
            },
        )
        for title_, keys, day, hour, room, state in SESSIONS.get(slug, []):
            session = Session.objects.filter(meeting=meeting, title=title_).first()
            if session is None:
                slot = _at(days + day, hour, tz) if room else None
                session = Session.objects.create(
                    meeting=meeting,
                    title=title_,
                    abstract=f"{title_}: what we did, what worked, and what we would do "
                    "differently. Bring your questions.",
                    state=Session.State.PROPOSED if state == "proposed" else Session.State.ACCEPTED,
                    proposed_by=people[keys[0]],
                    proposed_at=meeting.call_opens_at + timedelta(days=1),
                    starts_at=slot,
                    ends_at=slot + timedelta(minutes=50) if slot else None,
                    room=room,
                    reviewed_by=staff if room else None,
                    reviewed_at=meeting.call_closes_at if room else None,
                )
                for position, key in enumerate(keys):
                    Speaker.objects.create(session=session, user=people[key], position=position)
            if state == "held":
                services.session_mark_held(session=session, by=staff)
        confirmed, waiting = REGISTRATIONS.get(slug, ([], []))
        base = meeting.call_opens_at
        for n, (key, registration_state) in enumerate(
            [(k, Registration.State.CONFIRMED) for k in confirmed]
            + [(k, Registration.State.WAITING) for k in waiting]
        ):
            Registration.objects.get_or_create(
                meeting=meeting,
                user=people[key],
                defaults={"state": registration_state, "signed_up_at": base + timedelta(hours=n)},
            )
    stdout.write(f"  outreach meetings: {Meeting.objects.count()}")
