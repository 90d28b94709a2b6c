"""Concurrent sign-ups for the last seat admit exactly one (PostgreSQL: real concurrent
transactions, the meeting row lock orders them)."""

import pytest
from django.db import connection

from events import services
from events.models import Registration
from tests.factories.accounts import UserFactory
from tests.factories.events import MeetingFactory, RegistrationFactory
from tests.helpers import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]


def test_concurrent_sign_ups_for_the_last_seat_admit_exactly_one():
    meeting = MeetingFactory(capacity=3)
    RegistrationFactory.create_batch(2, meeting=meeting)
    people = UserFactory.create_batch(6)
    results = run_together(
        *[(lambda p=p: services.meeting_register(meeting=meeting, by=p)) for p in people]
    )
    assert all(isinstance(r, Registration) for r in results), results
    assert sorted(r.state for r in results) == ["confirmed"] + ["waiting"] * 5
    assert Registration.objects.filter(meeting=meeting, state="confirmed").count() == 3


def test_the_same_person_signing_up_twice_at_once_gets_one_registration():
    meeting = MeetingFactory(capacity=10)
    person = UserFactory()
    results = run_together(
        *[(lambda: services.meeting_register(meeting=meeting, by=person)) for _ in range(3)]
    )
    assert Registration.objects.filter(meeting=meeting, user=person).count() == 1
    assert sum(isinstance(r, Registration) for r in results) == 1


def test_a_cancellation_racing_sign_ups_never_overfills_the_meeting():
    meeting = MeetingFactory(capacity=2)
    holders = [RegistrationFactory(meeting=meeting).user for _ in range(2)]
    newcomers = UserFactory.create_batch(4)
    run_together(
        lambda: services.registration_cancel(meeting=meeting, by=holders[0]),
        *[(lambda p=p: services.meeting_register(meeting=meeting, by=p)) for p in newcomers],
    )
    assert Registration.objects.filter(meeting=meeting, state="confirmed").count() == 2
    assert Registration.objects.filter(meeting=meeting, state="waiting").count() == 3
