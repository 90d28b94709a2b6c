import pytest

from contributors import activity, selectors
from forums.models import Topic
from tests.factories.contributors import contributor
from tests.factories.forums import PostFactory

pytestmark = pytest.mark.django_db


def test_the_forums_app_registers_its_activity_for_the_profile_page(client):
    person = contributor()
    post = PostFactory(author=person)
    Topic.objects.filter(pk=post.topic_id).update(accepted_post=post)
    assert selectors.forum_activity([person.pk])[person.pk]["posts"] == 1
    page = client.get(f"/contributors/{person.orcid_id}/").content.decode()
    assert "Forum activity" in page
    assert "<strong>1</strong> posts" in page
    assert "<strong>1</strong> accepted answers" in page


def test_forum_activity_is_what_the_registered_provider_gives(client, monkeypatch):
    person = contributor()
    monkeypatch.setitem(
        activity._providers,
        "forums",
        lambda ids: {i: {"posts": 41, "accepted_answers": 7, "ideas": 3} for i in ids},
    )
    page = client.get(f"/contributors/{person.orcid_id}/").content.decode()
    assert "<strong>41</strong> posts" in page
    assert "<strong>7</strong> accepted answers" in page


def test_without_a_provider_forum_activity_is_simply_not_shown(client, monkeypatch):
    person = contributor()
    monkeypatch.delitem(activity._providers, "forums")
    assert selectors.forum_activity([person.pk]) == {}
    page = client.get(f"/contributors/{person.orcid_id}/")
    assert page.status_code == 200
    assert "Forum activity" not in page.content.decode()


def test_a_failing_provider_hides_the_activity_and_keeps_the_page(client, monkeypatch):
    def broken(ids):
        raise RuntimeError("forums are down")

    person = contributor()
    monkeypatch.setitem(activity._providers, "forums", broken)
    assert selectors.forum_activity([person.pk]) == {}
    page = client.get(f"/contributors/{person.orcid_id}/")
    assert page.status_code == 200
    assert "Forum activity" not in page.content.decode()
