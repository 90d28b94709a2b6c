"""The delivery state machine (attempts, failure, error text, next attempt time), the sweep
that retries what is due, and staff's resend: by unit, and against a real SMTP receiver."""

from __future__ import annotations

import smtplib
import socket
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from core.errors import NotAllowed
from mail import services
from mail.models import Delivery
from tests.factories import UserFactory
from tests.factories.accounts import grant, with_two_factor
from tests.stack import Mailbox, SmtpReceiver

pytestmark = pytest.mark.django_db

NOW = timezone.now()
REFUSED_FOR_GOOD = smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"No such mailbox")})
REFUSED_FOR_NOW = smtplib.SMTPRecipientsRefused({"x@example.org": (450, b"Mailbox busy")})


def notify(people, *, about="test:1"):
    return services.deliver(
        recipients=people,
        kind="test.notice",
        about=about,
        subject="Notice",
        template="mail/email/test_notice",
        context={"message": "Something happened."},
        list_id="tests",
    )


@pytest.fixture
def pending(django_capture_on_commit_callbacks):
    """``pending(n)``: n pending deliveries that no task holds (the broker refused them),
    their ids in order."""

    def make(n: int) -> list[int]:
        with django_capture_on_commit_callbacks(execute=False):
            notify(UserFactory.create_batch(n))
        Delivery.objects.update(queued_at=None)  # what services._not_queued leaves
        return sorted(Delivery.objects.values_list("pk", flat=True))

    return make


# --- the state machine -------------------------------------------------------------------


def test_a_failed_attempt_is_counted_and_the_next_follows_the_schedule():
    delivery = Delivery(attempts=0, queued_at=NOW)
    for n, delay in enumerate([60, 300, 900, 3600], start=1):
        services.attempt_failed(delivery, REFUSED_FOR_NOW, now=NOW)
        assert delivery.attempts == n
        assert delivery.state == "pending"
        assert delivery.next_attempt_at == NOW + timedelta(seconds=delay)
        assert delivery.queued_at is None  # no task holds it: the sweep's when due
        assert delivery.last_error.startswith("SMTPRecipientsRefused")


def test_the_last_attempt_ends_the_delivery_failed():
    delivery = Delivery(attempts=services.MAX_ATTEMPTS - 2)
    services.attempt_failed(delivery, TimeoutError("timed out"), now=NOW)
    assert delivery.state == "pending"
    services.attempt_failed(delivery, TimeoutError("timed out"), now=NOW)
    assert (delivery.state, delivery.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert delivery.last_error == "TimeoutError: timed out"


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (REFUSED_FOR_GOOD, True),
        (REFUSED_FOR_NOW, False),
        (smtplib.SMTPDataError(554, b"Message refused"), True),
        (smtplib.SMTPDataError(451, b"Try again later"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (smtplib.SMTPSenderRefused(553, b"Sender refused", "community@localhost"), False),
    ],
)
def test_only_a_permanent_refusal_of_the_message_fails_it_at_its_first_attempt(error, permanent):
    delivery = Delivery(attempts=0)
    services.attempt_failed(delivery, error, now=NOW)
    assert delivery.attempts == 1
    assert (delivery.state == "failed") is permanent


def test_a_delivery_not_tried_keeps_its_attempts_and_waits_the_first_delay():
    delivery = Delivery(attempts=3, queued_at=NOW)
    services.not_tried(delivery, ConnectionRefusedError("refused"), now=NOW)
    assert (delivery.state, delivery.attempts) == ("pending", 3)
    assert delivery.next_attempt_at == NOW + timedelta(seconds=services.retry_delay(0))
    assert delivery.queued_at is None
    assert delivery.last_error == "ConnectionRefusedError: refused"


# --- the single and the batch send share it -------------------------------------------------


def test_the_single_and_the_batch_send_record_a_failed_attempt_alike(pending):
    first, second = pending(2)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=REFUSED_FOR_NOW,
    ):
        assert services.delivery_send(delivery_id=first) == "pending"
        assert services.deliveries_send_batch(delivery_ids=[second])["retry"] == [second]
    rows = list(Delivery.objects.order_by("pk"))
    assert [(d.attempts, d.state, d.queued_at) for d in rows] == [(1, "pending", None)] * 2
    assert all(d.next_attempt_at > timezone.now() + timedelta(seconds=50) for d in rows)
    assert rows[0].last_error == rows[1].last_error


def test_a_recipient_refused_for_good_fails_that_delivery_only(pending):
    ids = pending(3)
    refused = Delivery.objects.get(pk=ids[1]).to_email
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def refuse_one(self, messages):
        if messages[0].to == [refused]:
            raise smtplib.SMTPRecipientsRefused({refused: (550, b"No such mailbox")})
        return real_send(self, messages)

    with mock.patch.object(EmailBackend, "send_messages", refuse_one):
        outcome = services.deliveries_send_batch(delivery_ids=ids)
    assert outcome["failed"] == [ids[1]]
    assert sorted(outcome["sent"]) == [ids[0], ids[2]]
    assert Delivery.objects.get(pk=ids[1]).attempts == 1
    assert len(mail.outbox) == 2


def test_a_connection_lost_mid_batch_charges_only_the_message_it_was_sending(pending):
    ids = pending(4)
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def lost_at_the_second(self, messages):
        if len(mail.outbox) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, messages)

    with mock.patch.object(EmailBackend, "send_messages", lost_at_the_second):
        outcome = services.deliveries_send_batch(delivery_ids=ids)
    assert outcome["sent"] == [ids[0]]
    attempts = dict(Delivery.objects.values_list("pk", "attempts"))
    assert [attempts[pk] for pk in ids] == [1, 1, 0, 0]
    assert set(Delivery.objects.filter(pk__in=ids[1:]).values_list("state", flat=True)) == {
        "pending"
    }


