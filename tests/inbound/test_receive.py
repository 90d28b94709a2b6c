"""A received mail becomes a post by the right person, in the right topic, or nothing."""

import pytest
from django.core import mail as outbox
from django.core.management import call_command

from forums import services as forums
from forums.models import Post, ReplyKey, Topic
from inbound.models import InboundMessage
from inbound.services import message_receive, recipient_target
from mail.models import Delivery
from tests.factories.accounts import person
from tests.helpers import mail_bytes, watch

pytestmark = pytest.mark.django_db

DOMAIN = "community.orcid.example"
PASS = f"mx.{DOMAIN}; dmarc=pass header.from=example.org"


def _topic_mailed_to_ben(api_users, ana, ben, capture):
    watch(ben, "each", forum=api_users)
    with capture(execute=True):
        topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    return topic, ReplyKey.objects.get(user=ben, topic=topic).key


def test_a_reply_to_a_reply_address_is_a_post_by_its_person_without_the_quote(
    api_users, ana, ben, django_capture_on_commit_callbacks
):
    topic, key = _topic_mailed_to_ben(api_users, ana, ben, django_capture_on_commit_callbacks)
    [mailed] = outbox.outbox
    assert mailed.reply_to == [f"reply+{key}@{DOMAIN}"]
    raw = mail_bytes(
        to=mailed.reply_to[0],
        sender="Ben Reader <ben@example.org>",
        text="Use /read-limited.\n\n-- \nBen\n\nOn Mon, Dec 7, 2026, Ana wrote:\n> Which scope?\n",
    )
    result = message_receive(raw=raw, recipient=mailed.reply_to[0])
    post = Post.objects.get(pk=result.post_id)
    assert (result.outcome, post.topic, post.author, post.body) == (
        "posted",
        topic,
        ben,
        "Use /read-limited.",
    )
    record = InboundMessage.objects.get()
    assert bytes(record.raw) == raw  # the original, as it came, for moderators
    assert (record.post, record.user) == (post, ben)


def test_the_same_mail_delivered_twice_is_posted_once(api_users, ana, ben):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='k' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    raw = mail_bytes(to=address, sender="ben@example.org", message_id="<one@example.org>")
    assert message_receive(raw=raw, recipient=address).outcome == "posted"
    assert message_receive(raw=raw, recipient=address).outcome == "duplicate"
    assert topic.posts.count() == 2


def test_a_reply_from_another_address_than_the_key_s_person_is_not_posted_and_explained(
    api_users, ana, ben
):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='b' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    raw = mail_bytes(to=address, sender="eve@example.net", text="Forwarded and answered.")
    result = message_receive(raw=raw, recipient=address)
    assert (result.outcome, result.reason) == ("refused", "not_the_recipient")
    assert topic.posts.count() == 1
    explanation = Delivery.objects.get(kind="inbound.refused")
    assert explanation.to_email == "eve@example.net"
    assert explanation.headers["Auto-Submitted"] == "auto-replied"


def test_every_web_rule_holds_a_reply_to_a_locked_topic_is_refused_with_the_reason(
    api_users, ana, ben
):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='c' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    Topic.objects.filter(pk=topic.pk).update(is_locked=True)
    result = message_receive(
        raw=mail_bytes(to=address, sender="ben@example.org"), recipient=address
    )
    assert (result.outcome, result.reason) == ("refused", "rule")
    assert topic.posts.count() == 1
    explanation = Delivery.objects.get(kind="inbound.refused", to_email="ben@example.org")
    assert "This topic is locked" in explanation.body_text


def test_a_rule_that_refuses_a_reply_after_it_was_written_leaves_nothing_of_it(
    api_users, ana, ben, monkeypatch
):
    """A reply by mail has no savepoint: the gateway's transaction is rolled back whole, and
    the refusal and its explanation are written in a transaction of their own."""
    from core.errors import RuleViolation
    from forums import notifications

    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='r' * 24, user=ben, topic=topic).key}@{DOMAIN}"

    def refuse(**kwargs):  # a rule asked once the post and its counters are written
        raise RuleViolation("Refused late.")

    monkeypatch.setattr(notifications, "post_notify", refuse)
    monkeypatch.setattr(forums, "post_notify", refuse)
    raw = mail_bytes(to=address, sender="ben@example.org", message_id="<late@example.org>")
    result = message_receive(raw=raw, recipient=address)
    assert (result.outcome, result.reason) == ("refused", "rule")
    assert topic.posts.count() == 1
    assert Topic.objects.get(pk=topic.pk).reply_count == 0
    record = InboundMessage.objects.get()
    assert (record.user, record.detail, record.post) == (ben, "Refused late.", None)
    assert Delivery.objects.get(kind="inbound.refused").to_email == "ben@example.org"
    # Delivered again: the same mail is not refused (nor explained) twice.
    assert message_receive(raw=raw, recipient=address).outcome == "duplicate"
    assert Delivery.objects.filter(kind="inbound.refused").count() == 1


