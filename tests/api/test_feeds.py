"""The calendar and the Atom feeds, read as their clients read them (icalendar's parser,
an XML parser), and linked from their pages with <link rel="alternate">."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from consortia.models import Verification
from forums import services as forum_services
from tests.factories.accounts import grant
from tests.factories.consortia import ConsortiumFactory, ProgressReportFactory, verifier
from tests.factories.contributors import BriefingFactory, GroupFactory
from tests.factories.events import MeetingFactory
from tests.factories.forums import IdeaFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    return [entry.find(f"{ATOM}title").text for entry in feed.iter(f"{ATOM}entry")]


def _alternates(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    return [line for line in html.splitlines() if 'rel="alternate"' in line and "href=" in line]


# --- the calendar ---------------------------------------------------------------------------


def test_the_calendar_holds_the_upcoming_meetings_in_their_time_zones(client):
    MeetingFactory(title="Berlin meeting", region="emea", time_zone="Europe/Berlin")
    MeetingFactory(title="Lima meeting", region="americas", time_zone="America/Lima")
    MeetingFactory(title="Old meeting", past=True)

    response = client.get("/events/calendar.ics")

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Berlin meeting", "Lima meeting"}
    assert str(events["Berlin meeting"].decoded("DTSTART").tzinfo) == "Europe/Berlin"
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {
        "Europe/Berlin",
        "America/Lima",
    }
    assert "/events/outreach-" in str(events["Berlin meeting"]["URL"])


def test_the_calendar_of_one_region(client):
    MeetingFactory(title="Berlin meeting", region="emea")
    MeetingFactory(title="Lima meeting", region="americas")

    calendar = Calendar.from_ical(client.get("/events/calendar.ics?region=americas").content)

    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Lima meeting"]
    assert "Americas" in str(calendar["X-WR-CALNAME"])
    assert client.get("/events/calendar.ics?region=mars").status_code == 400


def test_the_meetings_page_links_its_calendar(client):
    assert any("/events/calendar.ics" in line for line in _alternates(client, "/events/"))
    assert any(
        "/events/calendar.ics?region=emea" in line
        for line in _alternates(client, "/events/?region=emea")
    )


# --- briefings ------------------------------------------------------------------------------


def test_briefing_feeds_of_all_groups_and_of_one_hold_published_briefings(client):
    docs = GroupFactory(slug="docs", name="Documentation")
    BriefingFactory(group=docs, title="Docs news")
    BriefingFactory(title="Other news", published_at=timezone.now() - timedelta(days=2))
    BriefingFactory(group=docs, title="A draft", published_at=None)

    assert _entries(client.get("/groups/briefings.atom")) == ["Docs news", "Other news"]
    assert _entries(client.get("/groups/docs/briefings.atom")) == ["Docs news"]
    assert client.get("/groups/unknown/briefings.atom").status_code == 404
    assert any("/groups/briefings.atom" in line for line in _alternates(client, "/groups/"))
    for page in ("/groups/docs/", "/groups/docs/briefings/"):
        assert any("/groups/docs/briefings.atom" in line for line in _alternates(client, page))


# --- progress reports -----------------------------------------------------------------------


def test_the_report_feed_of_a_verified_consortium(client):
    consortium = ConsortiumFactory(slug="nordic", name="ORCID Nordic")
    ProgressReportFactory(consortium=consortium, title="Year one", body="We **grew**.")

    response = client.get("/consortia/nordic/reports.atom")

    assert _entries(response) == ["Year one"]
    assert b"&lt;strong&gt;grew&lt;/strong&gt;" in response.content
    assert any(
        "/consortia/nordic/reports.atom" in line
        for line in _alternates(client, "/consortia/nordic/")
    )


def test_an_unverified_consortium_has_no_report_feed_nor_link(client):
    proposed = ConsortiumFactory(slug="proposed", verification=Verification.UNVERIFIED)
    ProgressReportFactory(consortium=proposed, title="Secret")
    # Staff who verify see the page; the feed is public, so it is 404 to everyone.
    client.force_login(verifier())

    assert client.get("/consortia/proposed/reports.atom").status_code == 404
    assert not any("reports.atom" in line for line in _alternates(client, "/consortia/proposed/"))


# --- iDeas status changes -------------------------------------------------------------------


def test_the_idea_status_feed_holds_each_change(client):
    idea = IdeaFactory(title="Dark mode")
    staff = grant(idea.author, "forums.set_idea_status")
    forum_services.idea_status_set(idea=idea, by=staff, status="planned", note="Next **quarter**.")
    forum_services.idea_status_set(idea=idea, by=staff, status="done", note="Shipped.")

    assert _entries(client.get("/forums/ideas/status.atom")) == [
        "Dark mode: done",
        "Dark mode: planned",
    ]
    assert any(
        "/forums/ideas/status.atom" in line for line in _alternates(client, "/forums/ideas/")
    )
