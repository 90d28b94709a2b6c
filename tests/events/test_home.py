"""The home page: the next outreach meetings and the latest API Users list discussions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories.events import MeetingFactory
from tests.factories.forums import ForumFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_home_lists_the_next_three_meetings_soonest_first(client):
    now = timezone.now()
    MeetingFactory(title="Long gone", past=True)
    for days in (40, 10, 90, 20):
        MeetingFactory(title=f"In {days} days", starts_at=now + timedelta(days=days))
    html = client.get("/").content.decode()
    assert "Long gone" not in html
    assert "In 90 days" not in html
    assert html.index("In 10 days") < html.index("In 20 days") < html.index("In 40 days")
    assert 'href="/events/"' in html


def test_home_lists_the_latest_api_users_discussions_only(client):
    api = ForumFactory(slug="api-users", kind="api_users", name="ORCID API Users")
    other = ForumFactory(slug="general")
    now = timezone.now()
    for n in range(7):
        TopicFactory(forum=api, title=f"API question {n}", last_post_at=now - timedelta(hours=n))
    TopicFactory(forum=other, title="Not about the API")
    html = client.get("/").content.decode()
    assert "API question 0" in html
    assert "API question 4" in html
    assert "API question 5" not in html
    assert "Not about the API" not in html


def test_home_lists_the_latest_discussions_not_the_pinned_topic_first(client):
    api = ForumFactory(slug="api-users", kind="api_users", name="ORCID API Users")
    now = timezone.now()
    TopicFactory(
        forum=api, title="Pinned welcome", is_pinned=True, last_post_at=now - timedelta(days=9)
    )
    TopicFactory(forum=api, title="Older question", last_post_at=now - timedelta(days=1))
    TopicFactory(forum=api, title="Newest question", last_post_at=now)
    html = client.get("/").content.decode()
    assert (
        html.index("Newest question") < html.index("Older question") < html.index("Pinned welcome")
    )


@pytest.mark.parametrize("size", [1, 10])
def test_home_runs_a_fixed_number_of_queries(client, size, django_assert_max_num_queries):
    api = ForumFactory(slug="api-users", kind="api_users")
    for _ in range(size):
        MeetingFactory()
        TopicFactory(forum=api)
    with django_assert_max_num_queries(5):
        assert client.get("/").status_code == 200
