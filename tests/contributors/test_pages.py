from datetime import timedelta

import pytest
from django.utils import timezone

from contributors import selectors, services
from contributors.models import Contribution, Level, Membership, Nomination, Signature, Vote
from tests.factories.accounts import UserFactory, with_orcid
from tests.factories.contributors import (
    ContributionFactory,
    GroupFactory,
    MembershipFactory,
    ProfileFactory,
    contributor,
    ost_member,
)
from tests.helpers import moment_text, vote

pytestmark = pytest.mark.django_db


def review_url(nomination):
    return f"/review/nominations/{nomination.pk}/"


# --- The directory --------------------------------------------------------------------------


def test_the_directory_lists_contributors_and_ost_members_but_not_users(client):
    contributor(name="Mei Chen")
    ost_member(name="Lucía Fernández")
    UserFactory(name="Jo Visitor")
    response = client.get("/contributors/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Meet our open source contributors" in page
    assert "Mei Chen" in page
    assert "Lucía Fernández" in page
    assert "Jo Visitor" not in page


def test_a_contributor_without_a_verified_id_is_linked_at_an_address_that_is_no_id(client):
    # Staff recorded their work in the admin; the iD they once typed was never proved.
    person = contributor(name="Ana Souza", orcid=False, unverified_orcid_id="0000-0002-1825-0097")
    page = client.get("/contributors/").content.decode()
    assert f'href="/contributors/p/{person.public_id}/">Ana Souza</a>' in page
    assert "0000-0002-1825-0097" not in page
    assert "/contributors/None/" not in page
    profile = client.get(f"/contributors/p/{person.public_id}/").content.decode()
    assert "Ana Souza" in profile
    assert "0000-0002-1825-0097" not in profile
    assert "ORCID iD" not in profile


def test_an_unverified_orcid_id_is_no_profile_address(client):
    person = contributor(orcid=False, unverified_orcid_id="0000-0002-1825-0097")
    assert client.get("/contributors/0000-0002-1825-0097/").status_code == 404
    client.force_login(person)
    assert client.get("/contributors/0000-0002-1825-0097/").status_code == 404


def test_the_directory_links_a_verified_contributor_at_their_orcid_id(client):
    person = contributor(name="Mei Chen", orcid="0000-0002-9079-593X")
    page = client.get("/contributors/").content.decode()
    assert 'href="/contributors/0000-0002-9079-593X/">Mei Chen</a>' in page
    # The address by public id leads there, not permanently (ORCID can be disconnected).
    response = client.get(f"/contributors/p/{person.public_id}/")
    assert (response.status_code, response.url) == (302, "/contributors/0000-0002-9079-593X/")


def test_an_unknown_public_id_is_not_found(client):
    assert client.get("/contributors/p/3f2504e0-4f89-11d3-9a0c-0305e82c3301/").status_code == 404
    assert client.get("/contributors/p/42/").status_code == 404


def test_the_directory_filters_by_level_and_by_contribution_kind(client):
    contributor(name="Mei Chen")
    ost_member(name="Lucía Fernández")
    writer = contributor(name="Pavel Ivanov")
    ContributionFactory(user=writer, kind=Contribution.Kind.DOCUMENTATION, verified=True)
    ost = client.get("/contributors/?level=ost").content.decode()
    assert "Lucía Fernández" in ost
    assert "Mei Chen" not in ost
    docs = client.get("/contributors/?kind=documentation").content.decode()
    assert "Pavel Ivanov" in docs
    assert "Mei Chen" not in docs


def test_the_directory_shows_counts_per_level_and_kind(client):
    contributor()
    contributor()
    ost_member()
    response = client.get("/contributors/")
    counts = dict((level.value, n) for level, n in response.context["directory"]["level_counts"])
    assert counts == {"contributor": 2, "ost": 1}
    kinds = dict((kind.value, n) for kind, n in response.context["directory"]["kind_counts"])
    assert kinds["patch"] == 2
    assert response.context["directory"]["page"].paginator.count == 3


def test_an_unknown_filter_value_is_a_bad_request(client):
    assert client.get("/contributors/?level=admin").status_code == 400


# --- Profiles -------------------------------------------------------------------------------


def test_a_profile_shows_orcid_link_affiliation_level_history_and_groups(client):
    person = contributor(name="Mei Chen", affiliation="Peking University")
    group = GroupFactory(name="API working group")
    MembershipFactory(group=group, user=person)
    ContributionFactory(user=person, title="Unverified idea", kind="help")
    page = client.get(f"/contributors/{person.orcid_id}/").content.decode()
    assert f"https://orcid.org/{person.orcid_id}" in page
    assert "Peking University" in page
    assert "Technical contributor" in page
    assert "API working group" in page
    assert "Not yet verified" in page
    assert "Set by ORCID staff" in page


def test_a_profile_accepts_the_orcid_url_form_and_redirects_to_the_bare_form(client):
    person = contributor()
    response = client.get(f"/contributors/https:/orcid.org/{person.orcid_id}/")
    assert response.status_code == 404  # a slash in the path is not an ORCID iD
    lower = person.orcid_id.replace("-", "")
    response = client.get(f"/contributors/{lower}/")
    assert response.status_code == 301
    assert response.url == f"/contributors/{person.orcid_id}/"


def test_a_plain_user_has_no_public_profile_but_sees_their_own(client):
    person = UserFactory(orcid=True)
    without_id = UserFactory()
    for url in (person.get_absolute_url(), without_id.get_absolute_url()):
        assert client.get(url).status_code == 404
    client.force_login(person)
    assert client.get(f"/contributors/{person.orcid_id}/").status_code == 200
    client.force_login(without_id)
    assert client.get(f"/contributors/p/{without_id.public_id}/").status_code == 200


def test_an_invalid_orcid_id_is_not_found(client):
    assert client.get("/contributors/0000-0000-0000-0000/").status_code == 404
    assert client.get("/contributors/not-an-id/").status_code == 404


def test_the_public_profile_shows_the_outcome_of_a_nomination_but_no_votes(
    client, nomination, steering
):
    vote(nomination, steering[0], "reject", "A secret reason")
    services.nomination_decide(nomination_id=nomination.pk, now=nomination.deadline)
    page = client.get(f"/contributors/{nomination.nominee.orcid_id}/").content.decode()
    assert "Rejected" in page
    assert "A secret reason" not in page


def test_a_person_adds_their_own_contribution_unverified(client):
    person = UserFactory()
    client.force_login(person)
    response = client.post(
        f"/contributors/p/{person.public_id}/contributions/",
        {"kind": "documentation", "title": "Member API guide", "link": "", "date": "2026-01-10"},
    )
    assert response.status_code == 302
    contribution = Contribution.objects.get(user=person)
    assert not contribution.is_verified


def test_nobody_adds_a_contribution_to_someone_elses_profile(client):
    person = contributor()
    client.force_login(UserFactory())
    response = client.post(
        f"/contributors/p/{person.public_id}/contributions/",
        {"kind": "patch", "title": "Not mine", "date": "2026-01-10"},
    )
    assert response.status_code == 403
    assert not Contribution.objects.filter(title="Not mine").exists()


def test_a_bad_contribution_is_refused_with_the_form(client):
    person = UserFactory()
    client.force_login(person)
    response = client.post(
        f"/contributors/p/{person.public_id}/contributions/", {"kind": "bribe", "title": ""}
    )
    assert response.status_code == 400


def test_staff_verify_a_contribution_on_the_profile(client, staff):
    person = UserFactory()
    contribution = ContributionFactory(user=person)
    client.force_login(staff)
    url = f"/contributors/p/{person.public_id}/contributions/{contribution.pk}/verify/"
    assert client.post(url).status_code == 302
    assert selectors.user_level(person) == Level.CONTRIBUTOR
    client.force_login(person)
    contribution2 = ContributionFactory(user=person)
    url = f"/contributors/p/{person.public_id}/contributions/{contribution2.pk}/verify/"
    assert client.post(url).status_code == 403


def test_my_contributor_page_redirects_to_the_profile(client):
    person = UserFactory(orcid=True)
    client.force_login(person)
    assert client.get("/contributors/me/").url == f"/contributors/{person.orcid_id}/"
    without_id = UserFactory()
    client.force_login(without_id)
    assert client.get("/contributors/me/").url == f"/contributors/p/{without_id.public_id}/"


# --- Groups ---------------------------------------------------------------------------------


def test_groups_show_chair_members_terms_and_hide_expired_terms(client, steering):
    gone = MembershipFactory(
        group=steering[0].group_memberships.get().group,
        term_start=timezone.localdate() - timedelta(days=400),
    ).user
    working = GroupFactory(
        name="Identifiers working group",
        slug="identifiers",
        deliverables="A **report**",
        ends_on=timezone.localdate() + timedelta(days=100),
    )
    MembershipFactory(group=working, role=Membership.Role.CHAIR)
    listing = client.get("/groups/").content.decode()
    assert "Technical steering group" in listing
    assert "Identifiers working group" in listing
    assert "7 members with a current term" in listing
    detail = client.get("/groups/steering-group/")
    current = [m.user for m in detail.context["group"].current_memberships]
    assert gone not in current
    assert len(current) == 7
    assert detail.context["group"].current_chair == steering[0]
    assert "Past terms" in detail.content.decode()
    wg = client.get("/groups/identifiers/").content.decode()
    assert "<strong>report</strong>" in wg
    assert "End date" in wg


def test_a_group_links_members_with_public_profiles_at_their_addresses(client):
    group = GroupFactory(slug="api")
    verified = MembershipFactory(group=group, user=contributor(name="Ver Ified")).user
    unproved = MembershipFactory(group=group, user=contributor(name="Un Proved", orcid=False))
    MembershipFactory(group=group, user=UserFactory(name="Plain User", orcid=True))
    html = client.get("/groups/api/").content.decode()
    assert f'<a href="/contributors/{verified.orcid_id}/">Ver Ified</a>' in html
    assert f'<a href="/contributors/p/{unproved.user.public_id}/">Un Proved</a>' in html
    # A user-level member's profile is not public: their name is not a link to a 404.
    assert "<td>Plain User" in html


def test_an_unknown_group_is_not_found(client):
    assert client.get("/groups/nope/").status_code == 404


# --- Review: who may see it -----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, nomination):
    for url in ("/review/", review_url(nomination)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response.url


def test_people_outside_the_steering_group_get_403_even_staff(client, nomination, staff):
    for person in (UserFactory(), staff, nomination.nominee):
        client.force_login(person)
        assert client.get("/review/").status_code in (403,)
        assert client.get(review_url(nomination)).status_code == 403


def test_a_member_whose_term_expired_no_longer_reviews(client, nomination, steering):
    Membership.objects.filter(user=steering[3]).update(
        term_start=timezone.localdate() - timedelta(days=400),
        term_end=timezone.localdate() - timedelta(days=35),
    )
    client.force_login(steering[3])
    assert client.get("/review/").status_code == 403


def test_a_member_whose_term_ended_after_opening_still_votes_through_the_page(
    client, nomination, steering, staff
):
    """The roll is frozen when a nomination opens: someone on it whose term ended since
    reaches that nomination's page and votes there, but no other review page."""
    Membership.objects.filter(user=steering[3]).update(
        term_start=timezone.localdate() - timedelta(days=400),
        term_end=timezone.localdate() - timedelta(days=1),
    )
    later = services.nomination_open(
        nominee=contributor(name="Pavel Ivanov"), rationale="r", by=staff
    )
    client.force_login(steering[3])
    url = review_url(nomination)
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "vote", "choice": "approve", "comment": ""})
    assert response.status_code == 302
    assert Vote.objects.get(nomination=nomination, voter=steering[3]).choice == "approve"
    assert client.get(review_url(later)).status_code == 403
    assert client.get("/review/").status_code == 403


