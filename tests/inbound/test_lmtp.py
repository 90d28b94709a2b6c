"""The gateway speaks LMTP to the mail server: addresses checked at RCPT, mail posted at
DATA, the size limit, and 451 while the database is away (PostgreSQL in CI)."""

import smtplib

import pytest
from django.db import OperationalError, connection, connections
from django.test import override_settings

from forums import services as forums
from forums.models import Post, ReplyKey
from inbound import lmtp
from inbound.models import InboundMessage
from mail.services import bounce_address
from tests.helpers import free_port, mail_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The gateway's database thread writes while the test reads: SQLite has one writer.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a second connection writes"),
]

DOMAIN = "community.orcid.example"


@pytest.fixture
def gateway():
    """The gateway, listening on a free port of its own (its database thread is closed
    after)."""
    with override_settings(INBOUND_MAX_BYTES=64 * 1024):
        controller = lmtp.LMTPController(host="127.0.0.1", port=free_port())
        controller.start()
        try:
            yield controller
        finally:
            controller.stop()
            controller.handler.executor.submit(connections.close_all).result()
            controller.handler.executor.shutdown()


def _client(gateway) -> smtplib.LMTP:
    client = smtplib.LMTP(gateway.hostname, gateway.port)
    client.ehlo("mx.community.orcid.example")  # LMTP's LHLO
    return client


def test_an_unknown_address_is_refused_at_rcpt_and_a_made_up_bounce_address_too(gateway, api_users):
    with _client(gateway) as client:
        client.mail("ben@example.org")
        assert client.rcpt(f"nobody@{DOMAIN}")[0] == 550
        assert client.rcpt(f"reply+{'z' * 24}@{DOMAIN}")[0] == 550
        assert client.rcpt("api-users@elsewhere.example")[0] == 550
        assert client.rcpt(f"bounces+abc@{DOMAIN}")[0] == 550
        assert client.rcpt(f"bounces+1-{'0' * 16}@{DOMAIN}")[0] == 550
        assert client.rcpt(bounce_address(1))[0] == 250  # a delivery's VERP address
        assert client.rcpt(f"api-users@{DOMAIN}")[0] == 250


def test_a_reply_sent_to_the_gateway_becomes_a_post(gateway, api_users, ana, ben):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='l' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    raw = mail_bytes(to=address, sender="ben@example.org", text="By LMTP.\n\n> Which scope?\n")
    with _client(gateway) as client:
        assert client.sendmail("ben@example.org", [address], raw) == {}
        # The mail server delivers it again (it lost our answer): still one post.
        assert client.sendmail("ben@example.org", [address], raw) == {}
    reply = Post.objects.get(topic=topic, is_first=False)
    assert (reply.author, reply.body) == (ben, "By LMTP.")
    assert InboundMessage.objects.get().outcome == "posted"


def test_a_mail_over_the_size_limit_is_refused_with_552(gateway, api_users, ana):
    raw = mail_bytes(to=f"api-users@{DOMAIN}", text=("x" * 70 + "\n") * 1024)
    # Refused at MAIL (the size the client declares, SIZE=) or, undeclared, at DATA.
    with _client(gateway) as client, pytest.raises(smtplib.SMTPResponseException) as refused:
        client.sendmail("ana@example.org", [f"api-users@{DOMAIN}"], raw)
    assert refused.value.smtp_code == 552
    with _client(gateway) as client:
        client.esmtp_features.pop("size", None)  # a client that does not declare it
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("ana@example.org", [f"api-users@{DOMAIN}"], raw)
    assert refused.value.smtp_code == 552
    assert not InboundMessage.objects.exists()


def test_while_the_database_is_away_the_gateway_answers_451(gateway, api_users, monkeypatch):
    def unreachable(address):
        raise OperationalError("connection refused")

    monkeypatch.setattr(lmtp, "recipient_target", unreachable)
    with _client(gateway) as client:
        client.mail("ana@example.org")
        assert client.rcpt(f"api-users@{DOMAIN}")[0] == 451


def test_lmtp_answers_data_once_per_recipient(gateway, api_users, ana, ben):
    """LMTP's DATA has one answer per accepted recipient (smtplib reads only the first:
    the handler is asked directly)."""
    import asyncio
    from types import SimpleNamespace

    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    first = ReplyKey.objects.create(key="m" * 24, user=ben, topic=topic).key
    second = ReplyKey.objects.create(key="n" * 24, user=ana, topic=topic).key
    envelope = SimpleNamespace(
        original_content=mail_bytes(to="x", sender="ben@example.org", text="Both."),
        mail_from="ben@example.org",
        rcpt_tos=[f"reply+{first}@{DOMAIN}", f"reply+{second}@{DOMAIN}"],
    )
    answer = asyncio.run(gateway.handler.handle_DATA(None, None, envelope))
    # One mail, one Message-ID: posted for the first, a duplicate for the second.
    assert answer.split("\r\n") == ["250 2.0.0 posted", "250 2.0.0 duplicate"]
    assert topic.posts.count() == 2


def test_a_mail_from_the_null_sender_is_dropped_never_posted(gateway, api_users, ana, ben):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='o' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    raw = mail_bytes(to=address, sender="ben@example.org", text="Delivery report.")
    with _client(gateway) as client:
        assert client.sendmail("", [address], raw) == {}
    assert InboundMessage.objects.get().reason == "null-sender"
    assert topic.posts.count() == 1
