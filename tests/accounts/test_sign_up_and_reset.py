"""Sign-up and password reset: good passwords, a name to show, and the same answer — queued
mail, nothing sent inside the request — whether or not an address has an account."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.models import User
from mail.models import Delivery
from tests.factories.accounts import UserFactory
from tests.helpers import free_port

pytestmark = pytest.mark.django_db

PASSPHRASE = "a-Long-passphrase-42"


class CountingHasher(MD5PasswordHasher):
    """The fast hasher, counting how often a password is hashed."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def smtp_down(settings):
    """Mail goes to an SMTP server that does not answer."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 1
    return settings


def _smtp_back(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- Passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["Short-pass1", "password1234", "1q2w3e4r5t6y", "123456789012345"]
)
def test_short_and_common_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_the_demo_and_test_passwords_are_good_ones():
    validate_password(django_settings.DEMO_PASSWORD)
    validate_password("correct-horse-battery-staple")
    validate_password(PASSPHRASE)


def test_sign_up_refuses_an_eleven_character_password(client):
    response = client.post(
        "/accounts/signup/",
        {"name": "Nadia New", "email": "new@example.org", "password1": "Abc-defg-12", "password2": "Abc-defg-12"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not User.objects.filter(email="new@example.org").exists()


# --- The name to show ------------------------------------------------------------------------


def test_sign_up_asks_for_the_name_to_show(client):
    page = client.get("/accounts/signup/").content.decode()
    assert 'name="name"' in page
    assert "Name to show" in page
    response = client.post(
        "/accounts/signup/",
        {"name": "  ", "email": "new@example.org", "password1": PASSPHRASE, "password2": PASSPHRASE},
    )  # fmt: skip
    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.org").exists()
    client.post(
        "/accounts/signup/",
        {"name": " Nadia   New ", "email": "new@example.org", "password1": PASSPHRASE, "password2": PASSPHRASE},
    )  # fmt: skip
    assert User.objects.get(email="new@example.org").name == "Nadia New"


def test_a_person_without_a_name_is_never_named_after_their_address(client):
    person = UserFactory(name="", email="jane.doe@example.org")
    assert person.display_name == "A portal member"
    client.force_login(person)
    html = client.get("/").content.decode()
    assert "A portal member" in html
    assert "jane.doe" not in html


def test_mail_greets_a_person_without_a_name_without_their_address(
    django_capture_on_commit_callbacks,
):
    from mail.services import deliver

    person = UserFactory(name="", email="jane.doe@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            recipients=[person],
            kind="test.notice",
            about="test:1",
            subject="Notice",
            template="mail/email/test_notice",
            context={"message": "Body."},
            list_id="test",
        )
    (message,) = mail.outbox
    assert message.body.startswith("Hello,")
    assert "jane.doe" not in message.body.split("\n")[0]


# --- The same answer, known address or not ----------------------------------------------------


def test_a_reset_for_an_unknown_address_answers_like_a_known_one_and_mails_after_the_request(
    client, smtp_down, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.org")
    with django_capture_on_commit_callbacks() as after_known:
        known = client.post("/accounts/password/reset/", {"email": "known@example.org"})
    with django_capture_on_commit_callbacks() as after_unknown:
        unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    # The same answer, and SMTP (down) was never asked inside the requests.
    assert (known.status_code, unknown.status_code) == (302, 302)
    assert known["Location"] == unknown["Location"]
    assert mail.outbox == []
    deliveries = {d.to_email: d for d in Delivery.objects.all()}
    assert set(deliveries) == {"known@example.org", "nobody@example.org"}
    assert deliveries["nobody@example.org"].recipient is None
    assert deliveries["nobody@example.org"].kind == "account.unknown_account"
    assert {d.state for d in deliveries.values()} == {"pending"}
    # The task sends them afterwards, once SMTP answers.
    _smtp_back(smtp_down)
    for callback in [*after_known, *after_unknown]:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == ["known@example.org", "nobody@example.org"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_reset_mail_to_an_address_is_sent_once(
    client, django_capture_on_commit_callbacks, settings
):
    from mail import services

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    delivery = Delivery.objects.get()
    assert services.delivery_send(delivery_id=delivery.pk) == "sent"  # already: left alone
    services.deliveries_send_batch(delivery_ids=[delivery.pk])
    assert len(mail.outbox) == 1


def test_a_pending_address_delivery_goes_with_the_sweep(django_capture_on_commit_callbacks):
    from django.db import IntegrityError

    from mail import services

    message = mail.EmailMessage("Subject", "Body", to=["nobody@example.org"])
    delivery = services.deliver_message(
        message=message, kind="account.unknown_account", about="account:1"
    )
    outcome = services.deliveries_send_batch(delivery_ids=[delivery.pk])
    assert outcome["sent"] == [delivery.pk]
    # One per address and thing; only account mail goes without a recipient.
    with pytest.raises(IntegrityError):
        services.deliver_message(message=message, kind="account.unknown_account", about="account:1")


def test_sign_up_with_a_known_address_answers_like_a_new_one_and_hashes_alike(
    client, smtp_down, django_capture_on_commit_callbacks
):
    smtp_down.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    smtp_down.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    UserFactory(email="known@example.org")
    answers = []
    for email in ("new@example.org", "known@example.org"):
        CountingHasher.calls = 0
        with django_capture_on_commit_callbacks():
            response = client.post(
                "/accounts/signup/",
                {"name": "Sam Same", "email": email, "password1": PASSPHRASE, "password2": PASSPHRASE},
            )  # fmt: skip
        answers.append((response.status_code, response["Location"], CountingHasher.calls))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/accounts/confirm-email/")
    assert answers[0][2] == 1  # the password was hashed once either way
    assert mail.outbox == []  # nothing sent inside the requests
    taken = Delivery.objects.get(to_email="known@example.org")
    assert (taken.kind, taken.recipient) == ("account.account_already_exists", None)
    assert User.objects.filter(email="known@example.org").count() == 1
