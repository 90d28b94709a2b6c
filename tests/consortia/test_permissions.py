"""Every manage URL with each role: anonymous, a member, the lead of another consortium,
the lead, staff (in the staff groups), staff status without a permission, and a holder of
consortia.manage_any_consortium without staff status. And every document with each role."""

import pytest
from django.core.files.base import ContentFile

from consortia import services
from consortia.models import ChecklistItem, ContactInvitation, Document
from tests.factories.accounts import UserFactory, grant, staff_person, with_two_factor
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "other_lead", "lead", "staff", "bare_staff", "manager"]


@pytest.fixture
def world(db):
    consortium = ConsortiumFactory(slug="irel", name="IReL ORCID")
    lead = ConsortiumContactFactory(consortium=consortium, role="main").user
    second_lead = ConsortiumContactFactory(consortium=consortium, role="support")
    member_contact = OrganizationContactFactory()
    membership = MembershipFactory(consortium=consortium, organization=member_contact.organization)
    request = MembershipFactory(consortium=consortium, state="requested")
    other = ConsortiumFactory(slug="other")
    other_lead = ConsortiumContactFactory(consortium=other, role="main").user
    documents = {}
    for visibility in ("members", "public"):
        document = Document(
            consortium=consortium,
            title=f"{visibility} doc",
            original_name=f"{visibility}.txt",
            content_type="text/plain; charset=utf-8",
            size=5,
            visibility=visibility,
        )
        document.file.save(f"consortia/test/{visibility}.txt", ContentFile(b"hello"), save=True)
        documents[visibility] = document
    return {
        "consortium": consortium,
        "users": {
            "anonymous": None,
            "member": member_contact.user,
            "other_lead": other_lead,
            "lead": lead,
            "staff": staff_person(),
            # is_staff opens the admin's door only: no power on the pages.
            "bare_staff": with_two_factor(UserFactory(is_staff=True)),
            # The power without the admin: manages every consortium, finalizes none.
            "manager": with_two_factor(grant(UserFactory(), "consortia.manage_any_consortium")),
        },
        "membership": membership,
        "request": request,
        "second_lead": second_lead,
        "documents": documents,
        "item": ChecklistItem.objects.first(),
        "invitation": services.contact_invitation_send(
            consortium=consortium, by=lead, email="waiting@example.org", role="staff"
        ),
    }


def manage_requests(world):
    """(method, url, data) of every manage action, with data that succeeds for a lead."""
    document = world["documents"]["members"]
    return {
        "page": ("get", "/consortia/irel/manage/", None),
        "csv": ("get", "/consortia/irel/manage/members.csv", None),
        "accept": ("post", f"/consortia/irel/manage/requests/{world['request'].pk}/accept/", {}),
        "decline": ("post", f"/consortia/irel/manage/requests/{world['request'].pk}/decline/", {}),
        "remove_member": (
            "post",
            f"/consortia/irel/manage/members/{world['membership'].pk}/remove/",
            {},
        ),
        "invite_contact": (
            "post",
            "/consortia/irel/manage/invitations/",
            {"email": "invited@example.org", "role": "staff"},
        ),
        "withdraw_invitation": (
            "post",
            f"/consortia/irel/manage/invitations/{world['invitation'].pk}/withdraw/",
            {},
        ),
        "details": (
            "post",
            "/consortia/irel/manage/details/",
            {"description": "Ours", "countries": ["IE"]},
        ),
        "remove_contact": (
            "post",
            f"/consortia/irel/manage/contacts/{world['second_lead'].pk}/remove/",
            {},
        ),
        "checklist": (
            "post",
            "/consortia/irel/manage/checklist/",
            {f"item-{world['item'].pk}-done": "on", f"item-{world['item'].pk}-note": "Done in May"},
        ),
        "upload": (
            "post",
            "/consortia/irel/manage/documents/",
            {
                "document-title": "Policy",
                "document-visibility": "public",
                "document-file": _text_file(),
            },
        ),
        "delete_document": ("post", f"/consortia/irel/manage/documents/{document.pk}/delete/", {}),
        "report": (
            "post",
            "/consortia/irel/manage/reports/",
            # Publishing without a preview shows the preview (200): nothing is published.
            {"report-title": "Spring", "report-body": "We grew.", "action": "publish"},
        ),
        **{
            f"{section}_page": ("get", f"/consortia/irel/manage/{section}/", None)
            for section in ("requests", "members", "contacts", "checklist", "documents", "reports")
        },
        "confirm_remove_member": (
            "get",
            f"/consortia/irel/manage/members/{world['membership'].pk}/remove/",
            None,
        ),
        "confirm_remove_contact": (
            "get",
            f"/consortia/irel/manage/contacts/{world['second_lead'].pk}/remove/",
            None,
        ),
        "confirm_delete_document": (
            "get",
            f"/consortia/irel/manage/documents/{document.pk}/delete/",
            None,
        ),
    }


