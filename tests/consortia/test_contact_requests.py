"""Asking to act for an organization that is already registered: the request goes to its
contacts (once it is verified) and to staff who verify; one of them accepts or declines,
with mail after commit, and the requester sees the state."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consortia import services
from consortia.models import ContactRequest, Organization, OrganizationContact
from core.errors import NotAllowed, RuleViolation
from tests.factories.accounts import UserFactory, with_two_factor
from tests.factories.consortia import (
    OrganizationContactFactory,
    OrganizationFactory,
    ror_for,
    verifier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ucc():
    return OrganizationFactory(name="University College Cork", ror_id="03265fv13")


@pytest.fixture
def contact(ucc):
    return OrganizationContactFactory(organization=ucc, user__name="Ciara Contact").user


@pytest.fixture
def asker(client):
    person = UserFactory(name="Seán Asker")
    client.force_login(person)
    return person


def ask(client, organization, **data):
    return client.post(
        f"/consortia/organizations/{organization.pk}/ask/",
        {"role": "technical", "message": "I lead the ORCID integration.", **data},
    )


def test_a_registered_organization_is_found_by_name_or_ror_id_and_asked_for(
    client, ucc, contact, asker, django_capture_on_commit_callbacks
):
    OrganizationFactory(name="Cork Waiting Institute", verification="unverified")
    html = client.get("/consortia/organizations/?q=cork").content.decode()
    assert "University College Cork" in html
    assert "Cork Waiting Institute" not in html  # registrations waiting for staff are not listed
    html = client.get("/consortia/organizations/?q=https://ror.org/03265fv13").content.decode()
    assert f"/consortia/organizations/{ucc.pk}/ask/" in html

    queue = verifier()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = ask(client, ucc)
    assert response.status_code == 302
    assert response["Location"] == "/consortia/mine/"
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    request = ContactRequest.objects.get()
    assert (request.user, request.role, request.state) == (asker, "technical", "pending")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([contact.email, queue.email])
    assert "Seán Asker" in mail.outbox[0].body
    assert "I lead the ORCID integration." in mail.outbox[0].body
    dashboard = client.get("/consortia/mine/").content.decode()
    assert "University College Cork" in dashboard
    assert "Waiting for an answer" in dashboard


def test_a_contact_accepts_on_their_dashboard_and_the_requester_is_told(
    client, ucc, contact, asker, django_capture_on_commit_callbacks
):
    ask(client, ucc)
    request = ContactRequest.objects.get()
    client.force_login(contact)
    dashboard = client.get("/consortia/mine/").content.decode()
    assert "Seán Asker asks to act for University College Cork" in dashboard
    assert f"/consortia/mine/contact-requests/{request.pk}/accept/" in dashboard
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/consortia/mine/contact-requests/{request.pk}/accept/", {"note": "Welcome, Seán."}
        )
    assert response.status_code == 302
    assert OrganizationContact.objects.filter(organization=ucc, user=asker, role="technical")
    request.refresh_from_db()
    assert (request.state, request.decided_by) == ("accepted", contact)
    (message,) = mail.outbox
    assert message.to == [asker.email]
    assert "Welcome, Seán." in message.body
    # The requester may now act for it: it is offered on the join and propose forms.
    client.force_login(asker)
    assert f'value="{ucc.pk}"' in client.get("/consortia/propose/").content.decode()


def test_a_contact_declines_with_a_note(
    client, ucc, contact, asker, django_capture_on_commit_callbacks
):
    ask(client, ucc)
    request = ContactRequest.objects.get()
    client.force_login(contact)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/consortia/mine/contact-requests/{request.pk}/decline/",
            {"note": "We do not know you."},
        )
    request.refresh_from_db()
    assert request.state == "declined"
    assert not OrganizationContact.objects.filter(user=asker).exists()
    (message,) = mail.outbox
    assert message.to == [asker.email]
    assert "We do not know you." in message.body
    client.force_login(asker)
    html = client.get("/consortia/mine/").content.decode()
    assert "Declined" in html
    assert "We do not know you." in html


@pytest.mark.parametrize("who", ["anonymous", "outsider", "staff_without_permission", "asker"])
@pytest.mark.parametrize("decision", ["accept", "decline"])
def test_nobody_else_answers_a_request(client, ucc, contact, asker, who, decision):
    ask(client, ucc)
    request = ContactRequest.objects.get()
    client.logout()
    people = {
        "anonymous": None,
        "outsider": UserFactory(),
        "staff_without_permission": with_two_factor(UserFactory(is_staff=True)),
        "asker": asker,
    }
    if people[who] is not None:
        client.force_login(people[who])
    response = client.post(f"/consortia/mine/contact-requests/{request.pk}/{decision}/")
    assert response.status_code == (302 if who == "anonymous" else 404)
    if who == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    assert ContactRequest.objects.get().state == "pending"


def test_the_contacts_of_an_unverified_organization_do_not_answer_staff_do(
    client, asker, django_capture_on_commit_callbacks
):
    waiting = OrganizationFactory(verification="unverified", ror_id="01tgyzw49")
    registrant = OrganizationContactFactory(organization=waiting).user
    queue = verifier()
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, waiting)
    assert response.status_code == 404  # not reachable without naming its ROR ID
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/consortia/organizations/{waiting.pk}/ask/?ror=01tgyzw49", {"role": "main"}
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[queue.email]]
    request = ContactRequest.objects.get()
    client.force_login(registrant)
    assert f"contact-requests/{request.pk}/" not in client.get("/consortia/mine/").content.decode()
    assert client.post(f"/consortia/mine/contact-requests/{request.pk}/accept/").status_code == 404
    with pytest.raises(NotAllowed):
        services.contact_request_accept(request=request, by=registrant)

    client.force_login(queue)
    response = client.post(
        "/admin/consortia/contactrequest/",
        {"action": "accept", "_selected_action": [request.pk]},
        follow=True,
    )
    assert "1 request accepted." in response.content.decode()
    assert OrganizationContact.objects.filter(organization=waiting, user=asker).exists()


def test_staff_without_the_permission_get_no_accept_action(client, ucc, contact, asker):
    ask(client, ucc)
    request = ContactRequest.objects.get()
    staff = with_two_factor(UserFactory(is_staff=True))
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_contactrequest"))
    client.force_login(staff)
    html = client.get("/admin/consortia/contactrequest/").content.decode()
    assert "Seán Asker" in html
    assert 'value="accept"' not in html
    client.post(
        "/admin/consortia/contactrequest/",
        {"action": "accept", "_selected_action": [request.pk]},
    )
    assert ContactRequest.objects.get().state == "pending"


def test_asking_twice_or_for_ones_own_organization_is_refused(client, ucc, contact, asker):
    assert ask(client, ucc).status_code == 302
    response = ask(client, ucc)
    assert response.status_code == 409
    assert "your request is waiting" in response.content.decode()
    client.force_login(contact)
    response = ask(client, ucc)
    assert response.status_code == 409
    assert "already a contact" in response.content.decode()
    assert ContactRequest.objects.count() == 1


def test_a_request_is_answered_once(ucc, contact, asker):
    request = services.contact_request_create(organization=ucc, by=asker, role="main")
    services.contact_request_decline(request=request, by=contact)
    with pytest.raises(RuleViolation, match="already been answered"):
        services.contact_request_accept(request=request, by=contact)


def test_bad_input_is_a_400_and_saves_nothing(client, ucc, asker):
    response = ask(client, ucc, role="overlord", message="x" * 4001)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert "at most 4000 characters" in html
    assert not ContactRequest.objects.exists()


def test_a_rejected_organization_cannot_be_asked_for(client, asker):
    rejected = OrganizationFactory(verification="rejected")
    assert client.get(f"/consortia/organizations/{rejected.pk}/ask/").status_code == 404
    with pytest.raises(RuleViolation, match="rejected"):
        services.contact_request_create(organization=rejected, by=asker)


def test_the_search_needs_sign_in_and_lists_nothing_until_asked(client):
    response = client.get("/consortia/organizations/?q=cork")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    OrganizationFactory(name="Listed Later University")
    assert "Listed Later University" not in client.get("/consortia/organizations/").content.decode()


@pytest.mark.parametrize("url", ["/consortia/organizations/?q=university", "/consortia/mine/"])
def test_the_search_and_the_dashboard_run_the_same_queries_with_few_and_many_rows(client, url):
    person = UserFactory()
    client.force_login(person)

    def add(count, start):
        organizations = Organization.objects.bulk_create(
            [
                Organization(
                    name=f"University {start + n}",
                    ror_id=ror_for(700_000 + start + n),
                    country="IE",
                    org_type="higher_education",
                    verification="verified",
                )
                for n in range(count)
            ]
        )
        OrganizationContact.objects.bulk_create(
            [OrganizationContact(organization=o, user=person, role="main") for o in organizations]
        )
        ContactRequest.objects.bulk_create(
            [
                ContactRequest(organization=o, user=UserFactory(), role="other")
                for o in organizations
            ]
        )

    add(3, 0)
    client.get(url)  # the signed-in person is cached from now on (accounts.backends)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(60, 100)
    client.get(url)  # the new people bumped the people generation: cached again
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large)
