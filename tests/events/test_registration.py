"""Sign-up: a seat while there is one, the waiting list after, moving up on cancellation."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from core.errors import NotAllowed, RuleViolation
from events import services
from events.models import Registration
from tests.factories.accounts import UserFactory
from tests.factories.events import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small():
    return MeetingFactory(capacity=2, title="Small meeting")


def register(meeting, user, now=None):
    return services.meeting_register(meeting=meeting, by=user, now=now)


def test_people_get_seats_until_the_meeting_is_full_then_wait(small):
    people = UserFactory.create_batch(4)
    states = [register(small, p).state for p in people]
    assert states == ["confirmed", "confirmed", "waiting", "waiting"]


def test_one_registration_per_person_and_meeting(small, member):
    register(small, member)
    with pytest.raises(RuleViolation, match="already registered"):
        register(small, member)
    assert Registration.objects.filter(meeting=small, user=member).count() == 1


def test_the_database_refuses_a_second_registration_row(small, member):
    RegistrationFactory(meeting=small, user=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=small, user=member, state="waiting")


def test_registration_is_open_until_the_meeting_ends(small, member):
    register(small, member, now=small.ends_at - timedelta(seconds=1))
    late = UserFactory()
    with pytest.raises(RuleViolation, match="over"):
        register(small, late, now=small.ends_at)
    assert not Registration.objects.filter(user=late).exists()


def test_anonymous_people_cannot_register(small):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed):
        register(small, AnonymousUser())


def test_cancelling_a_seat_moves_the_first_waiting_person_up_with_mail(
    small, django_capture_on_commit_callbacks
):
    a, b, first, second = UserFactory.create_batch(4)
    for person in (a, b, first, second):
        register(small, person)
    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.registration_cancel(meeting=small, by=a)
    assert [r.user for r in promoted] == [first]
    states = dict(Registration.objects.values_list("user_id", "state"))
    assert states == {
        a.pk: "cancelled",
        b.pk: "confirmed",
        first.pk: "confirmed",
        second.pk: "waiting",
    }
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [first.email]
    assert "A seat is free" in mail.outbox[0].subject


def test_leaving_the_waiting_list_moves_no_one_up(small, django_capture_on_commit_callbacks):
    a, b, waiting, later = UserFactory.create_batch(4)
    for person in (a, b, waiting, later):
        register(small, person)
    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.registration_cancel(meeting=small, by=waiting)
    assert promoted == []
    assert Registration.objects.get(user=later).state == "waiting"
    assert mail.outbox == []


def test_a_person_who_cancelled_may_sign_up_again_at_the_end_of_the_queue(small):
    a, b, waiting = UserFactory.create_batch(3)
    for person in (a, b, waiting):
        register(small, person)
    services.registration_cancel(meeting=small, by=a)  # waiting moves up
    again = register(small, a)
    assert again.state == "waiting"
    assert Registration.objects.filter(user=a).count() == 1


def test_a_person_moving_up_a_second_time_gets_a_second_mail(
    small, django_capture_on_commit_callbacks
):
    a, b, c = UserFactory.create_batch(3)
    for person in (a, b, c):
        register(small, person)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(meeting=small, by=a)  # c moves up
        services.registration_cancel(meeting=small, by=c)  # c cancels
        register(small, a)  # a takes the free seat
        register(small, c)  # c waits again
        services.registration_cancel(meeting=small, by=b)  # c moves up again
    assert [m.to[0] for m in mail.outbox] == [c.email, c.email]
    assert Registration.objects.get(user=c).state == "confirmed"


def test_cancelling_needs_a_registration_and_a_meeting_not_over(small, member):
    with pytest.raises(RuleViolation, match="not registered"):
        services.registration_cancel(meeting=small, by=member)
    register(small, member)
    with pytest.raises(RuleViolation, match="over"):
        services.registration_cancel(meeting=small, by=member, now=small.ends_at)
    assert Registration.objects.get(user=member).state == "confirmed"


def test_more_seats_move_the_waiting_list_up(small, django_capture_on_commit_callbacks):
    people = UserFactory.create_batch(5)
    for person in people:
        register(small, person)
    small.capacity = 4
    small.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.meeting_fill_free_seats(meeting=small) == 2
    assert Registration.objects.filter(state="confirmed").count() == 4
    assert Registration.objects.get(user=people[4]).state == "waiting"
    assert len(mail.outbox) == 2
