"""Forum powers are permissions: ``is_staff`` alone reads no private forum, moderates nothing,
sets no idea status; the admin moderates through the services, with the same permission."""

import pytest
from django.core import mail

from forums import services
from forums.models import ModerationAction, Post, Topic
from tests.factories.accounts import UserFactory, grant, person, staff_person, with_two_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare_staff(db):
    return with_two_factor(person(is_staff=True))


@pytest.fixture
def reply(topic, reader):
    return services.post_create(topic=topic, by=reader, body="Renew the token.")


def test_staff_status_alone_reads_no_private_forum(client, bare_staff, secret):
    client.force_login(bare_staff)
    assert client.get("/forums/steering/").status_code == 404
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert "Steering group" not in client.get("/forums/").content.decode()


def test_the_read_permission_reads_private_forums_without_staff_status(client, secret):
    reader = with_two_factor(grant(person(), "forums.read_private_forums"))
    client.force_login(reader)
    assert client.get("/forums/steering/").status_code == 200
    assert client.get(secret.get_absolute_url(), follow=True).status_code == 200


def test_staff_status_alone_moderates_nothing(client, bare_staff, topic, reply):
    client.force_login(bare_staff)
    assert client.post(f"/forums/p/{reply.pk}/hide/").status_code in (403, 404)
    assert client.get("/forums/moderation/").status_code in (403, 404)
    assert not Post.objects.get(pk=reply.pk).is_hidden


def test_moderators_without_the_read_permission_do_not_moderate_private_forums(secret):
    moderator = grant(person(), "forums.moderate_forums")
    from forums import permissions

    assert not permissions.can_moderate(moderator, secret.forum)
    assert permissions.can_moderate(moderator, services.forum_create(slug="open", name="Open"))


def test_staff_status_alone_sets_no_idea_status(bare_staff, ideas, author):
    from forums import permissions

    assert not permissions.can_set_idea_status(bare_staff)
    assert permissions.can_set_idea_status(grant(person(), "forums.set_idea_status"))


def test_private_forum_mail_goes_to_readers_not_to_staff_status(
    bare_staff, private, member, django_capture_on_commit_callbacks
):
    from forums.models import Subscription

    reader = grant(person(name="Rita Reader"), "forums.read_private_forums")
    for watcher in (bare_staff, reader):  # staff status: subscribed when it was enough
        Subscription.objects.create(user=watcher, forum=private, mode="each")
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_create(forum=private, by=member, title="Budget", body="Secret")
    assert [m.to for m in mail.outbox] == [[reader.email]]


# --- The admin moderates through the services ---------------------------------------------------


def _action(client, model, action, *objects):
    return client.post(
        f"/admin/forums/{model}/",
        {"action": action, "_selected_action": [o.pk for o in objects]},
        follow=True,
    )


def test_the_admin_hides_a_post_through_the_moderation_service(client, topic, reply):
    moderator = staff_person("Community staff")
    client.force_login(moderator)
    response = _action(client, "post", "hide", reply)
    assert "1 post changed." in response.content.decode()
    reply.refresh_from_db()
    assert reply.is_hidden
    assert ModerationAction.objects.filter(action="hide", actor=moderator, post=reply).exists()
    topic.refresh_from_db()
    assert topic.reply_count == 0  # the counters follow


def test_staff_who_may_only_view_posts_cannot_hide_or_lock(client, topic, reply):
    viewer = with_two_factor(
        grant(UserFactory(is_staff=True), "forums.view_post", "forums.view_topic")
    )
    client.force_login(viewer)
    _action(client, "post", "hide", reply)
    _action(client, "topic", "lock", topic)
    assert not Post.objects.get(pk=reply.pk).is_hidden
    assert not Topic.objects.get(pk=topic.pk).is_locked


def test_a_post_is_not_edited_in_the_admin(client, topic, reply):
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    response = client.post(
        f"/admin/forums/post/{reply.pk}/change/",
        {"topic": topic.pk, "author": UserFactory().pk, "body": "Rewritten"},
    )
    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.body != "Rewritten"


def test_the_admin_lists_no_private_topic_to_staff_who_may_not_read_it(client, secret):
    viewer = with_two_factor(grant(UserFactory(is_staff=True), "forums.view_topic"))
    client.force_login(viewer)
    assert "Confidential" not in client.get("/admin/forums/topic/").content.decode()
    client.force_login(staff_person("Community staff"))
    assert "Confidential" in client.get("/admin/forums/topic/").content.decode()


def test_a_reserved_forum_address_is_a_form_error_in_the_admin(client):
    client.force_login(staff_person("Community staff"))
    response = client.post(
        "/admin/forums/forum/add/",
        {"name_en": "Search", "slug": "search", "kind": "general", "position": 0},
    )
    assert response.status_code == 200
    assert "This address is reserved" in response.content.decode()
