"""A double-clicked form makes one thing (core.submissions), shown with a forum reply: the
same form sent again, one after the other or at the same moment, is answered with the first
one's redirect; a form with errors, another person's form or the same one after the window
is a new submission."""

import pytest
from django.db import connection
from django.test import Client, override_settings

from core.models import Submission
from core.submissions import forget_old
from forums import services
from forums.models import Post
from tests.factories.accounts import person
from tests.factories.forums import ForumFactory
from tests.helpers import run_together


@pytest.fixture
def topic(db):
    forum = ForumFactory(slug="api-users")
    return services.topic_create(forum=forum, by=person(), title="A question", body="Why?")


def _reply(client, topic, body="Same here."):
    return client.post(f"/forums/t/{topic.pk}/reply/", {"body": body})


def test_the_same_reply_sent_twice_makes_one_post_and_both_lead_to_it(client, topic):
    client.force_login(person())
    first = _reply(client, topic)
    second = _reply(client, topic)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Post.objects.filter(topic=topic, body="Same here.").count() == 1
    page = client.get(second["Location"])
    assert "This form was sent twice; it was taken in once, here." in page.content.decode()


def test_a_form_with_errors_is_not_kept_so_the_next_try_counts(client, topic):
    client.force_login(person())
    assert _reply(client, topic, body="").status_code == 400
    assert _reply(client, topic, body="").status_code == 400
    assert not Submission.objects.exists()
    assert _reply(client, topic).status_code == 302
    assert Post.objects.filter(topic=topic, body="Same here.").count() == 1


def test_two_people_sending_the_same_words_make_two_posts(topic):
    for _ in range(2):
        client = Client()
        client.force_login(person())
        assert _reply(client, topic).status_code == 302
    assert Post.objects.filter(topic=topic, body="Same here.").count() == 2


def test_different_words_are_a_different_submission(client, topic):
    client.force_login(person())
    _reply(client, topic, body="One.")
    _reply(client, topic, body="Two.")
    assert Post.objects.filter(topic=topic, is_first=False).count() == 2


@override_settings(DUPLICATE_SUBMISSION_SECONDS=0)
def test_the_same_form_after_the_window_is_a_new_submission(client, topic):
    client.force_login(person())
    _reply(client, topic)
    _reply(client, topic)
    assert Post.objects.filter(topic=topic, body="Same here.").count() == 2
    assert Submission.objects.count() == 1  # the old answer was replaced


def test_anonymous_submissions_are_left_to_the_view(client, topic):
    response = _reply(client, topic)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Submission.objects.exists()


def test_answers_older_than_the_window_are_forgotten(client, topic):
    client.force_login(person())
    _reply(client, topic)
    assert forget_old() == 0
    with override_settings(DUPLICATE_SUBMISSION_SECONDS=0):
        assert forget_old() == 1
    assert not Submission.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_a_double_click_sent_at_the_same_moment_makes_one_post():
    forum = ForumFactory(slug="api-users")
    topic = services.topic_create(forum=forum, by=person(), title="A question", body="Why?")
    replier = person()
    clients = []
    for _ in range(3):
        client = Client()
        client.force_login(replier)
        clients.append(client)
    answers = run_together(*[(lambda c=c: _reply(c, topic)) for c in clients])
    assert [a.status_code for a in answers] == [302, 302, 302]
    assert len({a["Location"] for a in answers}) == 1
    assert Post.objects.filter(topic=topic, body="Same here.").count() == 1
