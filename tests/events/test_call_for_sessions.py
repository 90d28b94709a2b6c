"""The call for sessions: signed-in people propose while it is open, nothing otherwise."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import InvalidInput, RuleViolation
from events import services
from events.models import Session, Speaker
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def propose(meeting, by, now=None, **kwargs):
    return services.session_propose(
        meeting=meeting,
        by=by,
        title=kwargs.pop("title", "ORCID sign-in for a repository"),
        abstract=kwargs.pop("abstract", "What we learned."),
        now=now,
        **kwargs,
    )


def test_a_member_proposes_a_session_and_is_its_speaker(meeting, speaker):
    co = UserFactory(orcid=True)
    session = propose(meeting, speaker, co_speakers=[co, speaker])
    assert session.state == Session.State.PROPOSED
    assert session.proposed_by == speaker
    assert [s.user for s in session.speakers.all()] == [speaker, co]
    assert session.starts_at is None


def test_the_call_is_open_from_its_first_moment_to_just_before_it_closes(meeting, speaker):
    propose(meeting, speaker, now=meeting.call_opens_at)
    propose(meeting, speaker, now=meeting.call_closes_at - timedelta(seconds=1))
    assert Session.objects.count() == 2


@pytest.mark.parametrize("moment", ["before", "at_close", "after"])
def test_no_proposal_outside_the_call(meeting, speaker, moment):
    now = {
        "before": meeting.call_opens_at - timedelta(seconds=1),
        "at_close": meeting.call_closes_at,
        "after": meeting.call_closes_at + timedelta(days=1),
    }[moment]
    with pytest.raises(RuleViolation, match="not open"):
        propose(meeting, speaker, now=now)
    assert not Session.objects.exists()


def test_a_meeting_without_a_call_takes_no_proposals(meeting, speaker):
    meeting.call_opens_at = meeting.call_closes_at = None
    meeting.save()
    with pytest.raises(RuleViolation):
        propose(meeting, speaker)


def test_every_speaker_needs_an_orcid_id_and_nothing_is_half_saved(meeting, speaker):
    without = UserFactory(name="No iD")
    with pytest.raises(InvalidInput, match="No iD"):
        propose(meeting, speaker, co_speakers=[without])
    assert not Session.objects.exists()
    assert not Speaker.objects.exists()


def test_a_session_has_at_most_five_speakers(meeting, speaker):
    with pytest.raises(InvalidInput, match="at most"):
        propose(meeting, speaker, co_speakers=UserFactory.create_batch(5))
    propose(meeting, speaker, co_speakers=UserFactory.create_batch(4, orcid=True))


def test_a_proposal_needs_a_title_and_an_abstract(meeting, speaker):
    with pytest.raises(InvalidInput):
        propose(meeting, speaker, title="  ")
    with pytest.raises(InvalidInput):
        propose(meeting, speaker, abstract="")
    assert not Session.objects.exists()


def test_the_meeting_knows_when_its_call_is_open(meeting):
    now = timezone.now()
    assert meeting.call_is_open(now)
    assert not meeting.call_is_open(meeting.call_closes_at)
