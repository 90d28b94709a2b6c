"""Done when: a member proposes a session, a reviewer accepts it, others sign up (with a
waiting list), everyone gets their reminder once, and the talk appears on the speaker's
profile — all through the pages and the beat task."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from events import tasks
from events.models import Meeting, Registration, Session
from tests.factories.accounts import UserFactory
from tests.factories.events import MeetingFactory

pytestmark = pytest.mark.django_db


def test_from_proposal_to_talk_on_the_profile(
    client, speaker, reviewer, staff, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(slug="apac", time_zone="Australia/Sydney", capacity=2)
    # A member proposes a session while the call is open.
    client.force_login(speaker)
    response = client.post(
        "/events/apac/propose/", {"title": "ORCID in a repository", "abstract": "Lessons."}
    )
    assert response.status_code == 302
    session = Session.objects.get()

    # A steering-group member accepts it; the speaker is told by mail.
    client.force_login(reviewer)
    start = meeting.starts_at.astimezone(meeting.tz) + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/events/apac/proposals/{session.pk}/",
            {
                "action": "accept",
                "accept-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "accept-ends_at": (start + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M"),
                "accept-room": "Stage",
            },
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[speaker.email]]
    assert "ORCID in a repository" in client.get("/events/apac/").content.decode()

    # Three people sign up for two seats: the third waits.
    people = UserFactory.create_batch(3)
    for person in people:
        client.force_login(person)
        client.post("/events/apac/register/")
    assert list(Registration.objects.order_by("pk").values_list("state", flat=True)) == [
        "confirmed",
        "confirmed",
        "waiting",
    ]
    # One cancels; the waiting person moves up and is told.
    client.force_login(people[0])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/events/apac/cancel/")
    assert mail.outbox[-1].to == [people[2].email]

    # The day before, everyone with a seat is reminded — once.
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() + timedelta(hours=12),
        ends_at=timezone.now() + timedelta(hours=30),
    )
    before = len(mail.outbox)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.send_due_reminders()
    reminded = sorted(m.to[0] for m in mail.outbox[before:])
    assert reminded == sorted([people[1].email, people[2].email])

    # After the session, staff mark it held; the talk is on the speaker's profile.
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(staff)
    response = client.post(f"/events/apac/sessions/{session.pk}/held/", follow=True)
    assert "marked as held" in response.content.decode()
    profile = client.get(f"/contributors/{speaker.orcid_id}/").content.decode()
    assert "ORCID in a repository" in profile
    assert "Talk at an outreach meeting" in profile
