import pytest
from django.core.management import call_command

from contributors.models import Contribution
from events.models import Meeting, Registration, Session, Speaker

pytestmark = pytest.mark.django_db


def test_demo_has_past_and_upcoming_meetings_across_regions_and_is_idempotent():
    call_command("seed_demo", quiet_accounts=True)
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
