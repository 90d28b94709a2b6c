"""The directory's facets (people per level and per kind) on the cached page
(core.pagecache): every change of a contribution or a level shows at once."""

import datetime

import pytest
from django.core.cache import cache

from contributors import services
from contributors.models import Contribution, Level
from tests.factories.accounts import UserFactory, staff_person
from tests.factories.contributors import ContributionFactory, contributor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def staff():
    return staff_person()


def facets(client) -> tuple[dict, dict]:
    response = client.get("/contributors/")
    assert response.status_code == 200
    levels = {level.value: n for level, n in response.context["level_counts"]}
    kinds = {kind.value: n for kind, n in response.context["kind_counts"]}
    return levels, kinds


def test_a_verified_contribution_of_a_new_kind_shows_at_once(client, staff):
    person = contributor()
    ContributionFactory(user=person, kind=Contribution.Kind.TALK, verified=False)
    facets(client)  # cached now
    talk = Contribution.objects.get(user=person, kind=Contribution.Kind.TALK)

    services.contribution_verify(contribution=talk, by=staff)

    assert facets(client)[1][Contribution.Kind.TALK] == 1


def test_a_first_verified_contribution_counts_a_new_contributor_at_once(client, staff):
    contributor()
    assert facets(client)[0][Level.CONTRIBUTOR] == 1
    newcomer = UserFactory()

    services.contribution_add(
        user=newcomer,
        by=staff,
        kind=Contribution.Kind.PATCH,
        title="Fix the token refresh",
        date=datetime.date(2026, 1, 5),
    )

    assert facets(client)[0][Level.CONTRIBUTOR] == 2


def test_a_deleted_contribution_leaves_the_counts_at_once(client):
    person = contributor()
    talk = ContributionFactory(user=person, kind=Contribution.Kind.TALK, verified=True)
    assert facets(client)[1][Contribution.Kind.TALK] == 1

    talk.delete()

    assert facets(client)[1][Contribution.Kind.TALK] == 0
