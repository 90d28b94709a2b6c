"""The to-do page (/todo/), its count in the header and its part of the home page.

Each role sees the entries of the objects it may act on, and none of the others'.
"""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from consortia.models import Consortium, ContactRequest, Membership
from contributors import services as contributors_services
from contributors.models import Membership as GroupMembership
from events.models import Meeting, Registration
from forums import services as forums_services
from forums.models import Forum
from orcid_community import todo
from tests.factories.accounts import UserFactory, grant, staff_person, with_two_factor
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
    OrganizationFactory,
)
from tests.factories.contributors import (
    AgreementFactory,
    GroupFactory,
    contributor,
    steering_members,
)
from tests.factories.contributors import MembershipFactory as GroupMembershipFactory
from tests.factories.events import MeetingFactory, RegistrationFactory, SessionFactory
from tests.factories.forums import FlagFactory, ForumFactory, PostFactory, TopicFactory
from tests.helpers import count_queries, vote

pytestmark = pytest.mark.django_db

# What each kind of entry reads like on the page (its text names the object).
JOIN_ALPHA = "Asking University asks to join Consortium Alpha"
JOIN_BETA = "Beta Applicant asks to join Consortium Beta"
CONTACT_REQUEST = "Andy Asker asks to act for Verified College"
VOTE = "Vote on the OST nomination of Nora Nominee"
FLAG_W = "in “Flagged in W” (W forum)"
FLAG_GENERAL = "in “Flagged in General” (General)"
PROPOSAL = "Review the proposal “Persistent identifiers at scale” for Lisbon meeting"
SIGN = "Sign the OST agreement"
OWN_REQUEST = "Asking University asked to join Consortium Alpha"
OWN_CONTACT_REQUEST = "You asked to act for Verified College"
REGISTRATION = "You are registered for Lisbon meeting"
EVERY_ENTRY = (
    JOIN_ALPHA,
    JOIN_BETA,
    CONTACT_REQUEST,
    VOTE,
    FLAG_W,
    FLAG_GENERAL,
    PROPOSAL,
    SIGN,
    OWN_REQUEST,
    OWN_CONTACT_REQUEST,
    REGISTRATION,
)


@pytest.fixture
def world():
    w = SimpleNamespace()
    # Consortia: a lead of Alpha, a lead of Beta, each with a request to answer; the
    # contact of the organization asking Alpha; a contact of a verified organization
    # someone asks to act for.
    alpha = ConsortiumFactory(name="Consortium Alpha", slug="alpha")
    beta = ConsortiumFactory(name="Consortium Beta", slug="beta")
    w.lead = ConsortiumContactFactory(consortium=alpha, user__name="Lea Lead").user
    w.other_lead = ConsortiumContactFactory(consortium=beta, user__name="Otto Lead").user
    asking = OrganizationFactory(name="Asking University")
    w.requester = OrganizationContactFactory(organization=asking, user__name="Rita Req").user
    MembershipFactory(
        consortium=alpha,
        organization=asking,
        state=Membership.State.REQUESTED,
        requested_by=w.requester,
    )
    MembershipFactory(
        consortium=beta,
        organization=OrganizationFactory(name="Beta Applicant"),
        state=Membership.State.REQUESTED,
    )
    verified = OrganizationFactory(name="Verified College")
    w.org_contact = OrganizationContactFactory(organization=verified, user__name="Cora C").user
    w.asker = UserFactory(name="Andy Asker")
    ContactRequest.objects.create(organization=verified, user=w.asker)

    # Contributors: an open nomination, one voter has voted, one has not; an approved
    # nominee yet to sign.
    staff = staff_person()
    w.voter, w.voted, w.recused = steering_members(3)
    w.nominee = contributor(name="Nora Nominee")
    w.nomination = contributors_services.nomination_open(
        nominee=w.nominee, rationale="Great docs", by=staff
    )
    vote(w.nomination, w.voted, "approve")
    contributors_services.vote_recuse(nomination=w.nomination, by=w.recused, reason="A friend")
    AgreementFactory(body="Be kind.", published_at=timezone.now() - timedelta(days=1))
    w.signer = contributor(name="Sam Signer")
    approved = contributors_services.nomination_open(
        nominee=w.signer, rationale="Great code", by=staff
    )
    for member in (w.voter, w.voted, w.recused):
        vote(approved, member, "approve")
    approved.refresh_from_db()
    assert approved.state == "approved"

    # Forums: a flagged post in the chair's group forum and one in a general forum.
    group = GroupFactory(name="W group", slug="w-group")
    w.chair = GroupMembershipFactory(
        group=group, role=GroupMembership.Role.CHAIR, user__name="Chad Chair"
    ).user
    w_forum = ForumFactory(slug="w-forum", name="W forum", kind=Forum.Kind.GROUP, group=group)
    general = ForumFactory(slug="general", name="General")
    w.flagged = PostFactory(topic=TopicFactory(forum=w_forum, title="Flagged in W"))
    FlagFactory(post=w.flagged)
    FlagFactory(post=PostFactory(topic=TopicFactory(forum=general, title="Flagged in General")))
    w.moderator = grant(
        with_two_factor(UserFactory(is_staff=True, name="Mo Moderator")),
        "forums.moderate_forums",
    )

    # Events: a proposal to review for an upcoming meeting (none for a past one); a
    # registration for it.
    meeting = MeetingFactory(title="Lisbon meeting")
    w.proposal = SessionFactory(
        meeting=meeting, proposal=True, title="Persistent identifiers at scale"
    )
    SessionFactory(meeting=MeetingFactory(title="Past meeting", past=True), proposal=True)
    w.reviewer = grant(
        with_two_factor(UserFactory(is_staff=True, name="Rev Reviewer")), "events.review_sessions"
    )
    w.registrant = RegistrationFactory(meeting=meeting, user__name="Reg Istrant").user
    RegistrationFactory(
        meeting=meeting, user=UserFactory(name="Cancelled"), state=Registration.State.CANCELLED
    )
    w.outsider = UserFactory(name="Ollie Outsider")
    return w


