"""Calendar files, per meeting and per session, in the meeting's time zone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.factories.events import MeetingFactory, SessionFactory

pytestmark = pytest.mark.django_db

SYDNEY = ZoneInfo("Australia/Sydney")


@pytest.fixture
def sydney():
    starts = datetime(2031, 3, 4, 9, 0, tzinfo=SYDNEY)
    meeting = MeetingFactory(
        slug="apac-2031",
        title="ORCID Asia-Pacific outreach meeting",
        time_zone="Australia/Sydney",
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
        place="University of Sydney",
        online_url="https://meet.example.org/apac",
    )
    SessionFactory(
        meeting=meeting,
        title="OAuth pitfalls",
        starts_at=starts + timedelta(hours=1),
        ends_at=starts + timedelta(hours=2),
        room="Stage",
    )
    SessionFactory(meeting=meeting, proposal=True, title="Not on the programme")
    return meeting


def test_the_meeting_file_has_the_meeting_and_its_programme_in_its_time_zone(client, sydney):
    response = client.get("/events/apac-2031/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert 'filename="apac-2031.ics"' in response["Content-Disposition"]
    body = response.content.decode()
    assert "DTSTART;TZID=Australia/Sydney:20310304T090000" in body
    assert "DTSTART;TZID=Australia/Sydney:20310304T100000" in body
    assert "BEGIN:VTIMEZONE" in body
    assert "TZID:Australia/Sydney" in body
    calendar = Calendar.from_ical(response.content)
    summaries = [str(e["summary"]) for e in calendar.walk("VEVENT")]
    assert summaries == [
        "ORCID Asia-Pacific outreach meeting",
        "OAuth pitfalls (ORCID Asia-Pacific outreach meeting)",
    ]
    first = calendar.walk("VEVENT")[0]
    assert first.decoded("dtstart") == sydney.starts_at


def test_the_session_file_has_one_event_with_room_and_speakers(client, sydney):
    session = sydney.sessions.get(title="OAuth pitfalls")
    response = client.get(f"/events/apac-2031/sessions/{session.pk}/calendar.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == session.starts_at
    assert "Stage" in str(event["location"])
    assert session.speakers.first().user.display_name in str(event["description"])
    assert "TZID=Australia/Sydney" in response.content.decode()


def test_a_proposal_has_no_calendar_file(client, sydney, staff):
    proposal = sydney.sessions.get(title="Not on the programme")
    client.force_login(staff)
    response = client.get(f"/events/apac-2031/sessions/{proposal.pk}/calendar.ics")
    assert response.status_code == 400
    client.logout()
    response = client.get(f"/events/apac-2031/sessions/{proposal.pk}/calendar.ics")
    assert response.status_code == 404