def test_the_explanation_is_in_the_person_s_language(api_users, ana, ben):
    ben.language = "es"
    ben.save(update_fields=["language"])
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='s' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    Topic.objects.filter(pk=topic.pk).update(is_locked=True)
    message_receive(raw=mail_bytes(to=address, sender="ben@example.org"), recipient=address)
    explanation = Delivery.objects.get(kind="inbound.refused")
    assert explanation.subject == f"Su mensaje a {DOMAIN} no se publicó"
    assert "Esta es una respuesta automática" in explanation.body_text


def test_a_person_who_left_a_private_forum_cannot_reply_by_mail(ana, ben):
    from tests.factories.contributors import GroupFactory
    from tests.factories.forums import ForumFactory

    group = GroupFactory()
    forum = ForumFactory(kind="group", group=group, is_private=True)
    topic = Topic.objects.create(
        forum=forum, title="Members only", last_post_at="2026-01-01T00:00Z"
    )
    address = f"reply+{ReplyKey.objects.create(key='d' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    result = message_receive(
        raw=mail_bytes(to=address, sender="ben@example.org"), recipient=address
    )
    assert (result.outcome, result.reason) == ("refused", "rule")
    assert not topic.posts.exists()


def test_a_revoked_reply_address_is_unknown(api_users, ana, ben):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    key = ReplyKey.objects.create(key="e" * 24, user=ben, topic=topic).key
    assert recipient_target(f"reply+{key}@{DOMAIN}").kind == "reply"
    forums.reply_keys_revoke(by=ben, user=ben)
    assert recipient_target(f"reply+{key}@{DOMAIN}") is None
    assert recipient_target(f"reply+{'f' * 24}@{DOMAIN}") is None
    assert recipient_target(f"api-users@{DOMAIN}").kind == "forum"
    assert recipient_target("api-users@elsewhere.example") is None
    assert recipient_target(f"bounces+abc@{DOMAIN}") is None  # not a delivery's VERP address


def test_nobody_else_revokes_a_person_s_reply_addresses(api_users, ana, ben):
    from core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        forums.reply_keys_revoke(by=ana, user=ben)


