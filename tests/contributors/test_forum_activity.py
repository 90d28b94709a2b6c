import pytest

from contributors import selectors
from tests.factories.contributors import contributor

pytestmark = pytest.mark.django_db


def test_forum_activity_comes_from_the_forums_function_when_it_exists(client, monkeypatch):
    import forums.selectors

    person = contributor()
    monkeypatch.setattr(
        forums.selectors,
        "activity_counts",
        lambda ids: {i: {"posts": 41, "accepted_answers": 7, "ideas": 3} for i in ids},
        raising=False,
    )
    page = client.get(f"/contributors/{person.orcid_id}/").content.decode()
    assert "Forum activity" in page
    assert "<strong>41</strong> posts" in page


def test_without_the_forums_function_forum_activity_is_simply_not_shown(client, monkeypatch):
    import forums.selectors

    person = contributor()
    monkeypatch.delattr(forums.selectors, "activity_counts", raising=False)
    assert selectors.forum_activity([person.pk]) == {}
    page = client.get(f"/contributors/{person.orcid_id}/")
    assert page.status_code == 200
    assert "Forum activity" not in page.content.decode()
