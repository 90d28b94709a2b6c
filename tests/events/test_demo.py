import pytest
from django.core.management import call_command

from contributors.models import Contribution
from events.models import Meeting, Registration, Session, Speaker

pytestmark = pytest.mark.django_db


def test_demo_has_past_and_upcoming_meetings_across_regions_and_is_idempotent(seeded_demo):
    counts = (
        Meeting.objects.count(),
        Session.objects.count(),
        Registration.objects.count(),
        Contribution.objects.filter(kind="talk").count(),
    )
    call_command("seed_demo", quiet_accounts=True)
    assert (
        Meeting.objects.count(),
        Session.objects.count(),
        Registration.objects.count(),
        Contribution.objects.filter(kind="talk").count(),
    ) == counts
    assert Meeting.objects.past().count() == 2
    assert Meeting.objects.upcoming().count() == 2
    assert len(set(Meeting.objects.values_list("region", flat=True))) == 3
    assert Registration.objects.filter(state="waiting").exists()
    assert Session.objects.filter(state="held").count() == 4
    assert Session.objects.filter(state="proposed").exists()
    # Every speaker of a held session has their talk, recorded once.
    ids = list(
        Speaker.objects.filter(session__state="held").values_list("contribution_id", flat=True)
    )
    assert len(ids) == 5
    assert (
        Contribution.objects.filter(pk__in=ids, kind="talk", verified_at__isnull=False).count() == 5
    )


def test_every_demo_meeting_page_renders_for_visitors_and_staff(client, seeded_demo):
    from accounts.models import User

    for viewer in (None, User.objects.get(email="staff@example.org")):
        if viewer:
            client.force_login(viewer)
        assert client.get("/").status_code == 200
        assert client.get("/events/").status_code == 200
        for meeting in Meeting.objects.all():
            assert client.get(meeting.get_absolute_url()).status_code == 200
            assert client.get(f"{meeting.get_absolute_url()}calendar.ics").status_code == 200
            for session in meeting.sessions.on_programme():
                assert client.get(session.get_absolute_url()).status_code == 200
    html = client.get("/events/apac-2026/").content.decode()
    assert "2 people on the waiting list" in html
    assert "Review proposals (1 waiting)" in html
