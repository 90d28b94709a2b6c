"""Reminders: registered people are emailed a day before, exactly once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from events import services, tasks
from mail.models import Delivery
from tests.factories.events import MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tomorrow():
    meeting = MeetingFactory(
        title="Tomorrow's meeting",
        starts_at=timezone.now() + timedelta(hours=20),
        time_zone="Asia/Tokyo",
        call_opens_at=None,
        call_closes_at=None,
    )
    return meeting


def test_everyone_with_a_seat_is_reminded_once(tomorrow, django_capture_on_commit_callbacks):
    seats = [RegistrationFactory(meeting=tomorrow) for _ in range(3)]
    RegistrationFactory(meeting=tomorrow, state="waiting")
    RegistrationFactory(meeting=tomorrow, state="cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_reminders() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_reminders() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.user.email for r in seats)
    assert "starts tomorrow" in mail.outbox[0].subject
    assert "Asia/Tokyo" in mail.outbox[0].body
    assert ".ics" in mail.outbox[0].body
    assert Delivery.objects.filter(kind="events.reminder").count() == 3


def test_someone_registering_after_the_reminders_went_out_is_reminded_too(
    tomorrow, django_capture_on_commit_callbacks
):
    RegistrationFactory(meeting=tomorrow)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_due_reminders()
    late = RegistrationFactory(meeting=tomorrow)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_reminders() == 1
    assert mail.outbox[-1].to == [late.user.email]


def test_reminders_go_out_only_within_the_day_before(django_capture_on_commit_callbacks):
    now = timezone.now()
    just_inside = MeetingFactory(starts_at=now + timedelta(hours=24))
    too_early = MeetingFactory(starts_at=now + timedelta(hours=24, seconds=1))
    started = MeetingFactory(starts_at=now, past=False)
    for meeting in (just_inside, too_early, started):
        RegistrationFactory(meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send_due(now=now) == 1
    assert Delivery.objects.get().about == f"events.meeting:{just_inside.pk}"


def test_the_reminder_task_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["events-send-due-reminders"]
    assert entry["task"] == "events.tasks.send_due_reminders"
    assert entry["schedule"] <= 60 * 60  # often enough that nobody is reminded late