def test_the_review_link_shows_for_steering_members_only(client, steering):
    client.force_login(steering[0])
    assert client.get("/").context["nav_show_review"] is True
    client.force_login(UserFactory())
    assert client.get("/").context["nav_show_review"] is False


def test_a_steering_member_who_is_the_nominee_cannot_see_their_nomination(client, staff, steering):
    member = steering[1]
    ProfileFactory(user=member, level=Level.CONTRIBUTOR)
    with_orcid(member)
    own = services.nomination_open(nominee=member, rationale="r", by=staff)
    client.force_login(member)
    assert own not in client.get("/review/").context["queue"]["open"]
    assert client.get(review_url(own)).status_code == 403


def test_a_forged_nomination_id_is_not_found(client, steering):
    client.force_login(steering[0])
    assert client.get("/review/nominations/987654/").status_code == 404


# --- Review: the page and voting ------------------------------------------------------------


def test_the_review_list_shows_open_and_decided_nominations(client, nomination, steering, staff):
    other = contributor(name="Pavel Ivanov")
    decided = services.nomination_open(nominee=other, rationale="r", by=staff)
    services.nomination_decide(nomination_id=decided.pk, now=decided.deadline)
    client.force_login(steering[0])
    response = client.get("/review/")
    assert [n.pk for n in response.context["queue"]["open"]] == [nomination.pk]
    assert [n.pk for n in response.context["queue"]["decided"].object_list] == [decided.pk]