def test_reply_keys_are_random_and_one_per_person_and_topic(
    api_users, ana, ben, django_capture_on_commit_callbacks
):
    cleo = person(email="cleo@example.org")
    watch(cleo, "each", forum=api_users)
    topic, key = _topic_mailed_to_ben(api_users, ana, ben, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        forums.post_create(topic=topic, by=ana, body="Anyone?")
    keys = ReplyKey.objects.filter(topic=topic)
    assert keys.count() == 2  # Ben's and Cleo's, kept for the second mail
    assert len({k.key for k in keys}) == 2
    assert len(key) == 24


def test_automatic_mail_is_dropped_never_posted_and_never_answered(api_users, ana, ben):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='g' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    raw = mail_bytes(
        to=address,
        sender="ben@example.org",
        text="I am on holiday.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    result = message_receive(raw=raw, recipient=address)
    assert (result.outcome, result.reason) == ("dropped", "auto-submitted")
    assert topic.posts.count() == 1
    assert not Delivery.objects.filter(kind="inbound.refused").exists()


def test_attachments_are_left_out_with_a_note_and_html_only_mail_is_text(api_users, ana, ben):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    address = f"reply+{ReplyKey.objects.create(key='h' * 24, user=ben, topic=topic).key}@{DOMAIN}"
    raw = mail_bytes(
        to=address,
        sender="ben@example.org",
        text=None,
        html="<p>See <b>the log</b>.</p><img src=x onerror=alert(1)><script>alert(2)</script>",
        attachments=(("log.txt", b"secret"),),
    )
    post = Post.objects.get(pk=message_receive(raw=raw, recipient=address).post_id)
    assert post.body.startswith("See the log.")
    assert "An attachment was left out: log.txt" in post.body
    assert "secret" not in post.body
    assert "alert" not in post.body_html


def test_a_mail_to_a_forum_address_from_an_authenticated_verified_person_starts_a_topic(
    api_users, ana
):
    raw = mail_bytes(
        to=f"api-users@{DOMAIN}",
        sender="ana@example.org",
        subject="Token expired",
        text="Why 401?",
        headers={"Authentication-Results": PASS},
    )
    result = message_receive(raw=raw, recipient=f"api-users@{DOMAIN}")
    topic = Topic.objects.get(title="Token expired")
    assert (result.outcome, topic.forum, topic.author) == ("posted", api_users, ana)
    assert topic.posts.get().body == "Why 401?"


def test_a_spoofed_mail_to_a_forum_address_is_not_posted_and_not_answered(api_users, ana):
    raw = mail_bytes(
        to=f"api-users@{DOMAIN}",
        sender="ana@example.org",
        subject="Token expired",
        headers={"Authentication-Results": f"mx.{DOMAIN}; dmarc=fail header.from=example.org"},
    )
    result = message_receive(raw=raw, recipient=f"api-users@{DOMAIN}")
    assert (result.outcome, result.reason) == ("refused", "not_authenticated")
    assert not Topic.objects.exists()
    assert not Delivery.objects.exists()  # an answer would go to the forged address


def test_an_unknown_sender_is_told_once_a_day_and_nothing_is_posted(api_users):
    for n in range(3):
        raw = mail_bytes(
            to=f"api-users@{DOMAIN}",
            sender="stranger@example.org",
            subject=f"Hello {n}",
            headers={"Authentication-Results": PASS},
        )
        result = message_receive(raw=raw, recipient=f"api-users@{DOMAIN}")
        assert (result.outcome, result.reason) == ("refused", "unknown_sender")
    assert not Topic.objects.exists()
    [explanation] = Delivery.objects.filter(kind="inbound.refused")
    assert explanation.to_email == "stranger@example.org"
    assert "not a verified address" in explanation.body_text


def test_an_unverified_address_of_a_person_is_an_unknown_sender(api_users):
    person(email="dan@example.org", verified_email=False)
    raw = mail_bytes(
        to=f"api-users@{DOMAIN}",
        sender="dan@example.org",
        subject="Hello there",
        headers={"Authentication-Results": PASS},
    )
    assert message_receive(raw=raw, recipient=f"api-users@{DOMAIN}").reason == "unknown_sender"


def test_a_reply_with_in_reply_to_our_post_lands_in_its_topic(
    api_users, ana, ben, django_capture_on_commit_callbacks
):
    topic, _key = _topic_mailed_to_ben(api_users, ana, ben, django_capture_on_commit_callbacks)
    message_id = outbox.outbox[0].extra_headers["Message-ID"]
    raw = mail_bytes(
        to=f"api-users@{DOMAIN}",
        sender="ben@example.org",
        subject="Re: [ORCID API Users] Scopes",
        text="Threaded by headers.",
        headers={
            "Authentication-Results": PASS,
            "In-Reply-To": message_id,
            "References": message_id,
        },
    )
    post = Post.objects.get(pk=message_receive(raw=raw, recipient=f"api-users@{DOMAIN}").post_id)
    assert (post.topic, post.author, post.body) == (topic, ben, "Threaded by headers.")


def test_receive_mail_feeds_a_file_through_the_same_processing(api_users, ana, tmp_path, capsys):
    path = tmp_path / "new.eml"
    path.write_bytes(
        mail_bytes(
            to=f"ORCID API Users <api-users@{DOMAIN}>",
            sender="ana@example.org",
            subject="By command",
            text="From a file.",
            headers={"Authentication-Results": PASS},
        )
    )
    call_command("receive_mail", str(path))
    assert '"outcome": "posted"' in capsys.readouterr().out
    assert Topic.objects.get().title == "By command"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"From: =?utf-8?q?broken\r\nSubject: =?unknown-8bit?b?////?=\r\n\r\n\xff\xfe",
        b'From: <>\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n'
        b"Content-Type: text/html; charset=no-such-charset\r\n\r\n<p>hi\r\n--x--\r\n",
    ],
)
def test_malformed_mail_is_recorded_and_never_raises(api_users, raw):
    result = message_receive(raw=raw, recipient=f"api-users@{DOMAIN}", envelope_from="x@y.org")
    assert result.outcome == "refused"
    assert InboundMessage.objects.count() == 1


def test_bench_inbound_prints_its_figures_last_and_leaves_nothing_behind(capsys):
    import json

    call_command("bench_inbound", messages=4)
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["messages"] == 4
    assert figures["queries_per_message"] > 0
    assert not Topic.objects.exists()
    assert not InboundMessage.objects.exists()
