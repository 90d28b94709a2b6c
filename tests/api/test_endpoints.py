"""Contributors, groups, meetings, iDeas and briefings in the open data API: what their
public pages show (no user-level people, drafts, proposals or private forums), in a fixed
number of queries."""

import pytest
from django.urls import reverse

from contributors.models import Level
from tests.factories.accounts import UserFactory
from tests.factories.contributors import (
    BriefingFactory,
    ContributionFactory,
    GroupFactory,
    MembershipFactory,
    ProfileFactory,
    contributor,
    ost_member,
)
from tests.factories.events import MeetingFactory, SessionFactory
from tests.factories.forums import (
    ForumFactory,
    IdeaFactory,
    IdeasForumFactory,
    TopicFactory,
    VoteFactory,
)
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


# --- contributors ---------------------------------------------------------------------------


def test_contributors_are_contributors_and_ost_members_only(client):
    ada = contributor(name="Ada", affiliation="Uni")
    ost_member(name="Bo")
    ProfileFactory(user=UserFactory(name="Plain User"), level=Level.USER)

    body = client.get("/api/v1/contributors/").json()

    assert [(c["name"], c["level"]) for c in body["results"]] == [
        ("Ada", "contributor"),
        ("Bo", "ost"),
    ]
    assert body["results"][0]["orcid_id"] == ada.orcid_id
    assert body["results"][0]["verified_contributions"] == 1
    assert client.get("/api/v1/contributors/?level=ost").json()["count"] == 1
    assert client.get("/api/v1/contributors/?level=user").status_code == 400


def test_a_contributor_shows_verified_contributions_and_current_terms(client):
    ada = contributor(name="Ada")
    ContributionFactory(user=ada, title="Not verified yet")
    MembershipFactory(user=ada, group=GroupFactory(slug="docs"))

    body = client.get(f"/api/v1/contributors/{ada.orcid_id}/").json()

    assert len(body["contributions"]) == 1
    assert "Not verified yet" not in str(body)
    assert [g["group"] for g in body["groups"]] == ["docs"]
    assert "email" not in body
    # By public id too (the address of a profile without a verified iD).
    assert client.get(f"/api/v1/contributors/{ada.public_id}/").json()["name"] == "Ada"


def test_a_person_at_the_user_level_is_404(client):
    person = UserFactory(orcid=True)
    ProfileFactory(user=person, level=Level.USER)

    assert client.get(f"/api/v1/contributors/{person.orcid_id}/").status_code == 404
    assert client.get(f"/api/v1/contributors/{person.public_id}/").status_code == 404
    assert client.get("/api/v1/contributors/0000-0000-0000-0000/").status_code == 404


# --- groups -----------------------------------------------------------------------------------


def test_groups_with_current_terms_and_public_profiles_only(client):
    group = GroupFactory(slug="docs", name="Documentation")
    MembershipFactory(group=group, user=contributor(name="Ada"), role="chair")
    MembershipFactory(group=group, user=UserFactory(name="Plain"))

    listed = client.get("/api/v1/groups/").json()
    body = client.get("/api/v1/groups/docs/").json()

    assert [g["slug"] for g in listed["results"]] == ["docs"]
    members = {m["name"]: m for m in body["members"]}
    assert members["Ada"]["role"] == "chair"
    assert members["Ada"]["profile"].startswith("/contributors/")
    assert members["Plain"]["profile"] is None
    assert client.get("/api/v1/groups/unknown/").status_code == 404


# --- events -----------------------------------------------------------------------------------