def test_the_review_page_shows_evidence_votes_deadline_and_quorum(client, nomination, steering):
    ContributionFactory(user=nomination.nominee, kind="documentation", verified=True)
    vote(nomination, steering[1], "reject", "Too early")
    client.force_login(steering[0])
    response = client.get(review_url(nomination))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>help</strong>" in page  # the rationale, as Markdown
    assert "Too early" in page
    assert "1 of 7 members on the roll have voted; the quorum is 4." in page
    assert "Documentation" in page
    assert moment_text(nomination.deadline) in page
    assert "Audit trail" in page


def test_a_member_votes_and_changes_the_vote_through_the_page(client, nomination, steering):
    client.force_login(steering[0])
    url = review_url(nomination)
    response = client.post(url, {"action": "vote", "choice": "approve", "comment": ""})
    assert response.status_code == 302
    client.post(url, {"action": "vote", "choice": "abstain", "comment": "Not sure"})
    assert Vote.objects.get(nomination=nomination, voter=steering[0]).choice == "abstain"
    assert client.get(url).context["vote_form"].initial["choice"] == "abstain"


def test_a_reject_without_reason_is_refused_on_the_page(client, nomination, steering):
    client.force_login(steering[0])
    response = client.post(
        review_url(nomination), {"action": "vote", "choice": "reject", "comment": ""}
    )
    assert response.status_code == 400
    assert "Give a reason when you reject" in response.content.decode()
    assert not Vote.objects.exists()


