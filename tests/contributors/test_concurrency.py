"""Concurrent writers of one thing record it once (PostgreSQL only): votes, briefings."""

import pytest
from django.db import connection

from contributors import services
from contributors.models import Membership, NominationEvent, Vote
from core.errors import DomainError
from mail.models import Delivery
from tests.factories.accounts import UserFactory, staff_person
from tests.factories.contributors import (
    BriefingSubscriptionFactory,
    GroupFactory,
    MembershipFactory,
    contributor,
    steering_members,
)
from tests.helpers import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrent writers need PostgreSQL"
    ),
]


def run_at_once(*calls) -> list[DomainError]:
    """Run the calls at the same moment; the domain errors they raised (any other error
    fails the test)."""
    errors = [r for r in run_together(*calls) if isinstance(r, BaseException)]
    assert all(isinstance(e, DomainError) for e in errors), errors
    return errors


def test_two_simultaneous_votes_of_one_member_record_one():
    staff = staff_person()
    members = steering_members(5)
    nomination = services.nomination_open(nominee=contributor(), rationale="r", by=staff)
    voter = members[0]

    def cast():
        services.vote_cast(nomination=nomination, by=voter, choice="approve")

    for _ in range(3):
        assert run_at_once(cast, cast, cast) == []
    assert Vote.objects.filter(nomination=nomination, voter=voter).count() == 1
    assert NominationEvent.objects.filter(nomination=nomination, kind="voted").count() == 1


def test_two_simultaneous_nominations_of_one_person_open_one():
    staff = staff_person()
    steering_members(3)
    nominee = contributor()

    def nominate():
        services.nomination_open(nominee=nominee, rationale="r", by=staff)

    errors = run_at_once(nominate, nominate)
    assert len(errors) == 1
    assert nominee.nominations.count() == 1


def test_two_simultaneous_publications_of_one_briefing_mail_each_subscriber_once():
    group = GroupFactory()
    chair = MembershipFactory(group=group, role=Membership.Role.CHAIR).user
    staff = staff_person()
    for _ in range(4):
        BriefingSubscriptionFactory(group=group)
    briefing = services.briefing_create(group=group, by=chair, title="Once", body="B")

    errors = run_at_once(
        lambda: services.briefing_publish(briefing=briefing, by=chair),
        lambda: services.briefing_publish(briefing=briefing, by=staff),
    )
    assert len(errors) == 1
    assert Delivery.objects.filter(kind="contributors.briefing").count() == 4


def test_two_simultaneous_chairs_of_one_group_add_one():
    group = GroupFactory()
    first, second = UserFactory(), UserFactory()

    errors = run_at_once(
        lambda: services.membership_add(group=group, user=first, role="chair"),
        lambda: services.membership_add(group=group, user=second, role="chair"),
    )
    assert len(errors) == 1
    assert Membership.objects.filter(group=group, role="chair").count() == 1
