"""The programme: no two sessions of one meeting in the same room at overlapping times;
reviewers accept or decline proposals and speakers hear the outcome after commit."""

from datetime import timedelta

import pytest
from django.core import mail

from core.errors import InvalidInput, NotAllowed, RuleViolation
from events import services
from events.models import Session
from mail.models import Delivery
from tests.factories.accounts import UserFactory
from tests.factories.events import MeetingFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(meeting):
    """Hall A is taken from 10:00 to 11:00 (one hour after the meeting opens)."""
    return SessionFactory(meeting=meeting, room="Hall A")


def accept(session, by, start, minutes=60, room="Hall A"):
    return services.session_accept(
        session=session,
        by=by,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        room=room,
    )


def test_a_session_may_start_when_the_previous_one_in_the_room_ends(booked, staff):
    proposal = SessionFactory(meeting=booked.meeting, proposal=True)
    accept(proposal, staff, booked.ends_at)
    proposal.refresh_from_db()
    assert proposal.state == Session.State.ACCEPTED
    assert proposal.starts_at == booked.ends_at


def test_a_session_may_end_when_the_next_one_in_the_room_starts(booked, staff):
    proposal = SessionFactory(meeting=booked.meeting, proposal=True)
    accept(proposal, staff, booked.starts_at - timedelta(minutes=30), minutes=30)
    assert Session.objects.get(pk=proposal.pk).state == Session.State.ACCEPTED


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [
        (timedelta(minutes=59), 60),  # starts one minute before the booked one ends
        (-timedelta(minutes=30), 31),  # ends one minute after the booked one starts
        (timedelta(minutes=10), 10),  # inside it
        (-timedelta(minutes=10), 120),  # around it
        (timedelta(0), 60),  # the same slot
    ],
)
def test_an_overlap_of_even_one_minute_in_the_same_room_is_refused(booked, staff, offset, minutes):
    proposal = SessionFactory(meeting=booked.meeting, proposal=True)
    with pytest.raises(RuleViolation, match="already taken"):
        accept(proposal, staff, booked.starts_at + offset, minutes=minutes)
    proposal.refresh_from_db()
    assert proposal.state == Session.State.PROPOSED
    assert proposal.starts_at is None
    assert not Delivery.objects.exists()


def test_the_room_rule_ignores_case_and_spaces(booked, staff):
    proposal = SessionFactory(meeting=booked.meeting, proposal=True)
    with pytest.raises(RuleViolation):
        accept(proposal, staff, booked.starts_at, room="  hall a ")


def test_the_same_time_in_another_room_or_another_meeting_is_fine(booked, staff):
    other_room = SessionFactory(meeting=booked.meeting, proposal=True)
    accept(other_room, staff, booked.starts_at, room="Hall B")
    other_meeting = MeetingFactory(starts_at=booked.meeting.starts_at)
    elsewhere = SessionFactory(meeting=other_meeting, proposal=True)
    accept(elsewhere, staff, booked.starts_at, room="Hall A")
    assert Session.objects.filter(state="accepted", starts_at=booked.starts_at).count() == 3


def test_declined_proposals_do_not_take_a_room(booked, staff):
    declined = SessionFactory(meeting=booked.meeting, proposal=True)
    services.session_decline(session=declined, by=staff, note="Out of scope.")
    proposal = SessionFactory(meeting=booked.meeting, proposal=True)
    accept(proposal, staff, booked.ends_at)
    assert Session.objects.get(pk=proposal.pk).is_on_programme


def test_a_session_must_take_place_during_the_meeting(meeting, staff):
    proposal = SessionFactory(meeting=meeting, proposal=True)
    with pytest.raises(InvalidInput, match="during the meeting"):
        accept(proposal, staff, meeting.starts_at - timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="during the meeting"):
        accept(proposal, staff, meeting.ends_at - timedelta(minutes=59))
    accept(proposal, staff, meeting.ends_at - timedelta(minutes=60))


def test_a_session_ends_after_it_starts(meeting, staff):
    proposal = SessionFactory(meeting=meeting, proposal=True)
    with pytest.raises(InvalidInput, match="ends after it starts"):
        accept(proposal, staff, meeting.starts_at + timedelta(hours=2), minutes=0)


def test_speakers_learn_of_the_acceptance_by_mail_after_commit(
    meeting, reviewer, django_capture_on_commit_callbacks
):
    speakers = [UserFactory(), UserFactory()]
    proposal = SessionFactory(meeting=meeting, proposal=True, speakers=speakers)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        accept(proposal, reviewer, meeting.starts_at + timedelta(hours=3))
        assert mail.outbox == []  # nothing leaves before the commit
    assert callbacks
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in speakers)
    assert "is on the programme" in mail.outbox[0].subject
    assert "Europe/Berlin" in mail.outbox[0].body


def test_speakers_get_the_reviewers_note_when_declined(
    meeting, staff, speaker, django_capture_on_commit_callbacks
):
    proposal = SessionFactory(meeting=meeting, proposal=True, speakers=[speaker])
    with django_capture_on_commit_callbacks(execute=True):
        services.session_decline(session=proposal, by=staff, note="Too close to session 3.")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [speaker.email]
    assert "Too close to session 3." in mail.outbox[0].body
    assert "declined" in mail.outbox[0].body


def test_declining_needs_a_note(meeting, staff):
    proposal = SessionFactory(meeting=meeting, proposal=True)
    with pytest.raises(InvalidInput):
        services.session_decline(session=proposal, by=staff, note="   ")
    assert Session.objects.get(pk=proposal.pk).state == Session.State.PROPOSED


def test_a_member_or_a_former_steering_member_cannot_review(meeting, member):
    from tests.factories.contributors import MembershipFactory, steering_group

    former = MembershipFactory(
        group=steering_group(),
        term_start=meeting.starts_at.date() - timedelta(days=800),
        term_end=meeting.starts_at.date() - timedelta(days=435),
    ).user
    proposal = SessionFactory(meeting=meeting, proposal=True)
    for person in (member, former):
        with pytest.raises(NotAllowed):
            accept(proposal, person, meeting.starts_at + timedelta(hours=1))
        with pytest.raises(NotAllowed):
            services.session_decline(session=proposal, by=person, note="No.")
    assert Session.objects.get(pk=proposal.pk).state == Session.State.PROPOSED


def test_a_proposal_is_reviewed_once(meeting, staff, reviewer):
    proposal = SessionFactory(meeting=meeting, proposal=True)
    accept(proposal, staff, meeting.starts_at + timedelta(hours=1))
    with pytest.raises(RuleViolation, match="already been reviewed"):
        services.session_decline(session=proposal, by=reviewer, note="No.")