def test_a_vote_after_the_deadline_is_refused_with_a_clear_message(client, nomination, steering):
    Nomination.objects.filter(pk=nomination.pk).update(
        opened_at=timezone.now() - timedelta(days=15), deadline=timezone.now() - timedelta(hours=1)
    )
    client.force_login(steering[0])
    response = client.post(
        review_url(nomination), {"action": "vote", "choice": "approve", "comment": ""}
    )
    assert response.status_code == 409
    assert "The deadline of this nomination has passed" in response.content.decode()
    assert not Vote.objects.exists()


def test_a_vote_on_a_decided_nomination_is_refused_with_409(client, nomination, steering):
    services.nomination_decide(nomination_id=nomination.pk, now=nomination.deadline)
    client.force_login(steering[0])
    response = client.post(
        review_url(nomination), {"action": "vote", "choice": "approve", "comment": ""}
    )
    assert response.status_code == 409
    assert "votes are closed" in response.content.decode()


def test_a_member_not_on_the_frozen_roll_cannot_vote(client, nomination, steering):
    newcomer = MembershipFactory(group=steering[0].group_memberships.get().group).user
    client.force_login(newcomer)
    url = review_url(nomination)
    assert "not on the voter roll" in client.get(url).content.decode()
    response = client.post(url, {"action": "vote", "choice": "approve", "comment": ""})
    assert response.status_code == 403


def test_a_member_recuses_through_the_page(client, nomination, steering):
    client.force_login(steering[0])
    response = client.post(review_url(nomination), {"action": "recuse", "reason": "My co-author"})
    assert response.status_code == 302
    assert nomination.roll.get(voter=steering[0]).recused_at is not None


def test_an_unknown_action_is_a_bad_request(client, nomination, steering):
    client.force_login(steering[0])
    assert client.post(review_url(nomination), {"action": "delete"}).status_code == 400


