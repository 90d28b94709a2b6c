"""The manage area in sections: each has its address, keeps its query count as data grows,
lands the lead back where they acted, and asks before destroying anything."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consortia.models import (
    ChecklistEntry,
    ChecklistItem,
    ConsortiumContact,
    ContactInvitation,
    Document,
    Membership,
)
from tests.factories.accounts import UserFactory, staff_person
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
    ProgressReportFactory,
)

pytestmark = pytest.mark.django_db

SECTIONS = ["", "requests/", "members/", "contacts/", "checklist/", "documents/", "reports/"]


@pytest.fixture
def consortium():
    return ConsortiumFactory(slug="irel", name="IReL ORCID")


@pytest.fixture
def lead(consortium, client):
    user = ConsortiumContactFactory(consortium=consortium, role="main", user__name="Lea").user
    client.force_login(user)
    return user


def _document(consortium, title: str, **fields) -> Document:
    return Document.objects.create(
        consortium=consortium,
        title=title,
        file=f"{title}.pdf",
        original_name=f"{title}.pdf",
        content_type="application/pdf",
        size=1,
        **fields,
    )


def grow(consortium, lead, n: int, start: int) -> None:
    """``n`` more of everything the manage area lists."""
    for i in range(start, start + n):
        member = MembershipFactory(consortium=consortium)
        OrganizationContactFactory(organization=member.organization)
        MembershipFactory(
            consortium=consortium, state=Membership.State.REQUESTED, requested_by=UserFactory()
        )
        ConsortiumContactFactory(consortium=consortium, role=ConsortiumContact.Role.STAFF)
        ContactInvitation.objects.create(
            consortium=consortium,
            email=f"person{i}@example.org",
            token_digest=f"{i:064d}",
            invited_by=lead,
            expires_at=timezone.now() + timedelta(days=1),
        )
        document = _document(consortium, f"Doc {i}", uploaded_by=lead)
        ProgressReportFactory(consortium=consortium, published_by=lead)
    items = ChecklistItem.objects.filter(is_active=True).order_by("pk")
    for item in items[start : start + n]:
        ChecklistEntry.objects.create(
            consortium=consortium, item=item, done=True, done_by=lead, document=document
        )


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_runs_the_same_queries_with_little_and_more_data(
    client, consortium, lead, section
):
    url = f"/consortia/irel/manage/{section}"
    grow(consortium, lead, 1, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(consortium, lead, 5, 1)
    client.get(url)  # the caches the writes emptied (the signed-in person's) warm again
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]


def test_the_overview_says_what_needs_doing_with_links_to_the_sections(client, consortium, lead):
    grow(consortium, lead, 2, 0)
    html = client.get("/consortia/irel/manage/").content.decode()
    assert "2 requests to join wait for an answer" in html
    assert "Onboarding checklist: 2 of 12 done" in html
    assert "2 invitations waiting" in html
    # The anchors older mails link to are there, each pointing at its section.
    for anchor, section in [("requests-title", "requests"), ("contacts-title", "contacts")]:
        assert f'id="{anchor}" data-section-url="/consortia/irel/manage/{section}/"' in html
    # The section navigation marks where the lead is.
    members = client.get("/consortia/irel/manage/members/").content.decode()
    assert 'href="/consortia/irel/manage/members/" aria-current="page"' in members


def test_after_accepting_the_lead_lands_on_the_requests_with_the_message(client, consortium, lead):
    request = MembershipFactory(consortium=consortium, state=Membership.State.REQUESTED)
    response = client.post(f"/consortia/irel/manage/requests/{request.pk}/accept/", follow=True)
    assert response.redirect_chain == [("/consortia/irel/manage/requests/", 302)]
    html = response.content.decode()
    assert f"{request.organization.name} is now a member." in html
    assert html.index('class="messages"') < html.index("<h1>")


def test_removing_a_member_asks_first_naming_what_will_happen(client, consortium, lead):
    member = MembershipFactory(consortium=consortium, organization__name="UCC")
    url = f"/consortia/irel/manage/members/{member.pk}/remove/"
    members_page = client.get("/consortia/irel/manage/members/").content.decode()
    assert f'href="{url}"' in members_page  # a link to the confirmation, not a one-click form
    response = client.get(url)
    html = response.content.decode()
    assert "UCC will no longer be a member of IReL ORCID" in html
    assert ">Remove UCC</button>" in html
    assert 'href="/consortia/irel/manage/members/">Cancel</a>' in html
    member.refresh_from_db()
    assert member.state == Membership.State.ACTIVE
    response = client.post(url)
    assert response["Location"] == "/consortia/irel/manage/members/"
    member.refresh_from_db()
    assert member.state == Membership.State.LEFT


def test_deleting_a_document_and_removing_a_contact_ask_first(client, consortium, lead):
    document = _document(consortium, "Budget")
    html = client.get(f"/consortia/irel/manage/documents/{document.pk}/delete/").content.decode()
    assert "“Budget” (Budget.pdf) will be deleted for everyone" in html
    assert Document.objects.filter(pk=document.pk).exists()
    colleague = ConsortiumContactFactory(consortium=consortium, user__name="Cian")
    html = client.get(f"/consortia/irel/manage/contacts/{colleague.pk}/remove/").content.decode()
    assert "Cian will no longer be a lead contact of IReL ORCID" in html
    assert ConsortiumContact.objects.filter(pk=colleague.pk).exists()


def test_a_confirmation_for_another_consortiums_object_is_not_found(client, consortium, lead):
    other = ConsortiumFactory()
    member = MembershipFactory(consortium=other)
    document = _document(other, "Theirs")
    contact = ConsortiumContactFactory(consortium=other)
    for url in (
        f"/consortia/irel/manage/members/{member.pk}/remove/",
        f"/consortia/irel/manage/documents/{document.pk}/delete/",
        f"/consortia/irel/manage/contacts/{contact.pk}/remove/",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    # And another consortium's lead may not see this one's sections.
    client.force_login(ConsortiumContactFactory(consortium=other).user)
    for section in SECTIONS:
        assert client.get(f"/consortia/irel/manage/{section}").status_code == 403


def test_staff_confirm_marking_a_consortium_inactive(client, consortium):
    client.force_login(staff_person())
    html = client.get("/consortia/irel/manage/inactive/").content.decode()
    assert "IReL ORCID will be marked inactive" in html
    consortium.refresh_from_db()
    assert consortium.status != "inactive"
    response = client.post("/consortia/irel/manage/inactive/")
    assert response["Location"] == "/consortia/irel/manage/"
    consortium.refresh_from_db()
    assert consortium.status == "inactive"
    overview = client.get("/consortia/irel/manage/").content.decode()
    assert 'href="/consortia/irel/manage/inactive/"' not in overview


def test_a_refused_upload_comes_back_with_its_field_focused(client, consortium, lead):
    response = client.post(
        "/consortia/irel/manage/documents/", {"document-title": "", "document-visibility": "x"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("autofocus") == 1
    assert 'name="document-title" maxlength="200" autofocus' in html


def test_the_lead_does_not_see_request_to_join_on_their_consortium(client, consortium, lead):
    html = client.get("/consortia/irel/").content.decode()
    assert "Request to join" not in html
    assert 'href="/consortia/irel/manage/"' in html
    client.force_login(UserFactory())
    assert "Request to join" in client.get("/consortia/irel/").content.decode()


def test_a_pending_requester_sees_the_state_of_their_request_instead_of_the_button(
    client, consortium
):
    requester = UserFactory()
    request = MembershipFactory(consortium=consortium, state=Membership.State.REQUESTED)
    OrganizationContactFactory(organization=request.organization, user=requester)
    client.force_login(requester)
    html = client.get("/consortia/irel/").content.decode()
    assert "Request to join" not in html
    assert "Your request to join is waiting for an answer from the lead contacts:" in html
    assert request.organization.name in html
