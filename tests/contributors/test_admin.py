from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from contributors import selectors
from contributors.models import Contribution, Level, LevelChange, Nomination, Profile
from tests.factories.accounts import UserFactory
from tests.factories.contributors import ContributionFactory

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
    assert len(mail.outbox) == 7


def test_the_admin_refuses_a_nominee_who_is_not_a_technical_contributor(admin_client, steering):
    person = UserFactory()
    response = admin_client.post(
        "/admin/contributors/nomination/add/",
        {"nominee": person.pk, "rationale": "r", "deadline": ""},
    )
    assert response.status_code == 200
    assert "Only technical contributors can be nominated" in response.content.decode()
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
