"""Forum mail through a real Celery worker on Redis and a real SMTP receiver (aiosmtpd).

The worker is ``celery -A orcid_community worker`` (tests/mail/live.py) against the pytest
test database (PostgreSQL) and a Redis database of its own; it delivers to an SMTP receiver
in this process. Without PostgreSQL and Redis the tests are skipped with the reason; with
REQUIRE_E2E=1 (CI) they fail instead.
"""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import signing
from django.utils import timezone

from forums import digests
from forums import services as forums
from forums.models import ReplyKey
from mail import services
from mail.models import Delivery
from orcid_community.celery import app as celery_app
from tests.factories.accounts import person
from tests.factories.forums import ForumFactory
from tests.helpers import broker_idle, wait_until, watch
from tests.mail.live import DEAD_BROKER, broker, live_broker
from tests.stack import Mailbox


def test_a_broker_outage_loses_nothing_and_sends_everything_once(mailbox, client):
    api_users = ForumFactory(slug="api-users", name="ORCID API Users", kind="api_users")
    ana, ben, cleo, dan = (person(name=n) for n in ("Ana", "Ben", "Cleo", "Dan"))
    watch(ben, "each", forum=api_users)
    watch(cleo, "each", forum=api_users)
    watch(dan, "daily", forum=api_users)

    with broker(DEAD_BROKER):
        topic = forums.topic_create(forum=api_users, by=ana, title="Outage", body="Hello?")
        client.force_login(ana)
        response = client.post(f"/forums/t/{topic.pk}/reply/", {"body": "Anyone there?"})
        assert response.status_code == 302  # the request succeeds, broker or not
        run = digests.digest_send(
            mode="daily", now=timezone.now() + digests.SETTLE + timedelta(seconds=1)
        )
    assert run.total == 1
    wait_until(broker_idle(live_broker()))  # had anything reached the worker, it is sent now
    assert mailbox.messages == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}
    assert Delivery.objects.count() == 5  # Ben and Cleo: topic and reply; Dan: the digest

    # Five minutes later the broker is back, and beat's sweep runs (here: by name).
    Delivery.objects.update(queued_at=timezone.now() - timedelta(minutes=10))
    with broker(live_broker()):
        celery_app.send_task("mail.tasks.requeue_stale_deliveries")
        wait_until(lambda: not Delivery.objects.filter(state="pending").exists(), what="all sent")
        # A second sweep (and a late duplicate task) find nothing left to send.
        celery_app.send_task("mail.tasks.requeue_stale_deliveries")
        ids = list(Delivery.objects.values_list("pk", flat=True))
        celery_app.send_task("mail.tasks.send_delivery_batch", args=[ids])
        wait_until(broker_idle(live_broker()))  # a duplicate would have arrived by now
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert len(mailbox.to(ben.email)) == 2
    assert len(mailbox.to(cleo.email)) == 2
    [digest] = mailbox.to(dan.email)
    assert "Daily digest" in str(digest["Subject"])
    assert "Anyone there?" in Mailbox.text(digest)
    assert mailbox.to(ana.email) == []
    assert len(mailbox.messages) == 5
    reply = next(m for m in mailbox.to(ben.email) if "Re:" in str(m["Subject"]))
    key = ReplyKey.objects.get(user=ben, topic=topic).key
    assert str(reply["Reply-To"]) == f"reply+{key}@{settings.MAIL_LIST_ID_DOMAIN}"
    first = topic.posts.get(is_first=True)
    assert str(reply["In-Reply-To"]) == f"<post-{first.pk}@{settings.MAIL_LIST_ID_DOMAIN}>"
    assert str(reply["Message-ID"]).startswith("<post-")
    assert reply.get_body(preferencelist=("html",)) is not None


def test_the_one_click_unsubscribe_post_stops_further_mail(mailbox, client):
    api_users = ForumFactory(slug="api-users", name="ORCID API Users", kind="api_users")
    ana, ben, cleo = (person(name=n) for n in ("Ana", "Ben", "Cleo"))
    watch(ben, "each", forum=api_users)
    watch(cleo, "each", forum=api_users)
    with broker(live_broker()):
        topic = forums.topic_create(forum=api_users, by=ana, title="First", body="One")
        [first] = mailbox.wait_for(ben.email, subject_contains="First")
        assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = str(first["List-Unsubscribe"]).strip().strip("<>")  # a folded header
        path = urlsplit(link).path
        # What a mail program does (RFC 8058): POST, no session, no CSRF token.
        response = client.post(path, "List-Unsubscribe=One-Click", content_type="text/plain")
        assert response.status_code == 200
        forums.post_create(topic=topic, by=ana, body="Two")
        mailbox.wait_for(cleo.email, subject_contains="Re: [ORCID API Users] First")
        wait_until(broker_idle(live_broker()))  # a mail to Ben would have arrived by now
    assert len(mailbox.to(ben.email)) == 1
    assert Delivery.objects.get(recipient=ben, state="skipped")


def test_a_forged_or_expired_unsubscribe_link_gets_a_clear_400(client, db):
    token = services.unsubscribe_token(user_id=1, list_id="api-users")
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    response = client.post(f"/mail/unsubscribe/{forged}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    long_ago = time.time() - services.UNSUBSCRIBE_MAX_AGE - 60
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        expired = services.unsubscribe_token(user_id=1, list_id="api-users")
    with pytest.raises(signing.SignatureExpired):
        services.read_unsubscribe_token(expired)
    response = client.get(f"/mail/unsubscribe/{expired}/")
    assert response.status_code == 400
    assert "has expired" in response.content.decode()
