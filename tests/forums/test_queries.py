"""Forum, topic, ideas and search pages run a fixed number of queries at any size."""

import pytest

from forums import selectors, services
from tests.factories.accounts import person, staff_person
from tests.factories.forums import IdeaFactory, PostFactory, TopicFactory, VoteFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


def grow(forum, ideas, topic, n: int) -> None:
    for _ in range(n):
        other = TopicFactory(forum=forum)
        PostFactory(topic=other)
        PostFactory(topic=topic)
        idea = IdeaFactory(forum=ideas)
        VoteFactory(idea=idea)
    for t in [topic, *forum.topics.all()]:
        services.topic_refresh(t)


@pytest.mark.parametrize("who", ["anonymous", "signed_in", "staff"])
def test_pages_run_the_same_number_of_queries_with_3_or_25_of_everything(
    client, forum, ideas, topic, who, django_assert_max_num_queries
):
    if who != "anonymous":
        client.force_login(staff_person() if who == "staff" else person())
    idea = IdeaFactory(forum=ideas)
    services.idea_status_set(idea=idea, by=staff_person(), status="planned", note="Yes.")
    urls = [
        "/forums/",
        f"/forums/{forum.slug}/",
        topic.get_absolute_url(),
        idea.get_absolute_url(),
        "/forums/ideas/",
        "/forums/ideas/?sort=status",
        "/forums/search/?q=orcid",
        f"/forums/{forum.slug}/feed/",
    ]
    grow(forum, ideas, topic, 3)
    small = {url: count_queries(client, url) for url in urls}
    grow(forum, ideas, topic, 22)
    for url in urls:
        with django_assert_max_num_queries(small[url]):
            response = client.get(url)
        assert response.status_code == 200


def test_activity_counts_give_posts_topics_answers_and_ideas_in_three_queries(
    forum, ideas, django_assert_num_queries
):
    ana, ben, nobody = person(), person(), person()
    question = services.topic_create(forum=forum, by=ana, title="Question", body="?")
    answer = services.post_create(topic=question, by=ben, body="Answer")
    services.answer_accept(post=answer, by=ana)
    services.topic_create(forum=ideas, by=ben, title="An idea", body="!")
    hidden = services.post_create(topic=question, by=ben, body="spam")
    services.post_hide(post=hidden, by=staff_person())
    with django_assert_num_queries(3):
        counts = selectors.activity_counts([ana.pk, ben.pk, nobody.pk])
    assert counts[ana.pk] == {"posts": 1, "topics": 1, "accepted_answers": 0, "ideas": 0}
    assert counts[ben.pk] == {"posts": 2, "topics": 1, "accepted_answers": 1, "ideas": 1}
    assert counts[nobody.pk] == {"posts": 0, "topics": 0, "accepted_answers": 0, "ideas": 0}
    assert selectors.activity_counts([]) == {}


def _group_forums(viewer, n: int, *, role: str = "member") -> None:
    from contributors.services import membership_add
    from tests.factories.contributors import GroupFactory

    for _ in range(n):
        group = GroupFactory()
        services.forum_create(
            slug=group.slug, name=f"{group.name} forum", kind="group", group=group, is_private=True
        )
        membership_add(group=group, user=viewer, role=role)


@pytest.mark.parametrize(
    ("role", "url"),
    [("member", "/forums/"), ("chair", "/forums/"), ("chair", "/forums/moderation/")],
)
def test_group_forums_cost_no_query_each_for_their_members_and_chairs(
    client, forum, role, url, django_assert_max_num_queries
):
    viewer = person()
    client.force_login(viewer)
    _group_forums(viewer, 2, role=role)
    small = count_queries(client, url)
    # New forums and memberships bump the forums and contributors generations: the page
    # is drawn again, not served from the page cache.
    _group_forums(viewer, 10, role=role)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.status_code == 200
    if url == "/forums/":
        page = response.content.decode()
        assert page.count('<span class="badge">') == 12  # every private forum is listed
        assert ("Review queue of flagged posts" in page) == (role == "chair")
