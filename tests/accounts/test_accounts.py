import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, hotp_value
from django.core import mail
from django.db import IntegrityError

from accounts.models import User
from mail.models import Delivery
from tests.factories import UserFactory
from tests.factories.accounts import with_two_factor

pytestmark = pytest.mark.django_db


def test_sign_up_by_email_sends_a_confirmation_link_that_verifies(
    client, django_capture_on_commit_callbacks
):
    form = {
        "name": "Nadia New",
        "email": "new@example.org",
        "password1": "a-Long-passphrase-42",
        "password2": "a-Long-passphrase-42",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", form)
    assert response.status_code == 302
    person = User.objects.get(email="new@example.org")
    assert person.name == "Nadia New"  # the name to show, asked at sign-up
    # The confirmation went out as a recorded delivery, after commit.
    delivery = Delivery.objects.get(recipient=person)
    assert (delivery.kind, delivery.state) == ("account.email_confirmation_signup", "sent")
    assert len(mail.outbox) == 1
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers  # account mail is no list
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("/", 3)[3]
    assert client.post(path).status_code == 302
    assert person.emailaddress_set.get().verified


def test_sign_in_by_email_and_password(client, password):
    person = UserFactory()
    response = client.post("/accounts/login/", {"login": person.email, "password": password})
    assert response.status_code == 302
    assert client.get("/").context["user"] == person


def test_profile_requires_sign_in(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_profile_form_has_no_orcid_id_field(client):
    person = UserFactory()
    client.force_login(person)
    response = client.get("/accounts/profile/")
    assert "orcid_id" not in response.context["form"].fields
    assert 'name="orcid_id"' not in response.content.decode()


def test_an_orcid_id_posted_to_the_profile_is_ignored(client):
    person = UserFactory()
    client.force_login(person)
    response = client.post(
        "/accounts/profile/", {"name": "P", "orcid_id": "0000-0002-1825-0097", "affiliation": ""}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == "P"
    assert (person.orcid_id, person.unverified_orcid_id) == (None, "")


def test_the_profile_leads_a_person_without_an_id_to_connect_orcid(client):
    person = UserFactory()
    client.force_login(person)
    html = client.get("/accounts/profile/").content.decode()
    assert 'href="/accounts/3rdparty/"' in html
    assert "Connect your ORCID iD" in html
    assert f'href="/contributors/p/{person.public_id}/"' in html


def test_the_profile_shows_the_verified_id_and_not_a_typed_one(client):
    verified = UserFactory(orcid="0000-0002-1825-0097")
    typed = UserFactory(unverified_orcid_id="0000-0002-9079-593X")
    client.force_login(verified)
    html = client.get("/accounts/profile/").content.decode()
    assert "https://orcid.org/0000-0002-1825-0097" in html
    assert 'href="/contributors/0000-0002-1825-0097/"' in html
    client.force_login(typed)
    html = client.get("/accounts/profile/").content.decode()
    assert "0000-0002-9079-593X" not in html
    assert "Connect your ORCID iD" in html


def test_the_admin_shows_the_orcid_id_but_does_not_let_staff_type_one(client):
    staff = with_two_factor(UserFactory(is_staff=True, is_superuser=True))
    person = UserFactory(orcid="0000-0002-1825-0097")
    client.force_login(staff)
    page = client.get(f"/admin/accounts/user/{person.pk}/change/")
    assert "0000-0002-1825-0097" in page.content.decode()
    assert "orcid_id" not in page.context["adminform"].form.fields
    stranger = UserFactory()
    response = client.post(
        f"/admin/accounts/user/{stranger.pk}/change/",
        {
            "email": stranger.email,
            "name": "Saved by staff",
            "orcid_id": "0000-0002-9079-593X",
            "is_active": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    stranger.refresh_from_db()
    assert (stranger.name, stranger.orcid_id) == ("Saved by staff", None)


def test_database_refuses_a_malformed_orcid_id():
    with pytest.raises(IntegrityError):
        User.objects.create(email="x@example.org", orcid_id="0000-0002-1825-009")


def test_staff_can_enable_totp_two_factor(client, password):
    staff = UserFactory(is_staff=True)
    client.post("/accounts/login/", {"login": staff.email, "password": password})
    response = client.get("/accounts/2fa/totp/activate/")
    # Setting up a second factor asks for the password again first.
    assert response["Location"].startswith("/accounts/reauthenticate/")
    client.post(response["Location"], {"password": password})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    code = f"{hotp_value(secret, int(time.time()) // 30):06d}"
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    # From now on signing in asks for the second factor.
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"login": staff.email, "password": password})
    assert response["Location"] == "/accounts/2fa/authenticate/"
