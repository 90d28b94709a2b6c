"""Lead contacts are invited, not added: an invitation goes to an address, the person
accepts it signed in (signing up first if need be), and only then is a lead contact. The
inviter learns nothing about whether the address has an account."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consortia import services
from consortia.models import ConsortiumContact, ContactInvitation
from core.errors import RuleViolation
from mail.models import Delivery
from tests.factories.accounts import UserFactory
from tests.factories.consortia import ConsortiumContactFactory, ConsortiumFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000(/consortia/invitations/[A-Za-z0-9_-]{40,}/)")


@pytest.fixture
def consortium():
    return ConsortiumFactory(slug="irel", name="IReL ORCID", status="forming")


@pytest.fixture
def lead(consortium, client):
    user = ConsortiumContactFactory(consortium=consortium, role="main", user__name="Fiona").user
    client.force_login(user)
    return user


def invite(client, email, role="staff"):
    return client.post("/consortia/irel/manage/invitations/", {"email": email, "role": role})


def link_in(body: str) -> str:
    return LINK.search(body).group(1)


def sent_link(capture, client, email, role="staff") -> str:
    with capture(execute=True):
        assert invite(client, email, role).status_code == 302
    message = next(m for m in mail.outbox if m.to == [email.lower()])
    return link_in(message.body)


# --- Today: a lead adds any account by its address, learns it exists, publishes it ---------


def test_the_answer_to_the_inviter_is_the_same_whether_or_not_the_address_has_an_account(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    UserFactory(email="has.account@example.org")
    answers = []
    for email in ("has.account@example.org", "no.account@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = invite(client, email)
        page = client.get(response["Location"])
        text = [str(m).replace(email, "ADDRESS") for m in page.context["messages"]]
        answers.append((response.status_code, response["Location"], text))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/consortia/irel/manage/contacts/")
    assert answers[0][2] == ["An invitation is on its way to ADDRESS. It is valid for 14 days."]
    # Nobody became a lead contact; both addresses got their invitation, to the address.
    assert list(consortium.contacts.values_list("user__email", flat=True)) == [lead.email]
    deliveries = Delivery.objects.filter(kind="consortia.contact_invitation").order_by("pk")
    assert [(d.recipient_id, d.to_email) for d in deliveries] == [
        (None, "has.account@example.org"),
        (None, "no.account@example.org"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "has.account@example.org",
        "no.account@example.org",
    ]
    assert (
        "Nobody has a portal account" not in client.get("/consortia/irel/manage/").content.decode()
    )


def test_an_invited_person_with_an_account_accepts_signed_in_and_only_then_is_a_contact(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    person = UserFactory(email="colleague@example.org", name="Colm Colleague")
    link = sent_link(django_capture_on_commit_callbacks, client, "Colleague@Example.org")
    assert not ConsortiumContact.objects.filter(user=person).exists()

    client.force_login(person)
    page = client.get(link)
    assert page.status_code == 200
    assert "IReL ORCID" in page.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == "/consortia/irel/manage/"
    contact = ConsortiumContact.objects.get(user=person, consortium=consortium)
    assert contact.role == "staff"
    assert contact.show_email is False
    invitation = ContactInvitation.objects.get()
    assert (invitation.state, invitation.accepted_by) == ("accepted", person)
    (to_inviter,) = mail.outbox
    assert to_inviter.to == [lead.email]
    assert "Colm Colleague" in to_inviter.body
    # Used once: the link no longer works.
    assert client.post(link).status_code == 410


def test_an_invitation_survives_signing_up_first(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    link = sent_link(django_capture_on_commit_callbacks, client, "newcomer@example.org")
    client.logout()
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    signup = f"/accounts/signup/?next={link}"
    assert signup in html
    assert f"/accounts/login/?next={link}" in html
    response = client.post(
        signup,
        {
            "name": "Niamh Newcomer",
            "email": "newcomer@example.org",
            "password1": "a-Long-passphrase-42",
            "password2": "a-Long-passphrase-42",
            "next": link,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == link
    # Whatever page the person lands on next, their dashboard keeps the invitation.
    assert link in client.get("/consortia/mine/").content.decode()
    assert client.post(link).status_code == 302
    assert consortium.contacts.filter(user__email="newcomer@example.org").exists()
    assert link not in client.get("/consortia/mine/").content.decode()


def test_signing_in_on_the_invitation_page_comes_back_to_it(
    client, consortium, lead, django_capture_on_commit_callbacks, password
):
    person = UserFactory(email="back@example.org")
    link = sent_link(django_capture_on_commit_callbacks, client, "back@example.org")
    client.logout()
    response = client.post(
        f"/accounts/login/?next={link}", {"login": person.email, "password": password}
    )
    assert response["Location"] == link


def test_an_anonymous_post_to_an_invitation_is_sent_to_sign_in(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    link = sent_link(django_capture_on_commit_callbacks, client, "someone@example.org")
    client.logout()
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert ContactInvitation.objects.get().state == "pending"


def test_invitations_are_listed_on_the_manage_page_and_can_be_withdrawn(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    link = sent_link(django_capture_on_commit_callbacks, client, "maybe@example.org")
    invitation = ContactInvitation.objects.get()
    html = client.get("/consortia/irel/manage/contacts/").content.decode()
    assert "maybe@example.org" in html
    assert f"/consortia/irel/manage/invitations/{invitation.pk}/withdraw/" in html
    response = client.post(f"/consortia/irel/manage/invitations/{invitation.pk}/withdraw/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "withdrawn"
    html = client.get("/consortia/irel/manage/contacts/").content.decode()
    assert "maybe@example.org</th>" not in html
    assert "No invitation is waiting." in html
    client.force_login(UserFactory(email="maybe@example.org"))
    assert client.get(link).status_code == 410
    assert client.post(link).status_code == 410
    assert not consortium.contacts.filter(user__email="maybe@example.org").exists()


def test_an_expired_invitation_cannot_be_accepted_and_a_new_one_can_be_sent(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    link = sent_link(django_capture_on_commit_callbacks, client, "late@example.org")
    ContactInvitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "late@example.org" in client.get("/consortia/irel/manage/contacts/").content.decode()
    client.force_login(UserFactory(email="late@example.org"))
    response = client.post(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert ContactInvitation.objects.get().state == "expired"
    client.force_login(lead)
    assert invite(client, "late@example.org").status_code == 302
    assert ContactInvitation.objects.filter(state="pending").count() == 1


def test_an_invitation_lasts_fourteen_days(client, consortium, lead):
    invite(client, "fortnight@example.org")
    invitation = ContactInvitation.objects.get()
    lasts = invitation.expires_at - invitation.created_at
    assert timedelta(days=14, seconds=-1) < lasts < timedelta(days=14, seconds=1)


def test_an_unknown_link_is_a_404(client):
    assert client.get("/consortia/invitations/" + "x" * 43 + "/").status_code == 404


def test_a_second_waiting_invitation_to_the_same_address_is_refused(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    sent_link(django_capture_on_commit_callbacks, client, "twice@example.org")
    response = invite(client, "TWICE@example.org")
    assert response.status_code == 409
    assert "already waiting" in response.content.decode()
    assert ContactInvitation.objects.count() == 1


def test_a_taken_role_is_refused_when_inviting_and_when_accepting(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    response = invite(client, "second.main@example.org", role="main")
    assert response.status_code == 409
    assert "already has a main contact" in response.content.decode()
    link = sent_link(django_capture_on_commit_callbacks, client, "support@example.org", "support")
    ConsortiumContactFactory(consortium=consortium, role="support")
    client.force_login(UserFactory(email="support@example.org"))
    response = client.post(link)
    assert response.status_code == 409
    assert "already has a support contact" in response.content.decode()
    assert ContactInvitation.objects.get().state == "pending"


def test_a_lead_contact_accepting_again_is_refused(client, consortium, lead):
    invitation_token = services.contact_invitation_send(
        consortium=consortium, by=lead, email="x@example.org", role="staff"
    )
    with pytest.raises(RuleViolation, match="already a lead contact"):
        services.contact_invitation_accept(token=invitation_token.token, by=lead)


def test_the_manage_page_no_longer_offers_to_add_a_contact_by_account(client, consortium, lead):
    html = client.get("/consortia/irel/manage/contacts/").content.decode()
    assert "Invite a lead contact" in html
    assert "The email address of their portal account" not in html


def test_the_manage_page_runs_the_same_queries_with_few_and_many_invitations(
    client, consortium, lead
):
    def add(count, start):
        ContactInvitation.objects.bulk_create(
            [
                ContactInvitation(
                    consortium=consortium,
                    email=f"person{start + n}@example.org",
                    token_digest=f"{start + n:064d}",
                    invited_by=lead,
                    expires_at=timezone.now() + timedelta(days=1),
                )
                for n in range(count)
            ]
        )

    add(2, 0)
    client.get("/consortia/irel/manage/contacts/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/consortia/irel/manage/contacts/").status_code == 200
    add(60, 100)
    with CaptureQueriesContext(connection) as large:
        html = client.get("/consortia/irel/manage/contacts/").content.decode()
    assert len(small) == len(large)
    assert html.count("/withdraw/") == 20  # the latest twenty


def test_the_invitation_mail_speaks_the_language_of_the_account_if_there_is_one(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    UserFactory(email="hablo@example.org", language="es")
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, "hablo@example.org")
        invite(client, "unknown@example.org")
    spanish = next(m for m in mail.outbox if m.to == ["hablo@example.org"])
    english = next(m for m in mail.outbox if m.to == ["unknown@example.org"])
    assert spanish.body.startswith("Hola")
    assert english.body.startswith("Hello,")
