"""What a reply by mail costs: a fixed number of queries whatever the list's size, and the
counters it moves by one are those a full recount finds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forums import services as forums
from forums.models import Forum, Post, ReplyKey, Topic
from forums.notifications import reply_address, reply_keys_for
from inbound.services import message_receive
from mail.models import Delivery
from tests.factories.accounts import person
from tests.helpers import mail_bytes, run_together, watch

pytestmark = pytest.mark.django_db


def _reply(topic, sender, n: int):
    """One reply of ``sender`` by mail to ``topic``: its post, and its queries (up to its
    commit)."""
    address = reply_address(reply_keys_for(topic, [sender.pk])[sender.pk])
    raw = mail_bytes(to=address, sender=sender.email, text=f"Reply {n}\n\n> quoted")
    with CaptureQueriesContext(connection) as queries:
        result = message_receive(raw=raw, recipient=address)
    assert result.outcome == "posted"
    return Post.objects.get(pk=result.post_id), len(queries.captured_queries)


def _mailed(post) -> int:
    return Delivery.objects.filter(kind="forums.post", about=f"forums.post:{post.pk}").count()


def _grow(forum, topic, *, watchers: int, topics: int) -> None:
    for _ in range(watchers):
        watch(person(), "each", forum=forum)
    for n in range(topics):
        forums.topic_create(forum=forum, by=person(), title=f"Other topic {n}", body="More")
    # Everyone's reply address for the topic exists already, as after its first mail.
    watchers = [*forum.subscriptions.values_list("user_id", flat=True)]
    reply_keys_for(topic, watchers + [*topic.subscriptions.values_list("user_id", flat=True)])


def test_a_reply_by_mail_runs_the_same_queries_with_2_or_12_watchers_and_1_or_11_topics(
    api_users, ana, ben
):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    _grow(api_users, topic, watchers=2, topics=0)
    post, small = _reply(topic, ben, 1)
    assert _mailed(post) == 3  # the two watchers and ana, who watches her topic
    _grow(api_users, topic, watchers=10, topics=10)
    post, large = _reply(topic, ben, 2)
    assert _mailed(post) == 13
    assert large == small


def test_the_counters_a_reply_by_mail_moves_are_those_a_recount_finds(api_users, ana, ben):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    forums.topic_create(forum=api_users, by=ben, title="Tokens", body="Expiry?")
    for n in range(3):
        _reply(topic, ben, n)
    moved = Forum.objects.values("topic_count", "post_count", "last_post_at").get(pk=api_users.pk)
    topic_moved = Topic.objects.values(
        "reply_count", "last_post_at", "last_post_author", "last_post_author_name"
    ).get(pk=topic.pk)
    forums.topic_refresh(topic)
    forums.forum_refresh(api_users)
    assert (
        Forum.objects.values("topic_count", "post_count", "last_post_at").get(pk=api_users.pk)
        == moved
        == {
            "topic_count": 2,
            "post_count": 5,
            "last_post_at": Post.objects.latest("created_at").created_at,
        }
    )
    assert (
        Topic.objects.values(
            "reply_count", "last_post_at", "last_post_author", "last_post_author_name"
        ).get(pk=topic.pk)
        == topic_moved
    )
    assert topic_moved["reply_count"] == 3
    assert topic_moved["last_post_author"] == ben.pk


def test_a_held_reply_by_mail_moves_no_counter(api_users, ana):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    newcomer = person(email="nora@example.org", date_joined=timezone.now() - timedelta(hours=1))
    before = Forum.objects.values("post_count", "last_post_at").get(pk=api_users.pk)
    _reply(topic, newcomer, 0)
    assert Post.objects.get(author=newcomer).hidden_reason == Post.HiddenReason.HELD
    assert Forum.objects.values("post_count", "last_post_at").get(pk=api_users.pk) == before
    assert Topic.objects.get(pk=topic.pk).reply_count == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_one_mail_delivered_twice_at_the_same_moment_is_posted_once(api_users, ana, ben):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    key = ReplyKey.objects.create(key="t" * 24, user=ben, topic=topic).key
    address = f"reply+{key}@community.orcid.example"
    raw = mail_bytes(to=address, sender="ben@example.org", message_id="<twice@example.org>")
    results = run_together(
        lambda: message_receive(raw=raw, recipient=address),
        lambda: message_receive(raw=raw, recipient=address),
    )
    assert sorted(r.outcome for r in results) == ["duplicate", "posted"]
    assert topic.posts.count() == 2
    assert Topic.objects.get(pk=topic.pk).reply_count == 1


def test_a_watcher_s_first_reply_key_is_made_without_reading_keys_twice(api_users, ana, ben):
    """The watchers' query reads their keys; one without is made and read back, not asked
    for again first."""
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    watch(ben, "each", topic=topic)
    with CaptureQueriesContext(connection) as queries:
        forums.post_create(topic=topic, by=ana, body="An answer")
    on_keys = [
        q["sql"].split()[0]
        for q in queries.captured_queries
        if q["sql"].startswith(('SELECT "forums_replykey".', 'INSERT INTO "forums_replykey"'))
    ]
    assert on_keys == ["INSERT", "SELECT"]
    assert ReplyKey.objects.filter(topic=topic, user=ben).count() == 1
