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


@pytest.mark.parametrize(
    "entered", ["https://orcid.org/0000-0002-9079-593x", "0000-0002-9079-593X", "000000029079593X"]
)
def test_profile_accepts_url_and_bare_orcid_and_stores_bare(client, entered):
    person = UserFactory(orcid_id=None)
    client.force_login(person)
    response = client.post(
        "/accounts/profile/", {"name": "P", "orcid_id": entered, "affiliation": ""}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.orcid_id == "0000-0002-9079-593X"


def test_profile_rejects_a_bad_checksum_with_a_clear_message(client):
    person = UserFactory(orcid_id=None)
    client.force_login(person)
    response = client.post(
        "/accounts/profile/", {"name": "P", "orcid_id": "0000-0002-1825-0098", "affiliation": ""}
    )
    assert response.status_code == 400
    assert "check character does not match" in response.content.decode()
    person.refresh_from_db()
    assert person.orcid_id is None


def test_profile_rejects_an_orcid_id_of_another_account(client):
    UserFactory(orcid_id="0000-0002-1825-0097")
    person = UserFactory(orcid_id=None)
    client.force_login(person)
    response = client.post(
        "/accounts/profile/", {"name": "P", "orcid_id": "0000-0002-1825-0097", "affiliation": ""}
    )
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.orcid_id is None


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
