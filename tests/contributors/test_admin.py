from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contributors import selectors, services
from contributors.models import (
    Contribution,
    Level,
    LevelChange,
    Membership,
    Nomination,
    Profile,
    one_year_after,
)
from tests.factories.accounts import UserFactory, staff_person
from tests.factories.contributors import (
    ContributionFactory,
    GroupFactory,
    MembershipFactory,
    contributor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    return client


def test_staff_nominate_in_the_admin_and_the_roll_is_mailed(
    admin_client, nominee, steering, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/contributors/nomination/add/",
            {"nominee": nominee.pk, "rationale": "Years of documentation", "deadline": ""},
        )
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    assert nomination.nominated_by.is_staff
    assert nomination.deadline - nomination.opened_at == timedelta(days=14)
    assert nomination.roll.count() == 7
    from mail.models import Delivery

    print("DBG", list(Delivery.objects.values_list("state", "last_error", "queued_at", "kind")))
    assert len(mail.outbox) == 7


@pytest.mark.parametrize(
    ("person", "refusal"),
    [
        (lambda: UserFactory(orcid=True), "Only technical contributors can be nominated"),
        (
            lambda: contributor(orcid=False, unverified_orcid_id="0000-0002-1825-0097"),
            "has no verified ORCID iD",
        ),
    ],
    ids=["not-a-contributor", "no-verified-orcid-id"],
)
def test_the_admin_refuses_a_nominee_the_rules_refuse(admin_client, steering, person, refusal):
    response = admin_client.post(
        "/admin/contributors/nomination/add/",
        {"nominee": person().pk, "rationale": "r", "deadline": ""},
    )
    assert response.status_code == 200
    assert refusal in response.content.decode()
    assert not Nomination.objects.exists()


def test_the_nominate_action_refuses_a_contributor_without_a_verified_orcid_id(admin_client):
    person = contributor(orcid=False)
    profile = Profile.objects.get(user=person)
    response = admin_client.post(
        "/admin/contributors/profile/",
        {"action": "nominate_for_ost", "_selected_action": [profile.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "has no verified ORCID iD" in response.content.decode()
    assert not Nomination.objects.exists()


def test_the_admin_refuses_a_deadline_sooner_than_72_hours(admin_client, nominee, steering):
    soon = timezone.now() + timedelta(hours=48)
    response = admin_client.post(
        "/admin/contributors/nomination/add/",
        {"nominee": nominee.pk, "rationale": "r", "deadline": soon.strftime("%Y-%m-%d %H:%M:%S")},
    )
    assert "at least 72 hours" in response.content.decode()
    assert not Nomination.objects.exists()


def test_the_nominate_action_on_profiles_opens_the_nomination_form(admin_client, nominee):
    profile = Profile.objects.get(user=nominee)
    response = admin_client.post(
        "/admin/contributors/profile/",
        {"action": "nominate_for_ost", "_selected_action": [profile.pk]},
    )
    assert response.status_code == 302
    assert response.url == f"/admin/contributors/nomination/add/?nominee={nominee.pk}"
    form = admin_client.get(response.url).context["adminform"].form
    assert form.initial["nominee"] == str(nominee.pk)


def test_the_nomination_change_page_shows_roll_votes_and_trail(admin_client, nomination):
    response = admin_client.get(f"/admin/contributors/nomination/{nomination.pk}/change/")
    assert response.status_code == 200
    assert "Voter roll: 7 members." in response.content.decode()


def test_staff_verify_contributions_with_an_admin_action(admin_client):
    contribution = ContributionFactory()
    admin_client.post(
        "/admin/contributors/contribution/",
        {"action": "verify", "_selected_action": [contribution.pk]},
    )
    contribution.refresh_from_db()
    assert contribution.is_verified
    assert selectors.user_level(contribution.user) == Level.CONTRIBUTOR


def test_a_contribution_staff_add_in_the_admin_is_verified(admin_client):
    person = UserFactory()
    response = admin_client.post(
        "/admin/contributors/contribution/add/",
        {
            "user": person.pk,
            "kind": "talk",
            "title": "Outreach talk",
            "link": "",
            "date": "2026-01-05",
        },
    )
    assert response.status_code == 302
    assert Contribution.objects.get(user=person).is_verified


def test_staff_mark_a_vendor_as_ost_with_a_reason_in_the_admin(admin_client, staff):
    person = UserFactory()
    response = admin_client.post(
        "/admin/contributors/levelchange/add/",
        {"user": person.pk, "to_level": "ost", "basis": "vendor", "reason": "Contract 2026-7"},
    )
    assert response.status_code == 302
    assert selectors.user_level(person) == Level.OST
    change = LevelChange.objects.get(user=person)
    assert (change.changed_by, change.reason) == (staff, "Contract 2026-7")


def test_the_admin_refuses_ost_by_plain_staff_decision(admin_client):
    person = UserFactory()
    response = admin_client.post(
        "/admin/contributors/levelchange/add/",
        {"user": person.pk, "to_level": "ost", "basis": "staff_decision", "reason": "Nice"},
    )
    assert response.status_code == 200
    assert "only ORCID development staff and contracted vendors" in response.content.decode()
    assert selectors.user_level(person) == Level.USER


# --- Group memberships go through the rules of membership_add --------------------------------


def _membership_post(group, user, role="member", start=None, end=""):
    start = start or timezone.localdate()
    return {
        "group": group.pk,
        "user": user.pk,
        "role": role,
        "term_start": start.isoformat(),
        "term_end": end,
    }


def test_the_membership_admin_refuses_a_second_term_of_one_person_at_once(admin_client):
    group = GroupFactory()
    member = MembershipFactory(group=group).user
    response = admin_client.post(
        "/admin/contributors/membership/add/", _membership_post(group, member)
    )
    assert response.status_code == 200
    assert "already has a term in this group" in response.content.decode()
    assert Membership.objects.filter(group=group).count() == 1


def test_the_membership_admin_refuses_a_second_chair_and_a_full_group(admin_client):
    group = GroupFactory(max_members=2)
    MembershipFactory(group=group, role=Membership.Role.CHAIR)
    response = admin_client.post(
        "/admin/contributors/membership/add/", _membership_post(group, UserFactory(), "chair")
    )
    assert "already has a chair" in response.content.decode()
    MembershipFactory(group=group)
    response = admin_client.post(
        "/admin/contributors/membership/add/", _membership_post(group, UserFactory())
    )
    assert "The group is full." in response.content.decode()
    assert Membership.objects.filter(group=group).count() == 2


def test_the_membership_admin_adds_and_changes_terms_within_the_rules(admin_client):
    group = GroupFactory(max_members=2)
    person = UserFactory()
    response = admin_client.post(
        "/admin/contributors/membership/add/", _membership_post(group, person, "chair")
    )
    assert response.status_code == 302
    membership = Membership.objects.get(group=group, user=person)
    assert membership.term_end == one_year_after(membership.term_start)
    # Changing the term does not collide with itself.
    response = admin_client.post(
        f"/admin/contributors/membership/{membership.pk}/change/",
        _membership_post(group, person, "member", start=membership.term_start),
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Membership.Role.MEMBER


def _group_post(group, rows, initial=0):
    data = {
        "name_en": group.name,
        "slug": group.slug,
        "kind": group.kind,
        "purpose_en": group.purpose,
        "deliverables_en": "",
        "starts_on": "",
        "ends_on": "",
        "max_members": group.max_members or "",
        "memberships-TOTAL_FORMS": len(rows),
        "memberships-INITIAL_FORMS": initial,
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"memberships-{i}-{key}"] = value
        data[f"memberships-{i}-group"] = group.pk
    return data


def test_the_group_page_refuses_two_chairs_added_at_once(admin_client):
    group = GroupFactory()
    today = timezone.localdate().isoformat()
    rows = [
        {"user": UserFactory().pk, "role": "chair", "term_start": today, "term_end": ""},
        {"user": UserFactory().pk, "role": "chair", "term_start": today, "term_end": ""},
    ]
    response = admin_client.post(
        f"/admin/contributors/group/{group.pk}/change/", _group_post(group, rows)
    )
    assert response.status_code == 200
    assert "already has a chair" in response.content.decode()
    assert not Membership.objects.filter(group=group).exists()


def test_the_group_page_refuses_an_overlapping_term_and_a_full_group(admin_client):
    group = GroupFactory(max_members=1)
    member = MembershipFactory(group=group).user
    today = timezone.localdate().isoformat()
    same = [{"user": member.pk, "role": "member", "term_start": today, "term_end": ""}]
    response = admin_client.post(
        f"/admin/contributors/group/{group.pk}/change/", _group_post(group, same)
    )
    assert "already has a term in this group" in response.content.decode()
    other = [{"user": UserFactory().pk, "role": "member", "term_start": today, "term_end": ""}]
    response = admin_client.post(
        f"/admin/contributors/group/{group.pk}/change/", _group_post(group, other)
    )
    assert "The group is full." in response.content.decode()
    assert Membership.objects.filter(group=group).count() == 1


def test_the_group_page_adds_terms_within_the_rules(admin_client):
    group = GroupFactory(max_members=2)
    today = timezone.localdate().isoformat()
    rows = [
        {"user": UserFactory().pk, "role": "chair", "term_start": today, "term_end": ""},
        {"user": UserFactory().pk, "role": "member", "term_start": today, "term_end": ""},
    ]
    response = admin_client.post(
        f"/admin/contributors/group/{group.pk}/change/", _group_post(group, rows)
    )
    assert response.status_code == 302
    assert Membership.objects.filter(group=group).count() == 2


def test_a_new_group_is_added_with_its_chair(admin_client):
    today = timezone.localdate().isoformat()
    data = _group_post(
        GroupFactory.build(slug="new-wg", max_members=3),
        [{"user": UserFactory().pk, "role": "chair", "term_start": today, "term_end": ""}],
    )
    data.pop("memberships-0-group")
    response = admin_client.post("/admin/contributors/group/add/", data)
    assert response.status_code == 302
    assert Membership.objects.get(group__slug="new-wg").role == Membership.Role.CHAIR


# --- Refusals are form errors or messages, never a server error ------------------------------


def test_the_admin_refuses_a_contribution_dated_in_the_future(admin_client):
    person = UserFactory()
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = {"user": person.pk, "kind": "talk", "title": "Talk", "link": "", "date": tomorrow}
    response = admin_client.post("/admin/contributors/contribution/add/", data)
    assert response.status_code == 200
    assert "cannot be dated in the future" in response.content.decode()
    assert not Contribution.objects.filter(user=person).exists()
    # A contribution is never edited in the admin: its form is read-only.
    contribution = ContributionFactory(user=person)
    response = admin_client.post(
        f"/admin/contributors/contribution/{contribution.pk}/change/", data
    )
    assert response.status_code == 403
    contribution.refresh_from_db()
    assert contribution.date < tomorrow


def test_a_nomination_opened_by_someone_else_meanwhile_is_an_admin_message(
    admin_client, nominee, steering, monkeypatch
):
    real_open = services.nomination_open
    colleague = staff_person()

    def open_after_a_colleague(**kwargs):
        # Another staff member opens the same nomination after the form was checked.
        real_open(nominee=kwargs["nominee"], rationale="First", by=colleague)
        return real_open(**kwargs)

    monkeypatch.setattr(services, "nomination_open", open_after_a_colleague)
    response = admin_client.post(
        "/admin/contributors/nomination/add/",
        {"nominee": nominee.pk, "rationale": "Second", "deadline": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "already has an open nomination" in response.content.decode()
    # The admin view's transaction is rolled back as a whole, the colleague's row included
    # here (in real life it was committed by the colleague's request).
    assert not Nomination.objects.filter(rationale="Second").exists()


def test_a_level_set_by_someone_else_meanwhile_is_an_admin_message(
    admin_client, staff, monkeypatch
):
    person = UserFactory()
    real_set = services.level_set_by_staff

    def set_after_a_colleague(**kwargs):
        real_set(**kwargs)  # the same change, a moment earlier
        return real_set(**kwargs)

    monkeypatch.setattr(services, "level_set_by_staff", set_after_a_colleague)
    response = admin_client.post(
        "/admin/contributors/levelchange/add/",
        {"user": person.pk, "to_level": "ost", "basis": "vendor", "reason": "Contract"},
        follow=True,
    )
    assert response.status_code == 200
    assert "This person is already at that level." in response.content.decode()


@pytest.mark.parametrize(
    ("url", "make"),
    [
        (
            "/admin/contributors/levelchange/",
            lambda staff: LevelChange.objects.create(
                user=UserFactory(),
                from_level="user",
                to_level="contributor",
                basis="staff_decision",
                reason="r",
                changed_by=staff_person(),
            ),
        ),
        (
            "/admin/contributors/contribution/",
            lambda staff: ContributionFactory(verified=True),
        ),
        ("/admin/contributors/membership/", lambda staff: MembershipFactory()),
    ],
)
def test_admin_lists_cost_the_same_queries_for_more_rows(admin_client, staff, url, make):
    make(staff)
    admin_client.get(url)  # the first request of a session looks up more (content types)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(url).status_code == 200
    for _ in range(4):
        make(staff)
    admin_client.get(url)  # new people bump the people generation: the staff member cached again
    with CaptureQueriesContext(connection) as five:
        assert admin_client.get(url).status_code == 200
    assert len(five) == len(one)


def test_only_holders_of_the_delete_permission_delete_an_unsigned_agreement(client, agreement):
    from contributors.models import Agreement

    url = f"/admin/contributors/agreement/{agreement.pk}/delete/"
    # Consortia staff may enter the admin and see much, but not remove the OST agreement.
    client.force_login(staff_person("Consortia staff"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Agreement.objects.filter(pk=agreement.pk).exists()
    client.force_login(staff_person("Community staff"))
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Agreement.objects.filter(pk=agreement.pk).exists()
