"""Watching forums and topics with a delivery mode (the mail issue sends what they ask)."""

import pytest
from django.db import IntegrityError

from forums import services
from forums.models import Subscription

pytestmark = pytest.mark.django_db


def test_the_author_watches_their_topic(topic, author):
    assert Subscription.objects.get(user=author).topic == topic


def test_a_reader_watches_a_forum_changes_the_mode_and_stops(client, forum, reader):
    client.force_login(reader)
    client.post(f"/forums/{forum.slug}/watch/", {"mode": "daily"})
    assert Subscription.objects.get(user=reader, forum=forum).mode == "daily"
    client.post(f"/forums/{forum.slug}/watch/", {"mode": "weekly"})
    assert Subscription.objects.get(user=reader, forum=forum).mode == "weekly"
    client.post(f"/forums/{forum.slug}/watch/", {"mode": "off"})
    assert not Subscription.objects.filter(user=reader).exists()


def test_watching_a_topic_through_the_page(client, topic, reader):
    client.force_login(reader)
    assert client.post(f"/forums/t/{topic.pk}/watch/", {"mode": "none"}).status_code == 302
    assert Subscription.objects.get(user=reader, topic=topic).mode == "none"


def test_an_unknown_mode_is_a_clear_400(client, forum, reader):
    client.force_login(reader)
    assert client.post(f"/forums/{forum.slug}/watch/", {"mode": "hourly"}).status_code == 400


def test_the_database_holds_one_subscription_per_person_and_thing(forum, topic, reader):
    Subscription.objects.create(user=reader, forum=forum)
    with pytest.raises(IntegrityError):
        Subscription.objects.create(user=reader, forum=forum)


def test_a_subscription_is_to_a_forum_or_a_topic_not_both(forum, topic, reader):
    with pytest.raises(services.InvalidInput):
        services.subscription_set(by=reader, forum=forum, topic=topic, mode="each")
    with pytest.raises(IntegrityError):
        Subscription.objects.create(user=reader, forum=forum, topic=topic)
