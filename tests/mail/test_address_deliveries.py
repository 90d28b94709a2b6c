"""Mail to an address, whoever owns it (an invitation): a Delivery without a recipient,
written with the event, sent after commit, exactly once, and not list mail."""

import pytest
from django.core import mail

from mail import services
from mail.models import Delivery, Unsubscription
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def invite(email="Someone@Example.org", about="test:1", language=""):
    return services.deliver_to_address(
        email=email,
        kind="test.invitation",
        about=about,
        subject="Notice about %(thing)s",
        subject_params={"thing": "the portal"},
        template="mail/email/test_notice",
        context={"message": "You are invited."},
        language=language,
    )


def test_an_address_gets_one_mail_after_commit_without_list_headers(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert invite() == 1
    assert mail.outbox == []
    delivery = Delivery.objects.get()
    assert delivery.recipient is None
    assert delivery.to_email == "someone@example.org"
    assert delivery.state == "pending"
    for callback in callbacks:
        callback()
    (message,) = mail.outbox
    assert message.to == ["someone@example.org"]
    assert message.subject == "Notice about the portal"
    assert "You are invited." in message.body
    assert "List-Id" not in message.extra_headers
    assert "List-Unsubscribe" not in message.extra_headers
    assert "Unsubscribe" not in message.alternatives[0][0]
    delivery.refresh_from_db()
    assert delivery.state == "sent"


def test_the_same_mail_to_the_same_address_is_written_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert invite() == 1
        assert invite(email="someone@example.org") == 0
        assert invite(about="test:2") == 1
    assert Delivery.objects.count() == 2
    assert len(mail.outbox) == 2


def test_an_address_of_an_account_is_mailed_the_same_way_and_no_unsubscription_stops_it(
    django_capture_on_commit_callbacks,
):
    person = UserFactory(email="someone@example.org")
    Unsubscription.objects.create(user=person, list_id=services.ACCOUNT_LIST)
    with django_capture_on_commit_callbacks(execute=True):
        invite()
    delivery = Delivery.objects.get()
    assert delivery.recipient is None
    assert delivery.state == "sent"
    assert [m.to for m in mail.outbox] == [["someone@example.org"]]


def test_the_mail_is_written_in_the_language_asked_for(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(language="es")
    assert Delivery.objects.get().body_text.startswith("Hola")


def test_the_batch_sender_sends_address_deliveries_beside_personal_ones():
    person = UserFactory(name="Ana")
    invite()
    services.deliver(
        recipients=[person],
        kind="test.notice",
        about="test:1",
        subject="Hi",
        template="mail/email/test_notice",
        context={"message": "News."},
        list_id="tests",
    )
    ids = list(Delivery.objects.values_list("pk", flat=True))
    outcome = services.deliveries_send_batch(delivery_ids=ids)
    assert sorted(outcome["sent"]) == sorted(ids)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([person.email, "someone@example.org"])