def test_a_vote_with_errors_keeps_what_the_member_typed_after_the_page_was_cached(
    client, nomination, steering
):
    client.force_login(steering[0])
    url = review_url(nomination)
    assert client.get(url).status_code == 200  # the page is now cached
    response = client.post(url, {"action": "vote", "comment": "Strong documentation work"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "Strong documentation work" in page
    assert not Vote.objects.exists()


def test_a_recusal_without_reason_shows_the_error_after_the_page_was_cached(
    client, nomination, steering
):
    client.force_login(steering[0])
    url = review_url(nomination)
    client.get(url)
    response = client.post(url, {"action": "recuse", "reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert nomination.roll.get(voter=steering[0]).recused_at is None


def test_review_pages_show_times_in_utc_whatever_the_reviewers_time_zone(
    client, nomination, steering
):
    reviewer = steering[0]
    reviewer.time_zone = "Asia/Tokyo"
    reviewer.save()
    client.force_login(reviewer)
    deadline = moment_text(nomination.deadline)
    opened = moment_text(nomination.opened_at)
    page = client.get(review_url(nomination)).content.decode()
    assert deadline in page
    assert opened in page
    assert deadline in client.get("/review/").content.decode()


# --- The agreement --------------------------------------------------------------------------


def approve(nomination, steering):
    for member in steering:
        vote(nomination, member, "approve")
    nomination.refresh_from_db()
    assert nomination.state == "approved"


def sign_data(nomination, agreement, name="Mei Chen", confirm="on"):
    return {
        "nomination": nomination.pk,
        "version": agreement.version,
        "full_name": name,
        "confirm": confirm,
    }


def test_the_approved_nominee_signs_and_appears_as_ost_member(
    client, nomination, steering, agreement
):
    approve(nomination, steering)
    nominee = nomination.nominee
    client.force_login(nominee)
    page = client.get("/ost/agreement/")
    assert page.context["form"] is not None
    assert "development process" in page.content.decode()
    response = client.post(
        "/ost/agreement/", sign_data(nomination, agreement), REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.agreement.version, signature.ip_address) == ("2026.1", "198.51.100.4")
    assert signature.signed_at is not None
    directory = client.get("/contributors/?level=ost").content.decode()
    assert "Mei Chen" in directory


@pytest.mark.parametrize(
    ("peer", "forwarded", "recorded"),
    [
        # Straight from the internet: the header is the signer's own claim, ignored.
        ("198.51.100.4", "203.0.113.9", "198.51.100.4"),
        # Through the trusted proxy: the address it forwarded.
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
    ],
)
def test_the_signature_records_a_forwarded_address_only_from_a_trusted_proxy(
    client, nomination, steering, agreement, settings, peer, forwarded, recorded
):
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    approve(nomination, steering)
    client.force_login(nomination.nominee)
    response = client.post(
        "/ost/agreement/",
        sign_data(nomination, agreement),
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 302
    assert Signature.objects.get().ip_address == recorded


def test_a_second_signature_is_refused_with_409(client, nomination, steering, agreement):
    approve(nomination, steering)
    client.force_login(nomination.nominee)
    client.post("/ost/agreement/", sign_data(nomination, agreement))
    response = client.post("/ost/agreement/", sign_data(nomination, agreement))
    assert response.status_code == 409
    assert "already signed" in response.content.decode()
    assert Signature.objects.count() == 1


def test_signing_someone_elses_nomination_is_forbidden(client, nomination, steering, agreement):
    approve(nomination, steering)
    intruder = contributor(name="Eve Intruder")
    client.force_login(intruder)
    response = client.post("/ost/agreement/", sign_data(nomination, agreement, name="Mei Chen"))
    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_signing_with_someone_elses_name_is_refused(client, nomination, steering, agreement):
    approve(nomination, steering)
    client.force_login(nomination.nominee)
    response = client.post("/ost/agreement/", sign_data(nomination, agreement, name="Ana Souza"))
    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_signing_without_the_confirmation_is_refused(client, nomination, steering, agreement):
    approve(nomination, steering)
    client.force_login(nomination.nominee)
    response = client.post("/ost/agreement/", sign_data(nomination, agreement, confirm=""))
    assert response.status_code == 400
    assert selectors.user_level(nomination.nominee) == Level.CONTRIBUTOR


def test_a_forged_nomination_id_in_the_signature_is_not_found(client, nominee, agreement):
    client.force_login(nominee)
    data = {"nomination": 987654, "version": agreement.version, "full_name": "Mei Chen"}
    assert client.post("/ost/agreement/", {**data, "confirm": "on"}).status_code == 404


def test_the_signature_time_is_shown_in_utc_whatever_the_nominees_time_zone(
    client, nomination, steering, agreement
):
    approve(nomination, steering)
    nominee = nomination.nominee
    nominee.time_zone = "America/Los_Angeles"
    nominee.save()
    client.force_login(nominee)
    client.post("/ost/agreement/", sign_data(nomination, agreement))
    signed_at = Signature.objects.get().signed_at
    page = client.get("/ost/agreement/").content.decode()
    assert f"on {moment_text(signed_at)}." in page


def test_anyone_reads_the_agreement_but_only_approved_nominees_get_the_form(client, agreement):
    response = client.get("/ost/agreement/")
    assert response.status_code == 200
    assert response.context["form"] is None
    assert client.post("/ost/agreement/", {}).status_code == 302  # sign in first
