"""Reading, posting, replying, editing, quoting, locking and accepted answers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import NotAllowed, RuleViolation
from forums import services
from forums.models import Post, PostRevision, Subscription, Topic
from tests.factories.accounts import UserFactory, person
from tests.factories.forums import PostFactory

pytestmark = pytest.mark.django_db


def test_signed_in_person_starts_a_topic_through_the_page_and_watches_it(client, forum, author):
    client.force_login(author)
    response = client.post(
        f"/forums/{forum.slug}/new/",
        {"title": "Webhooks stopped firing", "body": "Since *Monday* nothing arrives."},
    )
    topic = Topic.objects.get(title="Webhooks stopped firing")
    assert response.status_code == 302
    assert response["Location"] == f"/forums/t/{topic.pk}/webhooks-stopped-firing/"
    page = client.get(response["Location"])
    assert "<em>Monday</em>" in page.content.decode()
    assert Subscription.objects.filter(user=author, topic=topic, mode="each").exists()


def test_anonymous_visitor_is_sent_to_sign_in_to_post(client, forum):
    response = client.get(f"/forums/{forum.slug}/new/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_empty_title_is_refused_with_a_message_not_a_500(client, forum, author):
    client.force_login(author)
    response = client.post(f"/forums/{forum.slug}/new/", {"title": "  ", "body": "text"})
    assert response.status_code == 400
    assert not Topic.objects.exists()


def test_a_post_with_no_fields_shows_what_is_missing(client, forum, author, topic):
    """An empty POST is a bound form with errors, not an unbound one answered 400 in silence."""
    client.force_login(author)
    post = topic.posts.get()
    for url in (f"/forums/{forum.slug}/new/", f"/forums/p/{post.pk}/edit/"):
        response = client.post(url, {})
        assert response.status_code == 400, url
        assert "This field is required." in response.content.decode(), url
    assert Topic.objects.count() == 1


def test_a_wrong_slug_redirects_to_the_right_one(client, topic):
    response = client.get(f"/forums/t/{topic.pk}/old-title/?page=1")
    assert response.status_code == 301
    assert response["Location"] == f"/forums/t/{topic.pk}/{topic.slug}/?page=1"
    assert client.get(f"/forums/t/{topic.pk}/").status_code == 301


def test_an_unknown_topic_or_forum_is_404(client, forum):
    assert client.get("/forums/t/999999/x/").status_code == 404
    assert client.get("/forums/no-such-forum/").status_code == 404


def test_reply_lands_on_the_last_page_of_the_topic(client, topic, reader):
    for _ in range(20):
        PostFactory(topic=topic)
    client.force_login(reader)
    response = client.post(f"/forums/t/{topic.pk}/reply/", {"body": "Same here."})
    post = Post.objects.get(body="Same here.")
    assert response.status_code == 302
    assert response["Location"] == f"{topic.get_absolute_url()}?page=2#post-{post.pk}"
    topic.refresh_from_db()
    assert topic.last_post_author == reader
    assert "Same here." in client.get(response["Location"]).content.decode()


def test_pages_of_a_long_topic_show_twenty_posts_each(client, topic):
    for n in range(25):
        PostFactory(topic=topic, body=f"reply-{n:02d}")
    first = client.get(topic.get_absolute_url()).content.decode()
    second = client.get(topic.get_absolute_url() + "?page=2").content.decode()
    assert "reply-18" in first
    assert "reply-19" not in first
    assert "reply-19" in second
    assert "reply-24" in second
    assert client.get(topic.get_absolute_url() + "?page=abc").status_code == 200


def test_quote_link_prefills_the_reply_box_without_javascript(client, topic, reader):
    first = topic.posts.get()
    client.force_login(reader)
    page = client.get(f"{topic.get_absolute_url()}?quote={first.pk}").content.decode()
    assert "Ana Author wrote:\n&gt; Why **401**?" in page


@pytest.mark.parametrize("quote", ["²", "٣", "①", "1²", "-1", " 1", "99999999999999999999999"])
def test_a_quote_that_is_no_post_id_leaves_the_reply_box_empty(client, topic, reader, quote):
    client.force_login(reader)
    response = client.get(topic.get_absolute_url(), {"quote": quote})
    assert response.status_code == 200
    assert "wrote:" not in response.content.decode()


def test_editing_keeps_the_previous_version_and_marks_the_post_edited(client, topic, author):
    post = topic.posts.get()
    client.force_login(author)
    response = client.post(f"/forums/p/{post.pk}/edit/", {"body": "Why **403**?"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body == "Why **403**?"
    assert post.edited_at is not None
    assert "<strong>403</strong>" in post.body_html
    assert PostRevision.objects.get(post=post).body == "Why **401**?"
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "edited" in page
    assert "Why **401**?" in client.get(f"/forums/p/{post.pk}/revisions/").content.decode()


def test_someone_else_cannot_edit_a_post(client, topic, reader):
    post = topic.posts.get()
    client.force_login(reader)
    assert client.post(f"/forums/p/{post.pk}/edit/", {"body": "mine now"}).status_code == 403
    assert client.get(f"/forums/p/{post.pk}/revisions/").status_code == 403
    post.refresh_from_db()
    assert post.body == "Why **401**?"


def test_a_locked_topic_refuses_replies_except_from_moderators(client, topic, reader, staff):
    services.topic_lock(topic=topic, by=staff, locked=True)
    client.force_login(reader)
    response = client.post(f"/forums/t/{topic.pk}/reply/", {"body": "Hello?"})
    assert response.status_code == 409
    assert "locked" in response.content.decode()
    services.post_create(topic=topic, by=staff, body="Closing note.")
    assert topic.posts.count() == 2


def test_lock_and_pin_through_the_page_are_for_moderators_only(client, topic, reader, staff):
    client.force_login(reader)
    assert client.post(f"/forums/t/{topic.pk}/pin/", {"on": "1"}).status_code == 403
    client.force_login(staff)
    assert client.post(f"/forums/t/{topic.pk}/pin/", {"on": "1"}).status_code == 302
    assert client.post(f"/forums/t/{topic.pk}/lock/", {"on": "1"}).status_code == 302
    topic.refresh_from_db()
    assert topic.is_pinned
    assert topic.is_locked


def test_pinned_topics_come_first_in_the_forum(client, forum, topic, author, staff):
    newer = services.topic_create(forum=forum, by=author, title="A newer topic", body="x")
    services.topic_pin(topic=topic, by=staff, pinned=True)
    page = client.get(f"/forums/{forum.slug}/").content.decode()
    assert page.index(topic.title) < page.index(newer.title)


def test_topic_author_accepts_a_reply_as_the_answer(client, topic, author, reader):
    answer = services.post_create(topic=topic, by=reader, body="Refresh the token.")
    client.force_login(author)
    assert client.post(f"/forums/p/{answer.pk}/accept/").status_code == 302
    topic.refresh_from_db()
    assert topic.accepted_post == answer
    assert "accepted answer" in client.get(topic.get_absolute_url()).content.decode()


def test_others_cannot_accept_an_answer_and_the_question_is_not_its_answer(
    client, topic, author, reader
):
    answer = services.post_create(topic=topic, by=reader, body="Refresh the token.")
    client.force_login(reader)
    assert client.post(f"/forums/p/{answer.pk}/accept/").status_code == 403
    with pytest.raises(RuleViolation):
        services.answer_accept(post=topic.posts.get(is_first=True), by=author)
    topic.refresh_from_db()
    assert topic.accepted_post is None


def test_a_moderator_accepts_and_unaccepts_an_answer(topic, reader, staff):
    answer = services.post_create(topic=topic, by=reader, body="Use the sandbox.")
    services.answer_accept(post=answer, by=staff)
    services.answer_unaccept(topic=topic, by=staff)
    topic.refresh_from_db()
    assert topic.accepted_post is None


def test_a_new_account_may_post_five_times_an_hour_then_gets_a_clear_message(client, forum):
    newcomer = UserFactory(date_joined=timezone.now() - timedelta(hours=2))
    topic = services.topic_create(forum=forum, by=newcomer, title="Hello all", body="Hi")
    for n in range(4):
        services.post_create(topic=topic, by=newcomer, body=f"more {n}")
    client.force_login(newcomer)
    response = client.post(f"/forums/t/{topic.pk}/reply/", {"body": "one too many"})
    assert response.status_code == 429
    assert "5 messages an hour" in response.content.decode()
    assert topic.posts.count() == 5


def test_an_account_older_than_a_day_is_not_rate_limited(forum):
    regular = person()
    topic = services.topic_create(forum=forum, by=regular, title="Many questions", body="1")
    for n in range(6):
        services.post_create(topic=topic, by=regular, body=f"more {n}")
    assert topic.posts.count() == 7


def test_a_new_account_with_a_verified_contribution_is_not_rate_limited(forum):
    from tests.factories.contributors import contributor

    fresh = contributor(date_joined=timezone.now())
    topic = services.topic_create(forum=forum, by=fresh, title="From a contributor", body="1")
    for n in range(6):
        services.post_create(topic=topic, by=fresh, body=f"more {n}")
    assert topic.posts.count() == 7


def test_an_unverified_contribution_does_not_lift_the_limit(forum):
    from tests.factories.contributors import ContributionFactory

    fresh = UserFactory(date_joined=timezone.now())
    ContributionFactory(user=fresh)
    assert services.is_new_user(fresh)


def test_an_inactive_person_cannot_post(forum):
    gone = person(is_active=False)
    with pytest.raises(NotAllowed):
        services.topic_create(forum=forum, by=gone, title="Hello", body="x")


def test_the_forum_feed_is_atom_with_the_newest_topics(client, forum, topic):
    response = client.get(f"/forums/{forum.slug}/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert topic.title in body
    assert "&lt;strong&gt;401&lt;/strong&gt;" in body


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_the_form_pages_refuse_methods_other_than_get_and_post(
    client, ideas, topic, author, staff, method
):
    idea = services.topic_create(forum=ideas, by=author, title="An idea", body="Do it.")
    post = topic.posts.get()
    client.force_login(staff)
    for url in [
        f"/forums/{topic.forum.slug}/new/",
        f"/forums/p/{post.pk}/edit/",
        f"/forums/p/{post.pk}/flag/",
        f"/forums/t/{topic.pk}/move/",
        f"/forums/t/{idea.pk}/merge/",
    ]:
        assert getattr(client, method)(url).status_code == 405, url