def _entries(client, user) -> set[str]:
    client.force_login(user)
    response = client.get("/todo/")
    assert response.status_code == 200
    html = response.content.decode()
    return {text for text in EVERY_ENTRY if text in html}


def _header_count(html: str) -> int:
    match = re.search(r'class="count-badge">(\d+)<', html)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("lead", {JOIN_ALPHA}),
        ("other_lead", {JOIN_BETA}),
        ("org_contact", {CONTACT_REQUEST}),
        ("requester", {OWN_REQUEST}),
        ("asker", {OWN_CONTACT_REQUEST}),
        # Steering-group members review session proposals too (events.permissions).
        ("voter", {VOTE, PROPOSAL}),
        ("voted", {PROPOSAL}),
        ("recused", {PROPOSAL}),
        ("nominee", set()),
        ("signer", {SIGN}),
        ("chair", {FLAG_W}),
        ("moderator", {FLAG_W, FLAG_GENERAL}),
        ("reviewer", {PROPOSAL}),
        ("registrant", {REGISTRATION}),
        ("outsider", set()),
    ],
)
def test_each_role_sees_what_waits_for_it_and_nothing_of_the_others(client, world, who, sees):
    assert _entries(client, getattr(world, who)) == sees


@pytest.mark.parametrize(
    ("who", "count"),
    [
        ("lead", 1),
        ("voter", 2),  # the vote and the proposal
        ("org_contact", 1),
        ("requester", 0),  # their own request waits for others: not counted
        ("registrant", 0),
        ("signer", 1),
        ("chair", 1),
        ("moderator", 2),
        ("reviewer", 1),
        ("outsider", 0),
    ],
)
def test_the_header_counts_what_waits_for_the_persons_action(client, world, who, count):
    person = getattr(world, who)
    assert todo.count(person) == count
    client.force_login(person)
    assert _header_count(client.get("/forums/").content.decode()) == count


def test_every_entry_links_to_where_it_is_done(client, world):
    client.force_login(world.voter)
    html = client.get("/todo/").content.decode()
    assert f'href="/review/nominations/{world.nomination.pk}/"' in html
    client.force_login(world.chair)
    html = client.get("/todo/").content.decode()
    assert f'href="/forums/moderation/#q-{world.flagged.pk}"' in html
    # The moderation queue has the post under that anchor.
    assert f'id="q-{world.flagged.pk}"' in client.get("/forums/moderation/").content.decode()
    client.force_login(world.lead)
    assert 'href="/consortia/alpha/manage/requests/"' in client.get("/todo/").content.decode()
    client.force_login(world.reviewer)
    assert (
        f'href="/events/{world.proposal.meeting.slug}/proposals/{world.proposal.pk}/"'
        in client.get("/todo/").content.decode()
    )


