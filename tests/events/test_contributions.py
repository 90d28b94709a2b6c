"""A session held at a meeting is a verified talk on each speaker's contributor profile."""

from datetime import timedelta

import pytest

from contributors.models import Contribution
from contributors.selectors import user_level
from core.errors import NotAllowed, RuleViolation
from events import services
from events.models import Session, Speaker
from tests.factories.accounts import UserFactory
from tests.factories.events import MeetingFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def given():
    """A session of a past meeting, given by two people."""
    meeting = MeetingFactory(past=True, title="ORCID Americas outreach meeting")
    return SessionFactory(
        meeting=meeting,
        title="Sign in with ORCID in a CRIS",
        speakers=[UserFactory(name="Ana", orcid=True), UserFactory(name="Ben", orcid=True)],
    )


def test_marking_a_session_held_records_a_verified_talk_for_each_speaker(given, staff):
    assert services.session_mark_held(session=given, by=staff) == 2
    given.refresh_from_db()
    assert given.state == Session.State.HELD
    talks = Contribution.objects.filter(kind=Contribution.Kind.TALK).order_by("user__name")
    assert [t.user.name for t in talks] == ["Ana", "Ben"]
    for talk in talks:
        assert talk.is_verified
        assert talk.title == "Sign in with ORCID in a CRIS — ORCID Americas outreach meeting"
        assert talk.link.endswith(given.get_absolute_url())
        assert talk.date == given.starts_at.astimezone(given.meeting.tz).date()
        assert user_level(talk.user) == "contributor"
    assert set(Speaker.objects.values_list("contribution_id", flat=True)) == {t.pk for t in talks}


def test_marking_twice_records_nothing_new(given, staff):
    services.session_mark_held(session=given, by=staff)
    assert services.session_mark_held(session=given, by=staff) == 0
    assert Contribution.objects.count() == 2


def test_only_staff_mark_a_session_held(given, reviewer):
    speaker = given.speakers.first().user
    for person in (reviewer, speaker):
        with pytest.raises(NotAllowed):
            services.session_mark_held(session=given, by=person)
    assert not Contribution.objects.exists()
    assert Session.objects.get(pk=given.pk).state == Session.State.ACCEPTED


def test_a_session_is_held_only_after_it_ended(meeting, staff):
    session = SessionFactory(meeting=meeting)
    with pytest.raises(RuleViolation, match="once it has ended"):
        services.session_mark_held(
            session=session, by=staff, now=session.ends_at - timedelta(seconds=1)
        )
    assert not Contribution.objects.exists()


def test_a_proposal_is_never_held(staff):
    proposal = SessionFactory(meeting=MeetingFactory(past=True), proposal=True)
    with pytest.raises(RuleViolation):
        services.session_mark_held(session=proposal, by=staff)


def test_the_talk_appears_on_the_speakers_public_profile(given, staff, client):
    services.session_mark_held(session=given, by=staff)
    speaker = given.speakers.first().user
    html = client.get(f"/contributors/{speaker.orcid_id}/").content.decode()
    assert "Sign in with ORCID in a CRIS" in html
