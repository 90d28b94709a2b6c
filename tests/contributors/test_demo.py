import pytest
from django.core.management import call_command

from contributors.models import (
    Briefing,
    BriefingSubscription,
    Group,
    Level,
    Membership,
    Nomination,
    Profile,
    Signature,
)
from mail.models import Delivery

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_steering_group_two_working_groups_contributors_and_nominations():
    call_command("seed_demo", quiet_accounts=True)
    call_command("seed_demo", quiet_accounts=True)  # idempotent
    steering = Group.objects.get(kind=Group.Kind.STEERING)
    current = Membership.objects.current().filter(group=steering)
    assert current.count() == 7
    assert current.filter(role=Membership.Role.CHAIR).count() == 1
    assert Group.objects.filter(kind=Group.Kind.WORKING).count() == 2
    listed = Profile.objects.filter(level__in=[Level.CONTRIBUTOR, Level.OST]).count()
    assert listed >= 30
    assert Profile.objects.filter(level=Level.OST).count() >= 3
    open_one = Nomination.objects.open().get()
    assert 0 < open_one.votes.count() < 7
    decided = Nomination.objects.decided().get()
    assert decided.state == "approved"
    assert Signature.objects.filter(nomination=decided).exists()
    assert Briefing.objects.published().filter(group=steering).count() == 2
    assert Briefing.objects.published().filter(group__kind=Group.Kind.WORKING).count() == 1
    assert BriefingSubscription.objects.count() == 5
    # Published before anyone subscribed: the seed mails no briefing.
    assert not Delivery.objects.filter(kind="contributors.briefing").exists()