def test_meetings_upcoming_and_past_with_the_programme_only(client):
    meeting = MeetingFactory(slug="berlin", region="emea")
    MeetingFactory(slug="lima", region="americas")
    MeetingFactory(slug="old", past=True)
    SessionFactory(meeting=meeting, title="On the programme")
    SessionFactory(meeting=meeting, title="A proposal", proposal=True)

    def slugs(query=""):
        return [m["slug"] for m in client.get(f"/api/v1/events/?{query}").json()["results"]]

    body = client.get("/api/v1/events/berlin/").json()

    assert slugs() == ["berlin", "lima"]
    assert slugs("region=americas") == ["lima"]
    assert slugs("past=true") == ["old"]
    assert [s["title"] for s in body["programme"]] == ["On the programme"]
    assert body["calendar"] == "/events/berlin/calendar.ics"
    assert client.get("/api/v1/events/unknown/").status_code == 404


# --- iDeas ------------------------------------------------------------------------------------


def test_ideas_with_status_and_votes(client):
    idea = IdeaFactory(title="Dark mode", status="planned")
    VoteFactory(idea=idea)
    idea.vote_count = 1
    idea.status_note = "Next quarter."
    idea.save()

    body = client.get("/api/v1/ideas/").json()
    detail = client.get(f"/api/v1/ideas/{idea.pk}/").json()

    assert [(i["title"], i["status"], i["vote_count"]) for i in body["results"]] == [
        ("Dark mode", "planned", 1)
    ]
    assert detail["status_note"] == "Next quarter."
    assert client.get("/api/v1/ideas/?status=done").json()["count"] == 0


def test_topics_of_a_private_forum_appear_nowhere(client):
    group = GroupFactory()
    secret = TopicFactory(
        forum=ForumFactory(kind="group", group=group, is_private=True), title="Secret plans"
    )
    IdeaFactory(title="Public idea")
    urls = [reverse(f"api:{name}") for name in ("ideas", "groups", "briefings", "contributors")]
    urls += [f"/api/v1/ideas/{secret.pk}/", "/forums/ideas/status.atom"]

    for url in urls:
        response = client.get(url)
        assert b"Secret plans" not in response.content, url
    assert client.get(f"/api/v1/ideas/{secret.pk}/").status_code == 404


def test_a_topic_of_another_forum_is_no_idea(client):
    IdeasForumFactory()
    topic = TopicFactory()

    assert client.get(f"/api/v1/ideas/{topic.pk}/").status_code == 404


# --- briefings --------------------------------------------------------------------------------


def test_briefings_are_the_published_ones(client):
    published = BriefingFactory(title="Out", group=GroupFactory(slug="docs"))
    draft = BriefingFactory(title="Draft", published_at=None)

    body = client.get("/api/v1/briefings/").json()

    assert [(b["title"], b["group"]) for b in body["results"]] == [("Out", "docs")]
    assert (
        "<strong>decided</strong>"
        in client.get(f"/api/v1/briefings/{published.pk}/").json()["body_html"]
    )
    assert client.get(f"/api/v1/briefings/{draft.pk}/").status_code == 404


# --- queries ------------------------------------------------------------------------------------


def _data(n: int) -> None:
    group = GroupFactory()
    forum = IdeasForumFactory()
    for _ in range(n):
        person = contributor()
        ContributionFactory(user=person, verified=True)
        MembershipFactory(group=group, user=person)
        BriefingFactory(group=group)
        SessionFactory(meeting=MeetingFactory())
        IdeaFactory(forum=forum)


@pytest.mark.parametrize("name", ["contributors", "groups", "events", "ideas", "briefings"])
def test_lists_run_the_same_queries_at_two_sizes(client, name):
    url = reverse(f"api:{name}")
    _data(2)
    small = count_queries(client, url, clear_cache=True)
    _data(30)
    large = count_queries(client, url, clear_cache=True)

    assert small == large


def test_a_contributor_runs_the_same_queries_at_two_sizes(client):
    ada = contributor()
    url = f"/api/v1/contributors/{ada.orcid_id}/"
    small = count_queries(client, url, clear_cache=True)
    for _ in range(20):
        ContributionFactory(user=ada, verified=True)
        MembershipFactory(user=ada)
    large = count_queries(client, url, clear_cache=True)

    assert small == large
