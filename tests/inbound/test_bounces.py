"""Bounces: every mail goes out from a VERP address naming its delivery; a bounce to it is
scored against the address (Mailman's model) and list mail stops at the threshold."""

from datetime import timedelta
from email.message import EmailMessage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from inbound.services import message_receive, recipient_target
from mail import services
from mail.models import BounceScore, Delivery
from tests.factories.accounts import person
from tests.inbound.conftest import DOMAIN

pytestmark = pytest.mark.django_db

TEMPLATE = "mail/email/test_notice"


def notify(people, *, about="test:1", list_id="tests"):
    services.deliver(
        recipients=people,
        kind="test.notice",
        about=about,
        subject="Notice",
        template=TEMPLATE,
        context={"message": "Something happened."},
        list_id=list_id,
    )


def report(*, to: str, failed: str, action: str = "failed", status: str = "5.1.1") -> bytes:
    """An RFC 3464 delivery status notification, as a receiving server sends it."""
    outer = MIMEMultipart("report", report_type="delivery-status")
    outer["From"] = "MAILER-DAEMON@mx.example.net"
    outer["To"] = to
    outer["Subject"] = "Undelivered Mail Returned to Sender"
    outer["Message-ID"] = f"<dsn-{failed}-{action}-{timezone.now().timestamp()}@mx.example.net>"
    outer["Auto-Submitted"] = "auto-replied"
    outer.attach(MIMEText("Your message could not be delivered.\n"))
    status_part = MIMEMultipart("delivery-status")
    status_part.set_type("message/delivery-status")
    per_message, per_recipient = EmailMessage(), EmailMessage()
    per_message["Reporting-MTA"] = "dns; mx.example.net"
    per_recipient["Final-Recipient"] = f"rfc822; {failed}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Diagnostic-Code"] = f"smtp; {'550' if status[0] == '5' else '451'} {status}"
    status_part.set_payload([per_message, per_recipient])
    outer.attach(status_part)
    original = EmailMessage()
    original["Subject"] = "Notice"
    outer.attach(MIMEMessage(original))
    return outer.as_bytes()


def bounce(delivery: Delivery, **kwargs):
    address = services.bounce_address(delivery.pk)
    raw = report(to=address, failed=delivery.to_email, **kwargs)
    return message_receive(raw=raw, recipient=address, envelope_from="")


def some_days_ago(days: int) -> None:
    BounceScore.objects.update(last_bounce_at=timezone.now() - timedelta(days=days))


def test_each_mail_goes_out_from_its_delivery_s_address_and_says_it_is_from_the_portal(
    django_capture_on_commit_callbacks, settings
):
    ana = person(email="ana@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notify([ana])
    delivery = Delivery.objects.get()
    message = mail.outbox[0]
    assert message.from_email == services.bounce_address(delivery.pk)
    assert message.message()["From"] == settings.DEFAULT_FROM_EMAIL
    assert services.bounce_delivery_id(message.from_email.partition("@")[0]) == delivery.pk
    assert recipient_target(message.from_email).delivery_id == delivery.pk


def test_a_made_up_bounce_address_names_no_delivery():
    real = services.bounce_address(7).partition("@")[0]
    assert services.bounce_delivery_id(real) == 7
    assert services.bounce_delivery_id(real.replace("bounces+7-", "bounces+8-")) is None
    assert services.bounce_delivery_id("bounces+7") is None
    assert recipient_target(f"bounces+7-{'0' * 16}@{DOMAIN}") is None


def test_a_permanent_failure_counts_one_and_a_delay_half(django_capture_on_commit_callbacks):
    ana, ben = person(email="ana@example.org"), person(email="Ben@Example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notify([ana, ben])
    to_ana = Delivery.objects.get(to_email="ana@example.org")
    to_ben = Delivery.objects.get(to_email="Ben@Example.org")

    hard = bounce(to_ana)
    soft = bounce(to_ben, action="delayed", status="4.2.2")

    assert (hard.outcome, hard.reason, soft.outcome, soft.reason) == (
        "bounce",
        "hard",
        "bounce",
        "soft",
    )
    scores = {s.email: s for s in BounceScore.objects.all()}
    assert scores["ana@example.org"].score == 1
    assert "5.1.1" in scores["ana@example.org"].last_reason
    assert scores["ben@example.org"].score == 0.5  # stored in lower case
    assert not mail.outbox[2:]  # a bounce is never answered


def test_bounces_count_once_a_day_stop_list_mail_at_five_and_go_stale_after_a_week(
    django_capture_on_commit_callbacks,
):
    ana = person(email="ana@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notify([ana])
    delivery = Delivery.objects.get()

    bounce(delivery)
    bounce(delivery, status="5.1.2")  # the same day: counted once
    assert BounceScore.objects.get().score == 1
    for _day in range(3):
        some_days_ago(1)
        bounce(delivery)
    assert BounceScore.objects.get().disabled_at is None
    some_days_ago(8)  # a week without bounces: the score starts again
    bounce(delivery)
    assert BounceScore.objects.get().score == 1
    for _day in range(4):
        some_days_ago(1)
        bounce(delivery)
    score = BounceScore.objects.get()
    assert (score.score, score.bounces) == (5, 9)
    assert score.disabled_at is not None


@override_settings(MAIL_BOUNCE_THRESHOLD=1.0)
def test_list_mail_to_a_stopped_address_is_skipped_but_account_mail_still_goes(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "BOUNCE_THRESHOLD", 1.0)
    ana, ben = person(email="ana@example.org"), person(email="ben@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notify([ana])
    bounce(Delivery.objects.get())
    assert BounceScore.objects.get().disabled_at is not None
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        notify([ana, ben], about="test:2")
        notify([ana], about="test:3", list_id=services.ACCOUNT_LIST)

    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "ben@example.org"]
    states = dict(Delivery.objects.filter(to_email="ana@example.org").values_list("about", "state"))
    assert states == {"test:1": "sent", "test:2": "skipped", "test:3": "sent"}


def test_the_person_sees_it_and_turns_mail_on_again_but_not_for_someone_else(client, settings):
    ana, ben = person(email="ana@example.org"), person(email="ben@example.org")
    now = timezone.now()
    for address in ("ana@example.org", "ben@example.org"):
        BounceScore.objects.create(email=address, score=5, last_bounce_at=now, disabled_at=now)

    client.force_login(ana)
    page = client.get("/mail/settings/")
    assert b"ana@example.org" in page.content
    assert b"kept coming back undelivered" in page.content
    assert b"ben@example.org" not in page.content
    refused = client.post("/mail/bounces/enable/", {"email": "ben@example.org"})
    enabled = client.post("/mail/bounces/enable/", {"email": "ana@example.org"})

    assert refused.status_code == 403
    assert enabled.status_code == 302
    stopped = BounceScore.objects.filter(disabled_at__isnull=False)
    assert list(stopped.values_list("email", flat=True)) == ["ben@example.org"]
    assert BounceScore.objects.get(email="ana@example.org").score == 0
    assert b"kept coming back" not in client.get("/mail/settings/").content
    client.force_login(ben)
    assert b"kept coming back" in client.get("/mail/settings/").content
