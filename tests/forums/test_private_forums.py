"""A private group forum is invisible to non-members everywhere: lists, search, feeds, URLs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contributors.services import membership_add
from forums import services
from tests.factories.accounts import person, staff_person

pytestmark = pytest.mark.django_db


def _urls(topic):
    post = topic.posts.get()
    return [
        "/forums/steering/",
        topic.get_absolute_url(),
        f"/forums/t/{topic.pk}/",
        f"/forums/p/{post.pk}/",
        "/forums/steering/feed/",
        "/forums/steering/new/",
    ]


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_non_members_get_404_on_every_address_and_see_nothing_in_lists(client, secret, who):
    if who == "outsider":
        client.force_login(person())
    for url in _urls(secret):
        response = client.get(url)
        assert response.status_code in (404, 302), url  # 302: sign in first (new topic)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"]
    assert "Steering group" not in client.get("/forums/").content.decode()
    results = client.get("/forums/search/?q=orcid").content.decode()
    assert "Confidential" not in results
    assert "secret" not in results
    assert client.get("/forums/search/?q=orcid&forum=steering").status_code == 400


def test_an_outsider_cannot_reply_vote_flag_or_watch(client, secret):
    client.force_login(person())
    post = secret.posts.get()
    assert client.post(f"/forums/t/{secret.pk}/reply/", {"body": "hi"}).status_code == 404
    assert client.post(f"/forums/p/{post.pk}/flag/", {"reason": "spam"}).status_code == 404
    assert client.post(f"/forums/t/{secret.pk}/watch/", {"mode": "each"}).status_code == 404
    assert client.post("/forums/steering/watch/", {"mode": "each"}).status_code == 404


@pytest.mark.parametrize("who", ["member", "staff"])
def test_members_and_staff_read_search_and_subscribe(client, secret, member, who):
    viewer = member if who == "member" else staff_person()
    client.force_login(viewer)
    for url in _urls(secret):
        assert client.get(url, follow=True).status_code == 200, url
    assert "Steering group" in client.get("/forums/").content.decode()
    assert "Confidential" in client.get("/forums/search/?q=budget").content.decode()
    assert client.post("/forums/steering/watch/", {"mode": "weekly"}).status_code == 302


def test_a_term_that_ended_ends_access(client, private):
    from datetime import timedelta

    from django.utils import timezone

    former = person()
    membership_add(
        group=private.group, user=former, term_start=timezone.localdate() - timedelta(days=400)
    )
    client.force_login(former)
    assert client.get("/forums/steering/").status_code == 404


def test_only_group_forums_can_be_private(db):
    with pytest.raises(Exception):  # noqa: B017, PT011 - full_clean or the check constraint
        services.forum_create(slug="open", name="Open", kind="general", is_private=True)


def test_a_former_member_keeps_no_rights_in_the_private_forum_even_asking_the_services(
    private, member
):
    from contributors.models import Membership
    from core.errors import NotAllowed
    from forums import permissions
    from forums.models import Vote
    from tests.factories.forums import IdeaFactory

    question = services.topic_create(forum=private, by=member, title="Budget", body="How?")
    other = person()
    membership_add(group=private.group, user=other)
    answer = services.post_create(topic=question, by=other, body="Like this.")
    services.answer_accept(post=answer, by=member)
    own = question.posts.get(is_first=True)
    assert permissions.can_edit_post(member, own)
    idea = IdeaFactory()
    Vote.objects.create(idea=idea, user=member)

    # The term ends (an edit in the admin); the same person object asks again.
    term = Membership.objects.get(group=private.group, user=member)
    term.term_start = timezone.localdate() - timedelta(days=400)
    term.term_end = timezone.localdate()
    term.save()

    assert not permissions.can_edit_post(member, own)
    assert not permissions.can_accept_answer(member, question)
    assert not permissions.can_see_hidden_post(member, own)
    with pytest.raises(NotAllowed):
        services.post_edit(post=own, by=member, body="Rewritten after leaving")
    with pytest.raises(NotAllowed):
        services.answer_unaccept(topic=question, by=member)
    with pytest.raises(NotAllowed):
        services.answer_accept(post=answer, by=member)
    own.refresh_from_db()
    question.refresh_from_db()
    assert own.body == "How?"
    assert question.accepted_post_id == answer.pk
    # The iDeas forum is public: a former group member still withdraws their vote; someone
    # signed out cannot.
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed):
        services.idea_unvote(idea=idea, by=AnonymousUser())
    services.idea_unvote(idea=idea, by=member)
    assert not Vote.objects.filter(idea=idea).exists()


def test_the_remembered_groups_of_a_person_follow_a_new_membership_at_once(private):
    from forums import permissions

    newcomer = person()
    assert not permissions.can_see_forum(newcomer, private)
    membership_add(group=private.group, user=newcomer, role="chair")
    assert permissions.can_see_forum(newcomer, private)
    assert permissions.can_moderate(newcomer, private)


def test_asking_a_persons_groups_again_costs_no_query_and_no_cache_round_trip(
    private, django_assert_num_queries, monkeypatch
):
    from django.core.cache import caches

    from forums import permissions

    member = person()
    membership_add(group=private.group, user=member)
    permissions.viewer_groups(member)

    def refuse(*args, **kwargs):
        raise AssertionError("the cache was asked")

    backend = caches["default"]
    monkeypatch.setattr(backend, "get", refuse)
    monkeypatch.setattr(backend, "get_many", refuse)
    with django_assert_num_queries(0):
        for _ in range(5):
            assert permissions.can_see_forum(member, private)
