"""The busiest pages run a fixed number of queries, whatever the amount of data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contributors import services
from contributors.models import Contribution
from tests.factories.accounts import UserFactory
from tests.factories.contributors import (
    ContributionFactory,
    GroupFactory,
    MembershipFactory,
    contributor,
    ost_member,
    steering_members,
)
from tests.helpers import count_queries, vote

pytestmark = pytest.mark.django_db

KINDS = list(Contribution.Kind.values)


def add_contributions(person, n):
    for i in range(n):
        ContributionFactory(user=person, kind=KINDS[i % len(KINDS)], verified=i % 2 == 0)


def grow_directory(people, contributions_each):
    for _ in range(people):
        add_contributions(contributor(), contributions_each)
        ost_member()


def test_the_directory_runs_the_same_queries_for_few_and_many_contributors(
    client, django_assert_max_num_queries
):
    grow_directory(2, 2)
    small = count_queries(client, "/contributors/?kind=patch")
    assert small <= 8
    grow_directory(12, 6)
    with django_assert_max_num_queries(small):
        client.get("/contributors/?kind=patch")
    with django_assert_max_num_queries(small):
        client.get("/contributors/")


def test_a_profile_runs_the_same_queries_for_few_and_many_contributions(
    client, django_assert_max_num_queries
):
    person = contributor()
    add_contributions(person, 2)
    url = f"/contributors/{person.orcid_id}/"
    small = count_queries(client, url)
    assert small <= 12
    add_contributions(person, 30)
    for _ in range(3):
        MembershipFactory(group=GroupFactory(), user=person)
    with django_assert_max_num_queries(small):
        client.get(url)


def test_a_review_page_runs_the_same_queries_for_few_and_many_votes(
    client, staff, django_assert_max_num_queries
):
    members = steering_members(3)
    nominee = contributor()
    nomination = services.nomination_open(nominee=nominee, rationale="r", by=staff)
    client.force_login(members[0])
    url = f"/review/nominations/{nomination.pk}/"
    vote(nomination, members[1], "approve")
    small = count_queries(client, url)
    assert small <= 20

    big = steering_members(15)  # the same steering group, more members
    nominee2 = contributor()
    add_contributions(nominee2, 40)
    nomination2 = services.nomination_open(nominee=nominee2, rationale="r", by=staff)
    for member in big[1:12]:
        vote(nomination2, member, "reject", "Not yet")
    client.force_login(members[0])
    with django_assert_max_num_queries(small):
        assert client.get(f"/review/nominations/{nomination2.pk}/").status_code == 200
    with django_assert_max_num_queries(small):
        client.get("/review/")


def test_the_review_link_costs_one_query_per_page(client):
    from contributors.permissions import can_review_nominations

    person = UserFactory()
    with CaptureQueriesContext(connection) as ctx:
        can_review_nominations(person)
    assert len(ctx.captured_queries) == 1
