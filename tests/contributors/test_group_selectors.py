from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from contributors import selectors, services
from contributors.models import Group, Membership
from core.errors import RuleViolation
from tests.factories.accounts import UserFactory
from tests.factories.contributors import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_membership_counts_only_during_its_one_year_term():
    group = GroupFactory(slug="api")
    today = timezone.localdate()
    current = MembershipFactory(group=group, term_start=today - timedelta(days=364)).user
    expired = MembershipFactory(group=group, term_start=today - timedelta(days=366)).user
    assert selectors.is_group_member(current, group)
    assert not selectors.is_group_member(expired, group)
    assert not selectors.is_group_member(AnonymousUser(), group)
    assert selectors.current_member_ids(group) == {current.pk}


def test_the_chair_is_a_member_and_the_chair():
    group = GroupFactory()
    chair = MembershipFactory(group=group, role=Membership.Role.CHAIR).user
    member = MembershipFactory(group=group).user
    assert selectors.is_group_chair(chair, group)
    assert selectors.is_group_member(chair, group)
    assert not selectors.is_group_chair(member, group)


def test_a_term_lasts_one_year_and_a_group_has_one_chair_at_a_time():
    group = GroupFactory()
    start = timezone.localdate()
    first = services.membership_add(group=group, user=UserFactory(), role="chair", term_start=start)
    assert first.term_end == start.replace(year=start.year + 1)
    with pytest.raises(RuleViolation, match="already has a chair"):
        services.membership_add(group=group, user=UserFactory(), role="chair", term_start=start)
    with pytest.raises(RuleViolation, match="already has a term"):
        services.membership_add(group=group, user=first.user, term_start=start)


def test_a_full_working_group_takes_no_one_else():
    group = GroupFactory(max_members=1)
    services.membership_add(group=group, user=UserFactory())
    with pytest.raises(RuleViolation, match="full"):
        services.membership_add(group=group, user=UserFactory())


def test_adding_a_term_locks_the_group_row(monkeypatch):
    """Two adds at once wait for each other, so both cannot pass the checks (the real race
    needs PostgreSQL; here the lock is asked for)."""
    from django.db.models import QuerySet

    locked = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    group = GroupFactory()
    services.membership_add(group=group, user=UserFactory())
    assert Group in locked