def test_an_entry_is_gone_once_done(client, world):
    assert todo.count(world.voter) == 2
    vote(world.nomination, world.voter, "approve")
    assert todo.count(world.voter) == 1
    assert VOTE not in _entries(client, world.voter)
    forums_services.post_restore(post=world.flagged, by=world.chair)
    assert todo.count(world.chair) == 0


def test_the_count_on_a_cached_page_is_each_persons_own_and_follows_a_new_flag(client, world):
    """Pages of signed-in people are cached per person; their header counts change as
    soon as something waits for them, whichever area it is in."""
    client.force_login(world.chair)
    assert _header_count(client.get("/consortia/").content.decode()) == 1
    client.force_login(world.moderator)
    assert _header_count(client.get("/consortia/").content.decode()) == 2
    client.force_login(world.outsider)
    assert _header_count(client.get("/consortia/").content.decode()) == 0
    # A new flag in the chair's forum: the consortia directory, cached for the chair, is
    # drawn again (it depends on the forums area for signed-in people).
    FlagFactory(post=PostFactory(topic=world.flagged.topic))
    client.force_login(world.chair)
    assert _header_count(client.get("/consortia/").content.decode()) == 2
    client.logout()
    assert "count-badge" not in client.get("/consortia/").content.decode()


def test_the_home_page_shows_the_to_do_list_to_signed_in_people_only(client, world):
    client.force_login(world.voter)
    html = client.get("/").content.decode()
    assert VOTE in html
    assert 'href="/todo/"' in html
    client.logout()
    html = client.get("/").content.decode()
    assert VOTE not in html
    assert 'id="home-todo-title"' not in html


def test_the_todo_page_asks_visitors_to_sign_in(client):
    response = client.get("/todo/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/todo/")


def _grow(n: int) -> None:
    """``n`` more of everything that waits for the lead, the moderator and the reviewer."""
    alpha = Consortium.objects.get(slug="alpha")
    general = ForumFactory(slug="general")
    meeting = Meeting.objects.get(title="Lisbon meeting")
    for _ in range(n):
        MembershipFactory(consortium=alpha, state=Membership.State.REQUESTED)
        FlagFactory(post=PostFactory(topic=TopicFactory(forum=general)))
        SessionFactory(meeting=meeting, proposal=True)


@pytest.mark.parametrize("who", ["lead", "moderator", "reviewer", "voter"])
def test_the_todo_page_runs_the_same_queries_for_few_and_many_entries(
    client, world, who, django_assert_max_num_queries
):
    client.force_login(getattr(world, who))
    small = count_queries(client, "/todo/")
    _grow(30)  # past the page's limit of entries per list
    with django_assert_max_num_queries(small):
        response = client.get("/todo/")
    assert "See them all" in response.content.decode() or who == "voter"


@pytest.mark.parametrize("who", ["lead", "moderator", "reviewer", "voter"])
def test_the_header_count_runs_the_same_queries_for_few_and_many_entries(
    world, who, django_assert_max_num_queries
):
    person = User.objects.get(pk=getattr(world, who).pk)
    with CaptureQueriesContext(connection) as small:
        before = todo.count(person)
    # The sources together: one query, besides the person's groups and permissions.
    assert len(small.captured_queries) <= 4
    _grow(10)
    person = User.objects.get(pk=person.pk)
    with django_assert_max_num_queries(len(small.captured_queries)):
        after = todo.count(person)
    assert after == before + 10  # the voter reviews the proposals too


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/consortia/", "/consortia/"),
        ("/contributors/", "/contributors/"),
        ("/groups/", "/groups/"),
        ("/groups/w-group/", "/groups/"),
        ("/forums/", "/forums/"),
        ("/events/", "/events/"),
    ],
)
def test_the_header_links_every_section_and_marks_the_current_one(client, world, path, section):
    html = client.get(path).content.decode()
    for link in ("/consortia/", "/contributors/", "/groups/", "/forums/", "/events/"):
        assert f'href="{link}"' in html
    assert re.findall(r'href="([^"]+)" aria-current="page"', html) == [section]


def test_the_header_marks_the_todo_page_and_shows_review_to_the_steering_group(client, world):
    client.force_login(world.voter)
    html = client.get("/todo/").content.decode()
    assert re.findall(r'href="([^"]+)"[^>]* aria-current="page"', html) == ["/todo/"]
    assert 'href="/review/"' in html
    client.force_login(world.lead)
    assert 'href="/review/"' not in client.get("/todo/").content.decode()