def _text_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("policy.txt", b"Our policy.\n", content_type="text/plain")


ACTIONS = [
    "page",
    "csv",
    "accept",
    "decline",
    "remove_member",
    "invite_contact",
    "withdraw_invitation",
    "details",
    "remove_contact",
    "checklist",
    "upload",
    "delete_document",
    "report",
    "requests_page",
    "members_page",
    "contacts_page",
    "checklist_page",
    "documents_page",
    "reports_page",
    "confirm_remove_member",
    "confirm_remove_contact",
    "confirm_delete_document",
]
EXPECTED = {"anonymous": 302, "member": 403, "other_lead": 403, "bare_staff": 403}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_manage_urls_by_role(client, world, action, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    method, url, data = manage_requests(world)[action]
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    if role in EXPECTED:
        assert response.status_code == EXPECTED[role]
        if role == "anonymous":
            assert response["Location"].startswith("/accounts/login/")
    else:
        allowed = 200 if method == "get" or action == "report" else 302
        assert response.status_code == allowed, response.content[:500]


def test_refused_actions_change_nothing(client, world):
    client.force_login(world["users"]["other_lead"])
    for action in ACTIONS:
        method, url, data = manage_requests(world)[action]
        if method == "post":
            client.post(url, data)
    world["request"].refresh_from_db()
    world["membership"].refresh_from_db()
    assert world["request"].state == "requested"
    assert world["membership"].state == "active"
    assert Document.objects.count() == 2
    assert world["consortium"].contacts.count() == 2
    assert not world["consortium"].progress_reports.exists()
    assert list(ContactInvitation.objects.values_list("email", "state")) == [
        ("waiting@example.org", "pending")
    ]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["finalize", "inactive"])
def test_only_staff_finalize_or_deactivate(client, world, role, action):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    world["consortium"].status = "forming"
    world["consortium"].save()
    response = client.post(f"/consortia/irel/manage/{action}/")
    if role == "anonymous":
        assert response.status_code == 302
    elif role == "staff":
        # Finalizing fails on the rules (409); marking inactive works (302).
        assert response.status_code == (409 if action == "finalize" else 302)
    else:
        assert response.status_code == 403


def test_a_refused_finalize_shows_what_is_missing(client, world):
    world["consortium"].status = "forming"
    world["consortium"].save()
    client.force_login(world["users"]["staff"])
    response = client.post("/consortia/irel/manage/finalize/")
    html = response.content.decode()
    assert response.status_code == 409
    assert "cannot be finalized yet" in html
    assert "Checklist item not done: Funding model decided" in html
    assert "2 active not-for-profit members" in html


@pytest.mark.parametrize(
    ("role", "members_doc", "public_doc"),
    [
        ("anonymous", 404, 200),
        ("other_lead", 404, 200),
        ("member", 200, 200),
        ("lead", 200, 200),
        ("staff", 200, 200),
        ("bare_staff", 404, 200),
        ("manager", 200, 200),
    ],
)
def test_documents_by_role(client, world, role, members_doc, public_doc):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    for visibility, expected in (("members", members_doc), ("public", public_doc)):
        document = world["documents"][visibility]
        response = client.get(f"/consortia/irel/documents/{document.pk}/")
        assert response.status_code == expected
        if expected == 200:
            assert b"".join(response.streaming_content) == b"hello"
            assert response["Content-Disposition"].startswith("attachment")
            assert "no-store" in response["Cache-Control"]


def test_the_detail_page_lists_only_documents_the_visitor_may_see(client, world):
    html = client.get("/consortia/irel/").content.decode()
    assert "public doc" in html
    assert "members doc" not in html
    client.force_login(world["users"]["member"])
    html = client.get("/consortia/irel/").content.decode()
    assert "members doc" in html


def test_a_document_is_not_reachable_through_another_consortium_slug(client, world):
    document = world["documents"]["public"]
    assert client.get(f"/consortia/other/documents/{document.pk}/").status_code == 404


def test_documents_are_not_stored_under_the_media_root(world, settings):
    from pathlib import Path

    path = Path(world["documents"]["public"].file.path).resolve()
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
