"""The forums' cached pages (core.pagecache): every change shows at once, to everyone."""

import pytest

from forums import services
from tests.factories.accounts import person

pytestmark = pytest.mark.django_db


def test_a_new_topic_shows_on_the_cached_forum_index_and_home_page_at_once(client, forum, author):
    services.topic_create(forum=forum, by=author, title="First", body="One")
    assert "First" in client.get("/").content.decode()
    index = client.get("/forums/").context["forums"]
    assert [f.topic_count for f in index] == [1]

    services.topic_create(forum=forum, by=author, title="Second thoughts", body="Two")

    assert "Second thoughts" in client.get("/").content.decode()
    assert [f.topic_count for f in client.get("/forums/").context["forums"]] == [2]
    assert ">2</td>" in client.get("/forums/").content.decode()


def test_a_reply_and_a_hidden_post_show_on_the_cached_topic_page_at_once(
    client, topic, author, reader, staff
):
    url = topic.get_absolute_url()
    assert "Why" in client.get(url).content.decode()

    reply = services.post_create(topic=topic, by=reader, body="Renew the token.")
    assert "Renew the token." in client.get(url).content.decode()

    services.post_hide(post=reply, by=staff)
    page = client.get(url).content.decode()
    assert "Renew the token." not in page
    assert "This post is hidden." in page


def test_a_locked_topic_takes_the_quote_links_off_the_cached_posts_at_once(
    client, topic, reader, staff
):
    client.force_login(reader)
    url = topic.get_absolute_url()
    assert "quote-link" in client.get(url).content.decode()

    services.topic_lock(topic=topic, by=staff, locked=True)  # QuerySet.update()

    assert "quote-link" not in client.get(url).content.decode()


def test_cached_posts_are_per_viewer(client, topic, author, reader):
    url = topic.get_absolute_url()
    client.force_login(author)
    assert "/edit/" in client.get(url).content.decode()  # the author may edit
    client.force_login(reader)
    assert "/edit/" not in client.get(url).content.decode()
    client.logout()
    assert "Flag" not in client.get(url).content.decode()


def test_a_new_post_is_found_by_a_cached_search_at_once(client, topic, reader):
    assert "Nothing matches" in client.get("/forums/search/?q=webhook").content.decode()

    services.post_create(topic=topic, by=reader, body="Use a webhook instead.")

    results = client.get("/forums/search/?q=webhook").context["results"].results
    assert [p.body for p in results] == ["Use a webhook instead."]


def test_a_cached_search_never_shows_a_private_forum_to_others(client):
    from contributors.services import membership_add
    from tests.factories.contributors import GroupFactory

    group = GroupFactory(name="Technical steering group", slug="steering", kind="steering")
    private = services.forum_create(
        slug="steering", name="Steering (private)", kind="group", group=group, is_private=True
    )
    insider = person(name="Ines Insider")
    membership_add(group=group, user=insider)
    services.topic_create(forum=private, by=insider, title="Secret", body="webhook plans")
    client.force_login(insider)
    assert client.get("/forums/search/?q=webhook").context["results"].results
    client.logout()
    assert not client.get("/forums/search/?q=webhook").context["results"].results
    assert "webhook plans" not in client.get("/forums/search/?q=webhook").content.decode()


@pytest.fixture
def steering_member():
    from contributors.services import membership_add
    from tests.factories.contributors import GroupFactory

    group = GroupFactory(name="Technical steering group", slug="steering", kind="steering")
    private = services.forum_create(
        slug="steering", name="Steering (private)", kind="group", group=group, is_private=True
    )
    insider = person(name="Ines Insider")
    membership = membership_add(group=group, user=insider)
    services.topic_create(forum=private, by=insider, title="Secret", body="webhook plans")
    return insider, membership


def test_a_member_who_leaves_the_group_no_longer_finds_its_forum_in_a_cached_search(
    client, steering_member
):
    from contributors.services import memberships_save

    insider, membership = steering_member
    client.force_login(insider)
    assert client.get("/forums/search/?q=webhook").context["results"].results

    memberships_save(group=membership.group, memberships=[], deleted=[membership])

    response = client.get("/forums/search/?q=webhook")
    assert not response.context["results"].results
    assert "plans" not in response.content.decode()


def test_a_member_who_leaves_the_group_no_longer_sees_its_forum_on_the_cached_index(
    client, steering_member
):
    from contributors.services import memberships_save

    insider, membership = steering_member
    client.force_login(insider)
    assert "Steering (private)" in client.get("/forums/").content.decode()

    memberships_save(group=membership.group, memberships=[], deleted=[membership])

    assert "Steering (private)" not in client.get("/forums/").content.decode()
