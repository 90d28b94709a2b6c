"""Signing in: the admin signs in through the portal's sign-in (allauth's rate limits,
lockout and two-factor step), and staff have two-factor authentication before they reach
the admin or any staff page."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY

from tests.factories.accounts import (
    TOTP_SECRET,
    UserFactory,
    grant,
    staff_person,
    totp_code,
    with_two_factor,
)
from tests.factories.consortia import ConsortiumFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    # allauth counts failed sign-ins in the cache; each test starts with none.
    from django.core.cache import cache

    cache.clear()


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


# --- /admin/login/ ------------------------------------------------------------------------


def test_the_admin_login_sends_to_the_portal_sign_in(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_the_admin_login_keeps_an_admin_address_to_come_back_to(client):
    response = client.get("/admin/login/?next=/admin/consortia/consortium/")
    assert response["Location"] == "/accounts/login/?next=/admin/consortia/consortium/"
    elsewhere = client.get("/admin/login/?next=https://evil.example/")
    assert elsewhere["Location"] == "/accounts/login/?next=/admin/"


def test_the_admin_sends_a_visitor_to_the_portal_sign_in(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/admin/"
    assert response.status_code == 200


def test_a_password_posted_to_the_admin_login_signs_nobody_in(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    response = client.post(
        "/admin/login/", {"username": superuser.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _signed_in(client)


def test_an_account_locked_out_at_the_sign_in_stays_locked_out_at_the_admin(client):
    staff = staff_person()
    for _ in range(15):
        client.post("/accounts/login/", {"login": staff.email, "password": "wrong-password-1"})
    client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert not _signed_in(client)
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    assert not _signed_in(client)  # allauth's lockout holds


def test_a_signed_in_person_without_the_admin_is_refused_not_sent_round(client):
    client.force_login(UserFactory())
    assert client.get("/admin/login/").status_code == 403
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_staff_with_two_factor_reach_the_admin(client):
    client.force_login(staff_person())
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/")["Location"] == "/admin/"


def test_staff_sign_in_with_password_and_code_and_land_in_the_admin(client):
    staff = staff_person()
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": staff.email, "password": PASSWORD}
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not _signed_in(client)
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert not _signed_in(client)
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- Two-factor authentication before any staff page --------------------------------------


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/consortia/consortium/", "/consortia/irel/manage/", "/forums/"]
)
def test_staff_without_two_factor_are_led_to_set_it_up(client, url):
    ConsortiumFactory(slug="irel")
    client.force_login(staff_person(two_factor=False))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


def test_a_staff_power_without_staff_status_needs_two_factor_too(client):
    person = grant(UserFactory(), "forums.read_private_forums")
    client.force_login(person)
    assert client.get("/forums/")["Location"] == ACTIVATE
    with_two_factor(person)
    assert client.get("/forums/").status_code == 200


def test_a_superuser_needs_two_factor(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/")["Location"] == ACTIVATE


def test_staff_without_two_factor_still_reach_the_account_pages(client):
    client.force_login(staff_person(two_factor=False))
    for url in ("/accounts/2fa/", "/accounts/email/", "/accounts/profile/"):
        assert client.get(url).status_code == 200, url
    response = client.get(ACTIVATE)
    assert response.get("Location", "") != ACTIVATE  # set up (or confirm the password first)


def test_people_without_staff_powers_are_not_asked_for_two_factor(client):
    client.force_login(UserFactory())
    assert client.get("/forums/").status_code == 200
    assert client.get("/accounts/profile/").status_code == 200


def _sign_in_with_two_factor(client, person) -> None:
    client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert _signed_in(client)
    # Changing two-factor authentication asks for the password once more.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})


def test_staff_cannot_turn_two_factor_off(client):
    staff = staff_person()
    _sign_in_with_two_factor(client, staff)
    client.post("/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()


def test_a_person_without_staff_powers_turns_two_factor_off(client):
    person = with_two_factor(UserFactory())
    _sign_in_with_two_factor(client, person)
    client.post("/accounts/2fa/totp/deactivate/")
    assert not Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()


def test_a_person_without_staff_powers_may_turn_two_factor_off(client):
    from allauth.mfa.adapter import get_adapter

    person = with_two_factor(UserFactory())
    authenticator = Authenticator.objects.get(user=person)
    assert get_adapter().can_delete_authenticator(authenticator)
    staff = staff_person()
    assert not get_adapter().can_delete_authenticator(Authenticator.objects.get(user=staff))
