"""The moderation hold: the first posts of new people in the API Users list wait for a
moderator, unseen by others and unmailed, until approved (or rejected, with a reason)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from core.errors import NotAllowed, RuleViolation
from forums import selectors, services
from forums.models import ModerationAction, Post, TrustedPoster
from tests.factories.accounts import UserFactory, person, staff_person
from tests.helpers import count_queries, watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db):
    """Joined an hour ago, no verified contribution: the list does not know them yet."""
    return UserFactory(name="Nora Newcomer", date_joined=timezone.now() - timedelta(hours=1))


@pytest.fixture
def watcher(forum):
    user = person(name="Walt Watcher")
    watch(user, "each", forum=forum)
    return user


def _held_reply(topic, newcomer, capture, body="My first question"):
    with capture(execute=True):
        return services.post_create(topic=topic, by=newcomer, body=body)


def test_a_new_person_s_topic_from_the_web_is_held_unseen_and_unmailed(
    client, forum, newcomer, watcher, reader, django_capture_on_commit_callbacks
):
    client.force_login(newcomer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/forums/{forum.slug}/new/", {"title": "Hello list", "body": "My secret words"}
        )
    topic = forum.topics.get()
    assert response.status_code == 302
    assert topic.is_held
    assert topic.posts.get().hidden_reason == Post.HiddenReason.HELD
    assert mail.outbox == []
    # The author sees their own post, marked as awaiting moderation.
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "My secret words" in page
    assert "awaiting moderation" in page
    # Nobody else: not the topic, not the forum's list, not the feed, not the search.
    client.force_login(reader)
    assert client.get(topic.get_absolute_url()).status_code == 404
    assert "Hello list" not in client.get(f"/forums/{forum.slug}/").content.decode()
    assert "Hello list" not in client.get(f"/forums/{forum.slug}/feed/").content.decode()
    client.logout()
    assert client.get(topic.get_absolute_url()).status_code == 404
    forum.refresh_from_db()
    assert forum.topic_count == 0


def test_a_new_person_s_reply_is_held_unseen_and_unmailed(
    client, topic, newcomer, watcher, reader, django_capture_on_commit_callbacks
):
    post = _held_reply(topic, newcomer, django_capture_on_commit_callbacks)
    assert post.is_hidden
    assert post.hidden_reason == Post.HiddenReason.HELD
    assert mail.outbox == []
    client.force_login(reader)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "My first question" not in page
    assert client.get(f"/forums/p/{post.pk}/").status_code == 404
    topic.refresh_from_db()
    assert topic.reply_count == 0


def test_approve_shows_the_post_and_mails_it_to_the_watchers_once(
    client, staff, topic, author, newcomer, watcher, django_capture_on_commit_callbacks
):
    post = _held_reply(topic, newcomer, django_capture_on_commit_callbacks)
    client.force_login(staff)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/forums/p/{post.pk}/approve/", {"next": "queue"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert not post.is_hidden
    assert post.created_at >= before  # published now: the next digest period takes it
    # The forum's watcher and the topic's author (who watches their topic), once each.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([watcher.email, author.email])
    assert "My first question" in mail.outbox[0].body
    # A second approval (a double click) changes nothing and mails nobody.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/forums/p/{post.pk}/approve/")
    assert again.status_code == 409
    assert len(mail.outbox) == 2
    assert ModerationAction.objects.filter(action="approve", post=post).count() == 1
    # Plain approval trusts nobody: the newcomer's next post waits again.
    assert services.post_create(topic=topic, by=newcomer, body="Again").is_hidden


def test_approving_a_held_topic_shows_it_in_its_forum(client, forum, staff, newcomer, reader):
    topic = services.topic_create(forum=forum, by=newcomer, title="Hello list", body="Hi")
    services.post_approve(post=topic.posts.get(), by=staff)
    client.force_login(reader)
    assert client.get(topic.get_absolute_url()).status_code == 200
    assert "Hello list" in client.get(f"/forums/{forum.slug}/").content.decode()
    forum.refresh_from_db()
    assert forum.topic_count == 1


def test_a_reply_in_a_held_topic_waits_for_the_topic(forum, staff, newcomer):
    topic = services.topic_create(forum=forum, by=newcomer, title="Hello list", body="Hi")
    reply = services.post_create(topic=topic, by=newcomer, body="And more")
    with pytest.raises(RuleViolation):
        services.post_approve(post=reply, by=staff)


def test_approve_and_trust_lets_the_person_s_next_post_through_at_once(
    client, staff, topic, newcomer, watcher, django_capture_on_commit_callbacks
):
    post = _held_reply(topic, newcomer, django_capture_on_commit_callbacks)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/forums/p/{post.pk}/approve-trust/").status_code == 302
    assert TrustedPoster.objects.get(user=newcomer).trusted_by == staff
    mail.outbox.clear()
    later = _held_reply(topic, newcomer, django_capture_on_commit_callbacks, body="Thanks!")
    assert not later.is_hidden
    assert watcher.email in [m.to[0] for m in mail.outbox]


def test_reject_mails_the_author_the_moderator_s_reason_and_keeps_the_post_hidden(
    client, staff, topic, newcomer, watcher, reader, django_capture_on_commit_callbacks
):
    post = _held_reply(topic, newcomer, django_capture_on_commit_callbacks)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/forums/p/{post.pk}/reject/", {"reason": "Please ask <b>ORCID support</b>."}
        )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.is_hidden
    assert post.hidden_reason == Post.HiddenReason.MODERATOR
    [told] = mail.outbox
    assert told.to == [newcomer.email]
    assert "Please ask <b>ORCID support</b>." in told.body
    assert "&lt;b&gt;" in told.alternatives[0][0]  # the reason is escaped in the HTML part
    client.force_login(reader)
    assert "My first question" not in client.get(topic.get_absolute_url()).content.decode()


def test_a_rejection_needs_a_reason(staff, topic, newcomer, client):
    post = services.post_create(topic=topic, by=newcomer, body="Hi")
    client.force_login(staff)
    assert client.post(f"/forums/p/{post.pk}/reject/", {"reason": "  "}).status_code == 400
    post.refresh_from_db()
    assert post.hidden_reason == Post.HiddenReason.HELD


def test_only_moderators_approve_or_reject(topic, newcomer, reader, client):
    post = services.post_create(topic=topic, by=newcomer, body="Hi")
    with pytest.raises(NotAllowed):
        services.post_approve(post=post, by=reader)
    with pytest.raises(NotAllowed):
        services.post_reject(post=post, by=newcomer, reason="Spam")
    client.force_login(newcomer)  # the author sees their post, but may not approve it
    assert client.post(f"/forums/p/{post.pk}/approve/").status_code == 403
    client.force_login(reader)  # others do not even see it
    assert client.post(f"/forums/p/{post.pk}/approve/").status_code == 404


def test_a_held_post_is_approved_or_rejected_never_merely_restored(topic, newcomer, staff):
    post = services.post_create(topic=topic, by=newcomer, body="Hi")
    with pytest.raises(RuleViolation):
        services.post_restore(post=post, by=staff)


def test_trusted_people_post_at_once_as_today(
    topic, reader, staff, watcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_create(topic=topic, by=reader, body="Old hand")
        staff_post = services.post_create(topic=topic, by=staff, body="Staff")
    assert not post.is_hidden
    assert not staff_post.is_hidden
    assert [m.to[0] for m in mail.outbox].count(watcher.email) == 2


def test_new_people_post_at_once_outside_the_api_users_list(ideas, newcomer):
    idea = services.topic_create(forum=ideas, by=newcomer, title="Dark mode", body="Please")
    assert not idea.is_held


@override_settings(FORUMS_HOLD_NEW_ACCOUNT_DAYS=0)
def test_the_age_of_a_new_account_is_a_setting(topic, newcomer):
    assert not services.post_create(topic=topic, by=newcomer, body="Hi").is_hidden


def test_the_queue_shows_held_posts_with_their_actions(client, staff, topic, newcomer):
    post = services.post_create(topic=topic, by=newcomer, body="Held words")
    assert post in selectors.posts_to_moderate(staff)
    client.force_login(staff)
    page = client.get("/forums/moderation/").content.decode()
    assert "Held words" in page
    assert f"/forums/p/{post.pk}/approve-trust/" in page
    assert f"/forums/p/{post.pk}/reject/" in page


def test_the_queue_runs_the_same_number_of_queries_with_3_or_20_held_posts(
    client, staff, topic, django_assert_max_num_queries
):
    def grow(n):
        for i in range(n):
            who = UserFactory(date_joined=timezone.now())
            services.post_create(topic=topic, by=who, body=f"Held {i}")

    client.force_login(staff)
    grow(3)
    small = count_queries(client, "/forums/moderation/")
    grow(17)
    with django_assert_max_num_queries(small):
        response = client.get("/forums/moderation/")
    assert response.content.decode().count("approve-trust/") == 20


# --- Trusted posters in the admin: who trusted whom and when; untrusting them ---------------


def _trusted(newcomer, by):
    return TrustedPoster.objects.create(user=newcomer, trusted_by=by)


def test_moderators_see_who_is_trusted_by_whom_and_others_do_not(client, staff, newcomer):
    _trusted(newcomer, staff)
    client.force_login(staff)
    page = client.get("/admin/forums/trustedposter/").content.decode()
    assert "Nora Newcomer" in page
    assert "Olivia Staff" in page  # who trusted her
    others = staff_person("Consortia staff", name="Carl Consortia")
    client.force_login(others)
    assert client.get("/admin/forums/trustedposter/").status_code == 403


def test_the_trusted_list_runs_the_same_queries_for_2_or_12_people(client, staff):
    for n in range(2):
        _trusted(UserFactory(name=f"Trusted {n}"), staff)
    client.force_login(staff)
    small = count_queries(client, "/admin/forums/trustedposter/")
    for n in range(10):
        _trusted(UserFactory(name=f"More trusted {n}"), person())
    assert count_queries(client, "/admin/forums/trustedposter/") == small


def test_untrusting_in_the_admin_holds_the_person_s_next_post_again(
    client, staff, topic, newcomer, django_capture_on_commit_callbacks
):
    trusted = _trusted(newcomer, staff)
    assert not _held_reply(topic, newcomer, django_capture_on_commit_callbacks).is_hidden
    client.force_login(staff)
    response = client.post(
        "/admin/forums/trustedposter/",
        {"action": "untrust", "_selected_action": [trusted.pk]},
        follow=True,
    )
    assert "1 person is no longer trusted." in response.content.decode()
    assert not TrustedPoster.objects.filter(user=newcomer).exists()
    assert ModerationAction.objects.filter(
        action="untrust", actor=staff, note=f"user {newcomer.pk}"
    ).exists()
    later = _held_reply(topic, newcomer, django_capture_on_commit_callbacks, body="Again")
    assert later.hidden_reason == Post.HiddenReason.HELD


def test_only_moderators_of_every_forum_stop_trusting_someone(staff, newcomer, reader):
    _trusted(newcomer, staff)
    with pytest.raises(NotAllowed):
        services.trusted_poster_remove(by=reader, user=newcomer)
    assert TrustedPoster.objects.filter(user=newcomer).exists()
    assert services.trusted_poster_remove(by=staff, user=newcomer) is True
    assert services.trusted_poster_remove(by=staff, user=newcomer) is False  # nothing left
