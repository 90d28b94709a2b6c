"""A mail per new post for the people who watch a forum or topic in mode "each"."""

import pytest
from django.core import mail as outbox

from contributors.services import membership_add
from forums import services as forums
from forums.models import ReplyKey
from mail.models import Delivery
from tests.factories.accounts import person, staff_person
from tests.factories.contributors import GroupFactory
from tests.helpers import watch

pytestmark = pytest.mark.django_db


def test_a_new_topic_mails_each_watcher_of_the_forum_but_not_its_author(
    api_users, ana, ben, cleo, django_capture_on_commit_callbacks
):
    watch(ben, "each", forum=api_users)
    watch(cleo, "daily", forum=api_users)
    watch(ana, "each", forum=api_users)
    with django_capture_on_commit_callbacks(execute=True):
        topic = forums.topic_create(
            forum=api_users, by=ana, title="Token expired", body="Why *401*?"
        )
    assert [m.to for m in outbox.outbox] == [[ben.email]]
    message = outbox.outbox[0]
    assert message.subject == "[ORCID API Users] Token expired"
    key = ReplyKey.objects.get(user=ben, topic=topic, revoked_at=None).key
    assert message.reply_to == [f"reply+{key}@community.orcid.example"]
    first = topic.posts.get(is_first=True)
    assert message.extra_headers["Message-ID"] == f"<post-{first.pk}@community.orcid.example>"
    assert "In-Reply-To" not in message.extra_headers
    assert message.body.startswith("Read and reply on the portal: http://127.0.0.1:8000/forums/p/")
    assert "Why *401*?" in message.body
    html, _mimetype = message.alternatives[0]
    assert "<em>401</em>" in html
    assert message.extra_headers["List-Id"] == "<api-users.community.orcid.example>"
    assert Delivery.objects.get().state == "sent"


def test_a_reply_mails_the_topic_watchers_and_the_topic_mode_overrides_the_forum_mode(
    api_users, ana, ben, cleo, django_capture_on_commit_callbacks
):
    topic = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    watch(ben, "each", forum=api_users)
    watch(ben, "none", topic=topic)  # Ben mutes this topic only
    watch(cleo, "each", topic=topic)
    with django_capture_on_commit_callbacks(execute=True):
        forums.post_create(topic=topic, by=cleo, body="/read-limited")
    # Ana watches her own topic; Cleo wrote the reply; Ben muted it.
    assert [m.to for m in outbox.outbox] == [[ana.email]]
    assert outbox.outbox[0].subject == "Re: [ORCID API Users] Scopes"


def test_deliveries_are_written_with_the_post_and_sent_only_after_commit(
    api_users, ana, ben, django_capture_on_commit_callbacks
):
    watch(ben, "each", forum=api_users)
    with django_capture_on_commit_callbacks(execute=False):
        forums.topic_create(forum=api_users, by=ana, title="Pending mail", body="Hello")
        assert Delivery.objects.get().state == "pending"
    assert outbox.outbox == []


def test_a_private_forum_mails_only_its_members_and_staff(ana, django_capture_on_commit_callbacks):
    group = GroupFactory(name="Steering", slug="steering", kind="steering")
    private = forums.forum_create(
        slug="steering", name="Steering", kind="group", group=group, is_private=True
    )
    former = person(name="Former Member")
    membership_add(group=group, user=ana)
    membership_add(group=group, user=former)
    watch(former, "each", forum=private)
    staff = staff_person(name="Staff")
    watch(staff, "each", forum=private)
    # The former member's term ends: the subscription stays, the mail must not.
    from contributors.models import Membership

    Membership.objects.filter(user=former).delete()
    with django_capture_on_commit_callbacks(execute=True):
        forums.topic_create(forum=private, by=ana, title="Budget 2027", body="secret plans")
    assert [m.to for m in outbox.outbox] == [[staff.email]]


def test_an_unsubscribed_watcher_gets_no_post_mail(
    api_users, ana, ben, django_capture_on_commit_callbacks
):
    from mail import services

    watch(ben, "each", forum=api_users)
    services.unsubscribe(user_id=ben.pk, list_id="api-users")
    with django_capture_on_commit_callbacks(execute=True):
        forums.topic_create(forum=api_users, by=ana, title="Muted", body="Hello")
    assert outbox.outbox == []
    assert Delivery.objects.get().state == "skipped"
