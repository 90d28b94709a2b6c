"""Moderators (staff, group chairs) hide, restore, lock, pin and move; flags form a queue."""

import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.db import IntegrityError

from contributors.models import Membership
from contributors.services import membership_add
from core.errors import NotAllowed, RuleViolation
from forums import services
from forums.models import Flag, ModerationAction, Post, Topic
from tests.factories.accounts import person
from tests.factories.contributors import GroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_forum(db):
    group = GroupFactory(name="API working group", slug="api-wg")
    return services.forum_create(slug="api-wg", name="API working group", kind="group", group=group)


@pytest.fixture
def chair(group_forum):
    user = person(name="Carla Chair")
    membership_add(group=group_forum.group, user=user, role=Membership.Role.CHAIR)
    return user


@pytest.fixture
def reply(topic, reader):
    return services.post_create(topic=topic, by=reader, body="Buy cheap watches!")


def test_staff_hides_and_restores_a_post_and_the_log_says_so(client, topic, reply, staff, author):
    client.force_login(staff)
    assert client.post(f"/forums/p/{reply.pk}/hide/").status_code == 302
    reply.refresh_from_db()
    assert reply.is_hidden
    assert reply.hidden_reason == "moderator"
    client.force_login(author)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "Buy cheap watches" not in page
    assert "This post is hidden." in page
    client.force_login(staff)
    client.post(f"/forums/p/{reply.pk}/restore/")
    reply.refresh_from_db()
    assert not reply.is_hidden
    assert list(ModerationAction.objects.values_list("action", flat=True)) == ["restore", "hide"]


def test_the_author_of_a_hidden_post_still_sees_it_others_get_404_on_its_link(
    client, reply, reader, author, staff
):
    services.post_hide(post=reply, by=staff)
    client.force_login(reader)
    assert "Buy cheap watches" in client.get(reply.topic.get_absolute_url()).content.decode()
    client.force_login(author)
    assert client.get(f"/forums/p/{reply.pk}/").status_code == 404


def test_people_who_are_not_moderators_cannot_hide(client, reply, author):
    client.force_login(author)
    assert client.post(f"/forums/p/{reply.pk}/hide/").status_code == 403
    reply.refresh_from_db()
    assert not reply.is_hidden


def test_the_chair_of_a_group_moderates_its_forum_only(group_forum, chair, forum):
    author = person()
    in_group = services.topic_create(forum=group_forum, by=author, title="Agenda", body="x")
    elsewhere = services.topic_create(forum=forum, by=author, title="Other", body="y")
    services.topic_lock(topic=in_group, by=chair, locked=True)
    with pytest.raises(NotAllowed):
        services.topic_lock(topic=elsewhere, by=chair, locked=True)


def test_a_plain_group_member_is_not_a_moderator(group_forum):
    member = person()
    membership_add(group=group_forum.group, user=member)
    topic = services.topic_create(forum=group_forum, by=member, title="Agenda", body="x")
    with pytest.raises(NotAllowed):
        services.topic_pin(topic=topic, by=member, pinned=True)


def test_staff_moves_a_topic_and_both_forums_recount(client, topic, staff, forum):
    other = services.forum_create(slug="general", name="General")
    client.force_login(staff)
    response = client.post(f"/forums/t/{topic.pk}/move/", {"forum": other.pk})
    assert response.status_code == 302
    topic.refresh_from_db()
    forum.refresh_from_db()
    other.refresh_from_db()
    assert topic.forum == other
    assert (forum.topic_count, other.topic_count) == (0, 1)


def test_ideas_cannot_be_moved_out_of_the_ideas_forum(ideas, staff, author, forum):
    idea = services.topic_create(forum=ideas, by=author, title="An idea", body="x")
    with pytest.raises(RuleViolation):
        services.topic_move(topic=idea, by=staff, forum=forum)


