"""Staff powers of the contributors app are permissions: ``is_staff`` alone verifies, nominates,
sets levels, appoints and writes nothing, on the pages, in the services or in the admin."""

import pytest
from django.core import mail

from contributors import services
from contributors.models import Contribution, Level, LevelChange, Membership, Nomination
from core.errors import NotAllowed
from mail.models import Delivery
from tests.factories.accounts import UserFactory, grant, staff_person, with_two_factor
from tests.factories.contributors import ContributionFactory, GroupFactory, contributor

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare_staff():
    """Staff status and two-factor authentication, no permission."""
    return with_two_factor(UserFactory(is_staff=True))


@pytest.fixture
def person():
    return UserFactory(name="Uma User")


def test_staff_status_alone_verifies_no_contribution(client, bare_staff, person):
    contribution = ContributionFactory(user=person)
    client.force_login(bare_staff)
    url = f"{person.get_absolute_url()}contributions/{contribution.pk}/verify/"
    assert client.post(url).status_code in (403, 404)
    with pytest.raises(NotAllowed):
        services.contribution_verify(contribution=contribution, by=bare_staff)
    contribution.refresh_from_db()
    assert contribution.verified_at is None


def test_the_verify_permission_verifies_without_staff_status(client, person):
    verifier = with_two_factor(grant(UserFactory(), "contributors.verify_contribution"))
    contribution = ContributionFactory(user=person)
    client.force_login(verifier)
    # A person at the user level: their profile shows to verifiers only.
    assert client.get(person.get_absolute_url()).status_code == 200
    url = f"{person.get_absolute_url()}contributions/{contribution.pk}/verify/"
    assert client.post(url).status_code == 302
    contribution.refresh_from_db()
    assert contribution.verified_by == verifier


def test_staff_status_alone_sees_no_profile_of_a_user(client, bare_staff, person):
    client.force_login(bare_staff)
    assert client.get(person.get_absolute_url()).status_code == 404


def test_a_contribution_staff_status_adds_for_someone_else_is_refused(bare_staff, person):
    with pytest.raises(NotAllowed):
        services.contribution_add(
            user=person, by=bare_staff, kind="talk", title="Talk", date="2026-01-05"
        )


def test_staff_status_alone_nominates_nobody(bare_staff):
    with pytest.raises(NotAllowed):
        services.nomination_open(nominee=contributor(), rationale="r", by=bare_staff)
    assert not Nomination.objects.exists()


def test_staff_status_alone_sets_no_level(bare_staff, person):
    with pytest.raises(NotAllowed):
        services.level_set_by_staff(
            user=person, level=Level.OST, basis="development_staff", reason="ORCID", by=bare_staff
        )


def test_staff_status_alone_appoints_nobody(bare_staff, person):
    with pytest.raises(NotAllowed):
        services.membership_add(group=GroupFactory(), user=person, by=bare_staff)
    assert not Membership.objects.exists()


def test_staff_status_alone_writes_no_briefing(client, bare_staff):
    group = GroupFactory(slug="wg")
    client.force_login(bare_staff)
    assert client.get("/groups/wg/briefings/new/").status_code == 403
    writer = with_two_factor(grant(UserFactory(), "contributors.write_any_briefing"))
    client.force_login(writer)
    assert client.get("/groups/wg/briefings/new/").status_code == 200
    assert group.briefings.count() == 0


# --- The admin: each action and form needs its permission ------------------------------------


def test_staff_who_may_only_view_cannot_verify_in_the_admin(client, person):
    viewer = with_two_factor(grant(UserFactory(is_staff=True), "contributors.view_contribution"))
    contribution = ContributionFactory(user=person)
    client.force_login(viewer)
    assert "verify" not in client.get("/admin/contributors/contribution/").content.decode()
    client.post(
        "/admin/contributors/contribution/",
        {"action": "verify", "_selected_action": [contribution.pk]},
    )
    contribution.refresh_from_db()
    assert contribution.verified_at is None


def test_the_admin_forms_of_staff_powers_need_the_power(client):
    viewer = with_two_factor(
        grant(
            UserFactory(is_staff=True),
            "contributors.view_levelchange",
            "contributors.view_nomination",
            "contributors.view_group",
            "contributors.add_levelchange",
            "contributors.add_nomination",
            "contributors.add_group",
            "contributors.add_membership",
        )
    )
    client.force_login(viewer)
    for url in (
        "/admin/contributors/levelchange/add/",
        "/admin/contributors/nomination/add/",
        "/admin/contributors/group/add/",
        "/admin/contributors/membership/add/",
    ):
        assert client.get(url).status_code == 403, url
    nominee = contributor()
    client.post("/admin/contributors/nomination/add/", {"nominee": nominee.pk, "rationale": "r"})
    assert not Nomination.objects.exists()
    assert not LevelChange.objects.filter(to_level=Level.OST).exists()


def test_community_staff_verify_in_the_admin(client, person):
    contribution = ContributionFactory(user=person)
    client.force_login(staff_person("Community staff"))
    client.post(
        "/admin/contributors/contribution/",
        {"action": "verify", "_selected_action": [contribution.pk]},
    )
    assert Contribution.objects.get(pk=contribution.pk).verified_at is not None


# --- Mail to staff goes to the holders of the power --------------------------------------------


def test_a_decided_nomination_is_mailed_to_those_who_nominate(
    bare_staff, django_capture_on_commit_callbacks
):
    from contributors import selectors
    from tests.factories.contributors import steering_members

    nominator = staff_person("Community staff")
    consortia_staff = staff_person("Consortia staff")
    voters = steering_members(3)
    with django_capture_on_commit_callbacks(execute=True):
        nomination = services.nomination_open(nominee=contributor(), rationale="r", by=nominator)
        for voter in voters:
            services.vote_cast(nomination=nomination, by=voter, choice="approve")
    assert selectors.user_level(nomination.nominee) == Level.CONTRIBUTOR
    told = set(
        Delivery.objects.filter(kind="contributors.nomination_decided_staff").values_list(
            "recipient_id", flat=True
        )
    )
    assert nominator.pk in told
    assert bare_staff.pk not in told
    assert consortia_staff.pk not in told
    assert mail.outbox