# --- the sweep ------------------------------------------------------------------------------


def test_the_sweep_retries_a_failed_for_now_delivery_once_its_time_has_come(pending):
    [pk] = pending(1)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=REFUSED_FOR_NOW,
    ):
        services.delivery_send(delivery_id=pk)
    assert services.deliveries_requeue_stale() == 0  # due in a minute
    Delivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    assert services.deliveries_requeue_stale() == 1
    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_the_sweep_hands_nothing_over_while_the_mail_server_cannot_be_reached(pending, caplog):
    pending(3)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.open",
        side_effect=ConnectionRefusedError("no SMTP server"),
        create=True,
    ):
        assert services.deliveries_requeue_stale() == 0
    assert "cannot be reached" in caplog.text
    assert set(Delivery.objects.values_list("queued_at", flat=True)) == {None}
    assert services.deliveries_requeue_stale() == 3
    assert len(mail.outbox) == 3


def test_the_sweep_leaves_sent_failed_and_skipped_deliveries_alone(pending):
    ids = pending(3)
    for pk, state in zip(ids, ["sent", "failed", "skipped"], strict=True):
        Delivery.objects.filter(pk=pk).update(state=state)
    assert services.deliveries_requeue_stale() == 0


# --- staff send failed deliveries again -----------------------------------------------------


@pytest.fixture
def failed(pending):
    ids = pending(2)
    Delivery.objects.filter(pk=ids[0]).update(
        state="failed", attempts=services.MAX_ATTEMPTS, last_error="SMTPDataError: 554"
    )
    return ids


def test_resend_puts_failed_deliveries_back_at_their_first_attempt(
    failed, django_capture_on_commit_callbacks
):
    holder = grant(UserFactory(), "mail.resend_delivery")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_resend(by=holder, delivery_ids=failed) == 1  # not the pending
    delivery = Delivery.objects.get(pk=failed[0])
    assert (delivery.state, delivery.attempts) == ("sent", 1)
    assert [m.to[0] for m in mail.outbox] == [delivery.to_email]


def test_resend_is_refused_to_someone_without_the_permission(failed):
    with pytest.raises(NotAllowed):
        services.deliveries_resend(by=UserFactory(is_staff=True), delivery_ids=failed)
    assert Delivery.objects.get(pk=failed[0]).state == "failed"


def _resend(client, *deliveries):
    return client.post(
        "/admin/mail/delivery/",
        {"action": "resend", "_selected_action": list(deliveries)},
        follow=True,
    )


@pytest.mark.parametrize("group", ["Consortia staff", "Community staff"])
def test_both_staff_groups_resend_failed_deliveries_from_the_admin(
    client, failed, group, django_capture_on_commit_callbacks
):
    staff = with_two_factor(UserFactory(is_staff=True))
    staff.groups.add(Group.objects.get(name=group))
    client.force_login(staff)
    assert 'value="resend"' in client.get("/admin/mail/delivery/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = _resend(client, *failed)
    assert "1 failed delivery is sent again." in page.content.decode()
    assert Delivery.objects.get(pk=failed[0]).state == "sent"


def test_staff_who_may_only_view_deliveries_cannot_resend_them(client, failed):
    staff = grant(with_two_factor(UserFactory(is_staff=True)), "mail.view_delivery")
    client.force_login(staff)
    page = client.get("/admin/mail/delivery/")
    assert page.status_code == 200
    assert 'value="resend"' not in page.content.decode()
    _resend(client, *failed)
    assert Delivery.objects.get(pk=failed[0]).state == "failed"


# --- against a real SMTP receiver -------------------------------------------------------------


@pytest.fixture
def receiver(settings):
    box = Mailbox()
    smtp = SmtpReceiver(box.add)
    smtp.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    try:
        yield smtp, box
    finally:
        smtp.stop()


def test_an_smtp_outage_costs_no_attempt_and_loses_nothing(receiver, pending):
    smtp, box = receiver
    ids = pending(12)  # two chunks
    smtp.stop()
    outcome = services.deliveries_send_batch(delivery_ids=ids)
    assert sorted(outcome["retry"]) == ids
    assert set(Delivery.objects.values_list("attempts", "state")) == {(0, "pending")}
    assert services.deliveries_requeue_stale() == 0  # not due, and the server is away
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert services.deliveries_requeue_stale() == 0  # due, but the server is still away
    smtp.start()
    assert services.deliveries_requeue_stale() == 12
    assert set(Delivery.objects.values_list("attempts", "state")) == {(1, "sent")}
    assert sorted(int(m["X-Portal-Delivery"]) for m in box.messages) == ids


def test_a_server_that_never_greets_costs_no_attempt(settings, pending):
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = 0.3
        [pk] = pending(1)
        assert services.delivery_send(delivery_id=pk) == "pending"
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.attempts == 0
    assert "timed out" in delivery.last_error


def test_a_mailbox_refused_for_good_fails_that_delivery_and_the_rest_go(receiver, pending):
    smtp, box = receiver
    ids = pending(3)
    refused = Delivery.objects.get(pk=ids[1])
    smtp.refused.add(refused.to_email)
    outcome = services.deliveries_send_batch(delivery_ids=ids)
    assert outcome["failed"] == [ids[1]]
    refused.refresh_from_db()
    assert (refused.state, refused.attempts) == ("failed", 1)
    assert "550" in refused.last_error
    assert sorted(int(m["X-Portal-Delivery"]) for m in box.messages) == [ids[0], ids[2]]
