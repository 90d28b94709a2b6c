"""A topic or a reply sent twice (a double click, a reload) is made once (core.submissions)."""

import pytest
from django.db import connection
from django.test import Client

from forums.models import Post, Topic
from tests.factories.accounts import person
from tests.factories.forums import ForumFactory
from tests.helpers import run_together

TOPIC = {"title": "Webhooks stopped firing", "body": "Since Monday nothing arrives."}


@pytest.mark.django_db
def test_a_new_topic_sent_twice_is_one_topic_and_both_answers_lead_to_it(client, forum, author):
    client.force_login(author)
    first = client.post(f"/forums/{forum.slug}/new/", TOPIC)
    second = client.post(f"/forums/{forum.slug}/new/", TOPIC)
    topic = Topic.objects.get(title=TOPIC["title"])
    assert first["Location"] == second["Location"] == topic.get_absolute_url()


@pytest.mark.django_db
def test_a_reply_sent_twice_is_one_post(client, topic, reader):
    client.force_login(reader)
    answers = [client.post(f"/forums/t/{topic.pk}/reply/", {"body": "Me too."}) for _ in "ab"]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert Post.objects.filter(topic=topic, body="Me too.").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_a_new_topic_sent_twice_at_the_same_moment_is_one_topic():
    forum = ForumFactory(slug="api-users")
    author = person()
    clients = [Client() for _ in range(2)]
    for client in clients:
        client.force_login(author)
    answers = run_together(
        *[(lambda c=c: c.post(f"/forums/{forum.slug}/new/", TOPIC)) for c in clients]
    )
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert Topic.objects.filter(title=TOPIC["title"]).count() == 1