def test_three_different_flaggers_hide_a_post_and_its_author_is_told(
    reply, reader, django_capture_on_commit_callbacks
):
    flaggers = [person() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for user in flaggers[:2]:
            services.post_flag(post=reply, by=user, reason="spam")
        reply.refresh_from_db()
        assert not reply.is_hidden
        services.post_flag(post=reply, by=flaggers[2], reason="off_topic")
    reply.refresh_from_db()
    assert reply.is_hidden
    assert reply.hidden_reason == "flags"
    assert [m.to for m in mail.outbox] == [[reader.email]]
    assert "hidden" in mail.outbox[0].subject


def test_the_hidden_post_mail_shows_names_and_titles_unescaped_in_its_text_part(
    forum, django_capture_on_commit_callbacks
):
    obrien = person(name="Seán O'Brien")
    topic = services.topic_create(forum=forum, by=obrien, title="R&D <tokens>", body="x")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            services.post_flag(post=topic.posts.get(), by=person(), reason="spam")
    message = mail.outbox[0]
    assert "Hello Seán O'Brien," in message.body
    assert "“R&D <tokens>”" in message.body
    assert "&amp;" not in message.body
    assert "&#x27;" not in message.body
    html = message.alternatives[0][0]
    assert "R&amp;D &lt;tokens&gt;" in html
    assert "<tokens>" not in html  # no HTML of a title or note gets into the mail's HTML
    assert "&amp;amp;" not in html


def test_a_post_hidden_by_flags_again_after_a_restore_tells_its_author_again(
    reply, reader, staff, django_capture_on_commit_callbacks
):
    from mail.models import Delivery

    def hide_by_flags():
        for _ in range(3):
            services.post_flag(post=reply, by=person(), reason="spam")

    with django_capture_on_commit_callbacks(execute=True):
        hide_by_flags()
        services.post_restore(post=reply, by=staff)
        hide_by_flags()
    assert [m.to for m in mail.outbox] == [[reader.email], [reader.email]]
    # The same hiding told twice (a retried task, a double call) mails once.
    second = ModerationAction.objects.filter(post=reply, action="hide_after_flags").last()
    reply.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services._tell_author_hidden(reply, second)
    assert len(mail.outbox) == 2
    assert Delivery.objects.filter(kind="forums.post_hidden", recipient=reader).count() == 2


def test_flagging_twice_is_refused_and_the_database_holds_one_flag_per_person(
    client, reply, author
):
    client.force_login(author)
    assert client.post(f"/forums/p/{reply.pk}/flag/", {"reason": "spam"}).status_code == 302
    response = client.post(f"/forums/p/{reply.pk}/flag/", {"reason": "spam"})
    assert response.status_code == 409
    assert "already flagged" in response.content.decode()
    with pytest.raises(IntegrityError):
        Flag.objects.create(post=reply, user=author, reason="spam")


def test_flags_need_a_known_reason_and_details_for_other(client, reply, author):
    client.force_login(author)
    assert client.post(f"/forums/p/{reply.pk}/flag/", {"reason": "boring"}).status_code == 400
    assert client.post(f"/forums/p/{reply.pk}/flag/", {"reason": "other"}).status_code == 400
    assert not Flag.objects.exists()


def test_nobody_flags_their_own_post(reply, reader):
    with pytest.raises(RuleViolation):
        services.post_flag(post=reply, by=reader, reason="spam")


def test_the_review_queue_lists_flagged_posts_for_moderators_only(client, reply, staff, author):
    services.post_flag(post=reply, by=author, reason="spam", note="Looks like an ad")
    client.force_login(author)
    assert client.get("/forums/moderation/").status_code == 403
    client.force_login(staff)
    page = client.get("/forums/moderation/").content.decode()
    assert "Looks like an ad" in page
    assert "Buy cheap watches" in page


def test_restoring_a_flag_hidden_post_dismisses_its_flags(client, reply, staff):
    for _ in range(3):
        services.post_flag(post=reply, by=person(), reason="spam")
    client.force_login(staff)
    response = client.post(f"/forums/p/{reply.pk}/restore/", {"next": "queue"})
    assert response["Location"] == "/forums/moderation/"
    reply.refresh_from_db()
    assert not reply.is_hidden
    assert set(Flag.objects.values_list("resolution", flat=True)) == {"dismissed"}
    assert "Buy cheap watches" not in client.get("/forums/moderation/").content.decode()


def test_hiding_the_accepted_answer_unmarks_it(topic, reply, author, staff):
    services.answer_accept(post=reply, by=author)
    services.post_hide(post=reply, by=staff)
    topic.refresh_from_db()
    assert topic.accepted_post is None
    assert Post.objects.filter(topic=topic, is_hidden=False).count() == 1


def test_an_accepted_answer_hidden_by_three_flags_is_no_longer_the_accepted_answer(
    client, forum, topic, reply, author
):
    services.answer_accept(post=reply, by=author)
    for _ in range(3):
        services.post_flag(post=reply, by=person(), reason="spam")
    topic.refresh_from_db()
    assert topic.accepted_post is None
    assert topic.reply_count == 0
    listing = client.get(forum.get_absolute_url()).content.decode()
    assert "Token expired on read-public" in listing
    assert ">answered<" not in listing
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "accepted answer" not in page


def test_the_migration_clears_accepted_answers_that_flags_hid_before_the_fix(topic, reply, author):
    migration = importlib.import_module("forums.migrations.0009_hidden_accepted_answers")
    services.answer_accept(post=reply, by=author)
    Post.objects.filter(pk=reply.pk).update(is_hidden=True, hidden_reason="flags")
    other = services.topic_create(forum=topic.forum, by=author, title="Still answered", body="x")
    answer = services.post_create(topic=other, by=person(), body="This works.")
    services.answer_accept(post=answer, by=author)
    migration.clear_hidden_accepted_answers(apps, None)
    assert Topic.objects.get(pk=topic.pk).accepted_post is None
    assert Topic.objects.get(pk=other.pk).accepted_post == answer
