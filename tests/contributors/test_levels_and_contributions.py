from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from contributors import selectors, services
from contributors.models import Contribution, Level, LevelChange
from core.errors import InvalidInput, NotAllowed, RuleViolation
from tests.factories.accounts import UserFactory
from tests.factories.contributors import ContributionFactory, ProfileFactory

pytestmark = pytest.mark.django_db


def add(user, by, **fields):
    data = {
        "kind": Contribution.Kind.DOCUMENTATION,
        "title": "Explain the member API",
        "date": timezone.localdate(),
        "link": "https://github.com/ORCID/ORCID-Source/pull/1",
        **fields,
    }
    return services.contribution_add(user=user, by=by, **data)


def test_a_person_adds_their_own_contribution_unverified_and_stays_a_user():
    person = UserFactory()
    contribution = add(person, person)
    assert not contribution.is_verified
    assert selectors.user_level(person) == Level.USER


def test_a_person_cannot_add_a_contribution_for_someone_else():
    with pytest.raises(NotAllowed):
        add(UserFactory(), UserFactory())


def test_a_contribution_cannot_be_dated_in_the_future():
    person = UserFactory()
    with pytest.raises(InvalidInput):
        add(person, person, date=timezone.localdate() + timedelta(days=1))


def test_verifying_a_first_contribution_makes_a_technical_contributor_with_history(staff):
    person = UserFactory()
    contribution = add(person, person)
    assert services.contribution_verify(contribution=contribution, by=staff)
    contribution.refresh_from_db()
    assert contribution.verified_by == staff
    assert contribution.verified_at is not None
    assert selectors.user_level(person) == Level.CONTRIBUTOR
    change = LevelChange.objects.get(user=person)
    assert (change.from_level, change.to_level, change.changed_by) == ("user", "contributor", staff)
    assert change.basis == LevelChange.Basis.CONTRIBUTION_VERIFIED


def test_verifying_a_second_contribution_records_no_second_level_change(staff):
    person = UserFactory()
    services.contribution_verify(contribution=add(person, person), by=staff)
    services.contribution_verify(contribution=add(person, person, title="More"), by=staff)
    assert LevelChange.objects.filter(user=person).count() == 1


def test_verifying_twice_changes_nothing(staff):
    person = UserFactory()
    contribution = add(person, person)
    services.contribution_verify(contribution=contribution, by=staff)
    assert services.contribution_verify(contribution=contribution, by=staff) is False


def test_only_staff_verify():
    person = UserFactory()
    with pytest.raises(NotAllowed):
        services.contribution_verify(contribution=add(person, person), by=person)


def test_contributions_staff_add_are_verified_at_once(staff):
    person = UserFactory()
    assert add(person, staff).is_verified
    assert selectors.user_level(person) == Level.CONTRIBUTOR


def test_staff_mark_development_staff_as_ost_with_a_reason(staff):
    person = UserFactory()
    services.level_set_by_staff(
        user=person,
        level=Level.OST,
        basis=LevelChange.Basis.DEVELOPMENT_STAFF,
        reason="Joined the ORCID dev team",
        by=staff,
    )
    assert selectors.user_level(person) == Level.OST
    change = LevelChange.objects.get(user=person)
    assert change.reason == "Joined the ORCID dev team"
    assert change.basis == "development_staff"


def test_staff_cannot_make_anyone_else_ost_without_a_vote(staff):
    person = ProfileFactory().user
    with pytest.raises(RuleViolation):
        services.level_set_by_staff(
            user=person, level=Level.OST, reason="Nice person", by=staff, basis="staff_decision"
        )
    assert selectors.user_level(person) == Level.CONTRIBUTOR


def test_a_staff_marking_needs_a_reason(staff):
    with pytest.raises(InvalidInput):
        services.level_set_by_staff(
            user=UserFactory(), level=Level.OST, basis="vendor", reason=" ", by=staff
        )


def test_only_staff_set_levels():
    person = UserFactory()
    with pytest.raises(NotAllowed):
        services.level_set_by_staff(
            user=person, level=Level.CONTRIBUTOR, reason="I say so", by=person
        )


def test_the_database_refuses_ost_on_any_other_basis():
    person = UserFactory()
    with pytest.raises(IntegrityError):
        LevelChange.objects.create(
            user=person, from_level="user", to_level="ost", basis="staff_decision", reason="x"
        )


def test_user_level_of_a_person_without_profile_is_user():
    assert selectors.user_level(UserFactory()) == "user"


def test_verified_factory_trait_marks_contributions():
    assert ContributionFactory(verified=True).is_verified
