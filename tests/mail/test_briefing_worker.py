"""Briefing mail through a real Celery worker on Redis and a real SMTP receiver (aiosmtpd).

The worker, the receiver and the broker switch are those of ``test_worker_integration``
(tests/mail/live.py); like those tests, these skip without PostgreSQL and Redis (and fail
with REQUIRE_E2E=1).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from contributors import services as contributors
from contributors.models import Membership
from mail.models import Delivery
from orcid_community.celery import app as celery_app
from tests.factories.accounts import person
from tests.factories.contributors import (
    BriefingSubscriptionFactory,
    GroupFactory,
    MembershipFactory,
)
from tests.helpers import broker_idle, wait_until
from tests.mail import live
from tests.stack import Mailbox


def _group_with_subscribers(*names):
    group = GroupFactory(name="Member API working group", slug="member-api")
    chair = MembershipFactory(group=group, role=Membership.Role.CHAIR, user=person(name="Chair"))
    people = [person(name=name) for name in names]
    for someone in people:
        BriefingSubscriptionFactory(group=group, user=someone)
    return group, chair.user, people


def _publish_url(briefing) -> str:
    return f"/groups/{briefing.group.slug}/briefings/{briefing.pk}/publish/"


def test_publishing_a_briefing_mails_each_subscriber_exactly_once(mailbox, client):
    group, chair, people = _group_with_subscribers("Ana", "Ben", "Cleo")
    briefing = contributors.briefing_create(
        group=group, by=chair, title="May report", body="We **met** twice."
    )
    client.force_login(chair)
    with live.broker(live.live_broker()):
        assert client.post(_publish_url(briefing)).status_code == 302
        for someone in people:
            mailbox.wait_for(someone.email, subject_contains="May report")
        wait_until(broker_idle(live.live_broker()))  # a duplicate would have arrived by now
    assert len(mailbox.messages) == 3
    for someone in people:
        [message] = mailbox.to(someone.email)
        assert str(message["List-Id"]) == f"<briefings-member-api.{settings.MAIL_LIST_ID_DOMAIN}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/mail/unsubscribe/" in str(message["List-Unsubscribe"])
        assert "We **met** twice." in Mailbox.text(message)
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "<strong>met</strong>" in html
    assert mailbox.to(chair.email) == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_broker_outage_while_publishing_loses_no_briefing_and_sends_each_once(mailbox, client):
    group, chair, people = _group_with_subscribers("Ana", "Ben", "Cleo")
    briefing = contributors.briefing_create(
        group=group, by=chair, title="Outage report", body="Still here."
    )
    client.force_login(chair)
    with live.broker(live.DEAD_BROKER):
        response = client.post(_publish_url(briefing))
        assert response.status_code == 302  # the request succeeds, broker or not
    briefing.refresh_from_db()
    assert briefing.is_published
    wait_until(broker_idle(live.live_broker()))  # had anything reached the worker, it is sent
    assert mailbox.messages == []
    assert list(Delivery.objects.values_list("state", flat=True)) == ["pending"] * 3

    # Later the broker is back, and beat's sweep runs (here: by name).
    Delivery.objects.update(queued_at=timezone.now() - timedelta(minutes=10))
    with live.broker(live.live_broker()):
        celery_app.send_task("mail.tasks.requeue_stale_deliveries")
        wait_until(lambda: not Delivery.objects.filter(state="pending").exists(), what="all sent")
        # A second sweep and a late duplicate task find nothing left to send.
        celery_app.send_task("mail.tasks.requeue_stale_deliveries")
        ids = list(Delivery.objects.values_list("pk", flat=True))
        celery_app.send_task("mail.tasks.send_delivery_batch", args=[ids])
        wait_until(broker_idle(live.live_broker()))  # a duplicate would have arrived by now
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    for someone in people:
        assert len(mailbox.to(someone.email)) == 1
    assert len(mailbox.messages) == 3


def test_the_one_click_unsubscribe_post_stops_the_next_briefing(mailbox, client):
    group, chair, (ana, ben) = _group_with_subscribers("Ana", "Ben")
    first = contributors.briefing_create(group=group, by=chair, title="First", body="One")
    second = contributors.briefing_create(group=group, by=chair, title="Second", body="Two")
    with live.broker(live.live_broker()):
        contributors.briefing_publish(briefing=first, by=chair)
        [mail] = mailbox.wait_for(ana.email, subject_contains="First")
        mailbox.wait_for(ben.email, subject_contains="First")
        link = str(mail["List-Unsubscribe"]).strip().strip("<>")  # a folded header
        # What a mail program does (RFC 8058): POST, no session, no CSRF token.
        response = client.post(
            urlsplit(link).path, "List-Unsubscribe=One-Click", content_type="text/plain"
        )
        assert response.status_code == 200
        contributors.briefing_publish(briefing=second, by=chair)
        mailbox.wait_for(ben.email, subject_contains="Second")
        wait_until(broker_idle(live.live_broker()))  # a mail to Ana would have arrived by now
    assert [str(m["Subject"]) for m in mailbox.to(ana.email)] == [
        "[Member API working group] First"
    ]
    assert len(mailbox.to(ben.email)) == 2
