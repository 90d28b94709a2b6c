"""Mail from people the list does not know yet waits for a moderator like a web post."""

from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.test import override_settings
from django.utils import timezone

from forums import services as forums
from forums.models import Post, ReplyKey
from inbound.services import message_receive
from tests.factories.accounts import UserFactory
from tests.helpers import mail_bytes, watch

pytestmark = pytest.mark.django_db

DOMAIN = "community.orcid.example"
PASS = f"mx.{DOMAIN}; dmarc=pass header.from=example.org"


@pytest.fixture
def nora(db):
    return UserFactory(
        name="Nora Newcomer",
        email="nora@example.org",
        date_joined=timezone.now() - timedelta(hours=1),
    )


def test_a_new_person_s_mail_reply_is_held_and_mailed_to_nobody(
    api_users, ana, ben, nora, django_capture_on_commit_callbacks
):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    watch(ben, "each", forum=api_users)
    key = ReplyKey.objects.create(key="n" * 24, user=nora, topic=topic).key
    address = f"reply+{key}@{DOMAIN}"
    with django_capture_on_commit_callbacks(execute=True):
        result = message_receive(
            raw=mail_bytes(to=address, sender="nora@example.org"), recipient=address
        )
    post = Post.objects.get(pk=result.post_id)
    assert result.outcome == "posted"
    assert (post.author, post.hidden_reason, post.from_address) == (
        nora,
        "held",
        "nora@example.org",
    )
    assert outbox.outbox == []


def test_a_new_person_s_mail_topic_is_held_until_approved_then_mailed_once(
    api_users, ana, ben, nora, staff_user, django_capture_on_commit_callbacks
):
    watch(ben, "each", forum=api_users)
    raw = mail_bytes(
        to=f"api-users@{DOMAIN}",
        sender="nora@example.org",
        subject="Sandbox tokens",
        text="How do I get one?",
        headers={"Authentication-Results": PASS},
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = message_receive(raw=raw, recipient=f"api-users@{DOMAIN}")
    post = Post.objects.get(pk=result.post_id)
    assert post.topic.is_held
    assert post.is_hidden
    assert outbox.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        forums.post_approve(post=post, by=staff_user)
    assert [m.to for m in outbox.outbox] == [[ben.email]]


@override_settings(FORUMS_HOLD_FIRST_MAIL=True)
def test_with_the_setting_the_first_mail_from_an_address_is_held_once(
    api_users, ana, ben, staff_user
):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    key = ReplyKey.objects.create(key="b" * 24, user=ben, topic=topic).key
    address = f"reply+{key}@{DOMAIN}"

    def send(n):
        raw = mail_bytes(to=address, sender="ben@example.org", message_id=f"<m{n}@example.org>")
        return Post.objects.get(pk=message_receive(raw=raw, recipient=address).post_id)

    first = send(1)
    assert first.hidden_reason == "held"
    forums.post_approve(post=first, by=staff_user)
    assert not send(2).is_hidden  # the address is known now
    # From the web, nothing changes for an established person.
    assert not forums.post_create(topic=topic, by=ben, body="web").is_hidden
