"""The manage page: checklist, progress reports mailed to members, CSV export, contacts;
the propose page; the admin actions."""

import csv
import io

import pytest
from django.core import mail

from consortia.models import ChecklistEntry, ChecklistItem, Consortium, Membership, ProgressReport
from mail.models import Delivery
from tests.factories.accounts import UserFactory, with_two_factor
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
    OrganizationFactory,
    add_members,
    complete_checklist,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def consortium():
    return ConsortiumFactory(slug="irel", name="IReL ORCID", status="forming")


@pytest.fixture
def lead(consortium, client):
    user = ConsortiumContactFactory(consortium=consortium, role="main").user
    client.force_login(user)
    return user


def test_the_checklist_section_shows_the_checklist_with_its_progress(client, consortium, lead):
    item = ChecklistItem.objects.get(title="Funding model decided")
    ChecklistEntry.objects.create(consortium=consortium, item=item, done=True, done_by=lead)
    html = client.get("/consortia/irel/manage/checklist/").content.decode()
    assert '<progress id="checklist-progress" max="12" value="1">' in html
    assert "1 of 12 done" in html
    assert "Web page about the consortium published" in html
    # One form, one Save: ticking an item cannot be lost to another item's button.
    assert html.count('<form method="post" action="/consortia/irel/manage/checklist/"') == 1
    assert html.count(">Save the checklist</button>") == 1
    overview = client.get("/consortia/irel/manage/").content.decode()
    assert "Onboarding checklist: 1 of 12 done" in overview
    assert "Before the agreement can be finalized:" in overview


def _checklist_data(consortium, **items):
    """The checklist form as the page sends it: every active item, ``items`` changed."""
    data = {}
    for entry in ChecklistEntry.objects.filter(consortium=consortium, done=True):
        data[f"item-{entry.item_id}-done"] = "on"
    for pk, fields in items.items():
        data.pop(f"item-{pk}-done", None)
        data.update({f"item-{pk}-{name}": value for name, value in fields.items()})
    return data


def test_the_whole_checklist_saves_at_once_and_records_who_and_when(client, consortium, lead):
    first, second = ChecklistItem.objects.order_by("pk")[:2]
    response = client.post(
        "/consortia/irel/manage/checklist/",
        {
            f"item-{first.pk}-done": "on",
            f"item-{first.pk}-note": "Sent 3 May",
            f"item-{second.pk}-done": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/consortia/irel/manage/checklist/"
    entries = ChecklistEntry.objects.filter(consortium=consortium, done=True)
    assert {e.item_id for e in entries} == {first.pk, second.pk}
    entry = entries.get(item=first)
    assert (entry.done_by, entry.note) == (lead, "Sent 3 May")
    assert entry.done_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "The checklist is saved: 2 items changed." in page
    # Saving again changes nothing, and keeps who ticked it when.
    done_at = entry.done_at
    client.post(
        "/consortia/irel/manage/checklist/",
        {
            f"item-{first.pk}-done": "on",
            f"item-{first.pk}-note": "Sent 3 May",
            f"item-{second.pk}-done": "on",
        },
    )
    entry.refresh_from_db()
    assert entry.done_at == done_at
    # Unticked in the form: not done any more.
    client.post("/consortia/irel/manage/checklist/", {f"item-{second.pk}-done": "on"})
    entry.refresh_from_db()
    assert not entry.done
    assert entry.done_by is None


def test_a_checklist_item_cannot_point_at_another_consortiums_document(client, consortium, lead):
    from consortia.models import Document

    other = ConsortiumFactory()
    document = Document.objects.create(
        consortium=other,
        title="x",
        file="x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=1,
    )
    item = ChecklistItem.objects.first()
    response = client.post(
        "/consortia/irel/manage/checklist/",
        {f"item-{item.pk}-done": "on", f"item-{item.pk}-document": document.pk},
    )
    assert response.status_code == 400
    assert not ChecklistEntry.objects.filter(consortium=consortium, done=True).exists()


def test_a_checklist_in_error_saves_nothing_and_focuses_the_field(client, consortium, lead):
    first, second = ChecklistItem.objects.order_by("pk")[:2]
    response = client.post(
        "/consortia/irel/manage/checklist/",
        {
            f"item-{first.pk}-done": "on",
            f"item-{second.pk}-done": "on",
            f"item-{second.pk}-note": "x" * 4001,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most 4000 characters" in html
    assert "Nothing was saved" in html
    # The field in error is focused (without JavaScript too) and its item opened.
    assert f'name="item-{second.pk}-note" cols="40" rows="2" maxlength="4000" autofocus' in html
    # What was ticked is still ticked on the page, and nothing was saved.
    assert f'name="item-{first.pk}-done" id="id_item-{first.pk}-done" checked' in html
    assert not ChecklistEntry.objects.filter(consortium=consortium, done=True).exists()


def test_the_note_fields_of_the_manage_area_take_no_more_than_is_saved(client, consortium, lead):
    MembershipFactory(consortium=consortium, state="requested")
    html = client.get("/consortia/irel/manage/requests/").content.decode()
    assert html.count('<textarea name="note"') == html.count('maxlength="4000"') == 1
    html = client.get("/consortia/irel/manage/checklist/").content.decode()
    assert html.count("<textarea") == html.count('maxlength="4000"') == 12


def test_a_published_report_is_mailed_to_member_contacts_after_commit(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    members = add_members(consortium, ["IE", "IE"])
    contacts = [OrganizationContactFactory(organization=m.organization).user for m in members]
    left = MembershipFactory(consortium=consortium, state="left")
    former = OrganizationContactFactory(organization=left.organization).user
    data = {
        "report-title": "Spring 2026",
        "report-body": "We **onboarded** two members.\n\n<script>x</script>",
    }
    with django_capture_on_commit_callbacks(execute=True):
        preview = client.post("/consortia/irel/manage/reports/", {**data, "action": "preview"})
        token = preview.context["report_form"]["previewed"].value()
        response = client.post(
            "/consortia/irel/manage/reports/",
            {**data, "report-previewed": token, "action": "publish"},
        )
    assert response.status_code == 302
    assert response["Location"] == "/consortia/irel/manage/reports/"
    report = ProgressReport.objects.get()
    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {c.email for c in contacts} | {lead.email}
    assert former.email not in recipients
    message = mail.outbox[0]
    assert message.subject == "IReL ORCID: Spring 2026"
    html = message.alternatives[0][0]
    assert "<strong>onboarded</strong>" in html
    assert "<script>" not in html
    page = client.get("/consortia/irel/").content.decode()
    assert "Spring 2026" in page
    assert "<strong>onboarded</strong>" in page
    # The task is idempotent: running it again mails nobody twice.
    from consortia.tasks import send_progress_report

    assert send_progress_report(report.pk) == 0
    assert Delivery.objects.filter(kind="consortia.progress_report").count() == 3


def test_a_report_is_previewed_rendered_and_sanitized_before_it_is_published(
    client, consortium, lead, django_capture_on_commit_callbacks
):
    data = {"report-title": "Spring", "report-body": "We **grew**.\n\n<script>x()</script>"}
    with django_capture_on_commit_callbacks(execute=True):
        # "Publish" without a preview only previews: nothing is published, nobody mailed.
        response = client.post("/consortia/irel/manage/reports/", {**data, "action": "publish"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>grew</strong>" in html
    assert "<script>x()</script>" not in html
    assert ">Publish and email the members</button>" in html
    assert not ProgressReport.objects.exists()
    assert not mail.outbox
    # A text changed after its preview is previewed again, not published.
    token = response.context["report_form"]["previewed"].value()
    changed = {**data, "report-body": "Something else", "report-previewed": token}
    response = client.post("/consortia/irel/manage/reports/", {**changed, "action": "publish"})
    assert response.status_code == 200
    assert "Something else" in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_an_empty_report_is_refused(client, consortium, lead):
    response = client.post(
        "/consortia/irel/manage/reports/", {"report-title": "x", "report-body": ""}
    )
    assert response.status_code == 400
    assert not ProgressReport.objects.exists()


def test_the_csv_export_lists_members_with_their_contacts(client, consortium, lead):
    organization = OrganizationFactory(name="=HYPERLINK(evil)", ror_id="03265fv13", country="IE")
    MembershipFactory(consortium=consortium, organization=organization)
    OrganizationContactFactory(
        organization=organization, user__name="Ciara Contact", role="technical"
    )
    response = client.get("/consortia/irel/manage/members.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Organization", "ROR ID", "Country"]
    row = next(r for r in rows if "Ciara Contact" in r)
    assert row[0] == "'=HYPERLINK(evil)"  # not a formula in a spreadsheet
    assert row[1] == "https://ror.org/03265fv13"
    assert row[2] == "Ireland"
    assert row[-1] == "Technical contact"
    assert len(rows) == 3  # header, lead organization (no contact), the member's contact


def test_lead_contacts_can_be_removed_but_not_the_last(client, consortium, lead):
    added = ConsortiumContactFactory(consortium=consortium, role="support")
    assert client.post(f"/consortia/irel/manage/contacts/{added.pk}/remove/").status_code == 302
    last = consortium.contacts.get()
    assert client.post(f"/consortia/irel/manage/contacts/{last.pk}/remove/").status_code == 409
    assert consortium.contacts.count() == 1


def test_the_propose_page_creates_a_forming_consortium_with_a_new_lead_organization(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/consortia/propose/").status_code == 200
    response = client.post(
        "/consortia/propose/",
        {
            "name": "ORCID South-East Asia",
            "kind": "regional",
            "countries": ["SG", "MY", "TH"],
            "description": "A *regional* consortium.",
            "new_name": "National University of Singapore",
            "new_ror_id": "01tgyzw49",
            "new_country": "SG",
            "new_org_type": "higher_education",
        },
    )
    assert response.status_code == 302
    consortium = Consortium.objects.get(name="ORCID South-East Asia")
    assert response["Location"] == f"/consortia/{consortium.slug}/manage/"
    assert consortium.status == "forming"
    assert consortium.verification == "unverified"
    assert consortium.region == "apac"
    assert consortium.lead_organization.ror_id == "01tgyzw49"
    assert consortium.contacts.get().user == user
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("kind", "countries", "message"),
    [
        ("national", ["SG", "MY"], "exactly one country"),
        ("regional", ["SG"], "two or more countries"),
        ("regional", ["SG", "ZZ"], "Select a valid choice"),
    ],
)
def test_proposing_with_bad_countries_is_a_400_and_saves_nothing(client, kind, countries, message):
    client.force_login(UserFactory())
    response = client.post(
        "/consortia/propose/",
        {
            "name": "Bad",
            "kind": kind,
            "countries": countries,
            "new_name": "Org",
            "new_ror_id": "01tgyzw49",
            "new_country": "SG",
            "new_org_type": "higher_education",
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Consortium.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_to_propose(client):
    assert client.get("/consortia/propose/")["Location"].startswith("/accounts/login/")


def test_staff_finalize_the_agreement_from_the_admin(client):
    staff = with_two_factor(UserFactory(is_staff=True, is_superuser=True))
    client.force_login(staff)
    ready = ConsortiumFactory(status="forming", name="Ready")
    add_members(ready, ["IE"] * 4)
    complete_checklist(ready)
    not_ready = ConsortiumFactory(status="forming", name="Not ready")
    response = client.post(
        "/admin/consortia/consortium/",
        {"action": "finalize_agreement", "_selected_action": [ready.pk, not_ready.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 agreement finalized." in html
    assert "cannot be finalized yet" in html
    ready.refresh_from_db()
    not_ready.refresh_from_db()
    assert ready.status == "active"
    assert not_ready.status == "forming"


def test_the_admin_form_cannot_make_a_forming_consortium_active(client):
    """Only the finalize action does, when the checklist and the members allow it: the
    consortium's form is read-only (details are edited on the manage page)."""
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    consortium = ConsortiumFactory(status="forming", slug="irel", countries=["IE"])
    link = consortium.country_links.get()
    response = client.post(
        f"/admin/consortia/consortium/{consortium.pk}/change/",
        {
            "name": consortium.name,
            "slug": "irel",
            "kind": "national",
            "status": "active",
            "lead_organization": consortium.lead_organization.pk,
            "description": "Edited in the admin",
            "website": "",
            "proposed_by": "",
            "country_links-TOTAL_FORMS": "1",
            "country_links-INITIAL_FORMS": "1",
            "country_links-0-id": link.pk,
            "country_links-0-consortium": consortium.pk,
            "country_links-0-country": "IE",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "checklist_entries-TOTAL_FORMS": "0",
            "checklist_entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    consortium.refresh_from_db()
    assert consortium.description != "Edited in the admin"
    assert consortium.status == Consortium.Status.FORMING
    assert consortium.agreement_finalized_at is None


def test_staff_mark_consortia_inactive_from_the_admin(client):
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    consortium = ConsortiumFactory()
    client.post(
        "/admin/consortia/consortium/",
        {"action": "mark_inactive", "_selected_action": [consortium.pk]},
    )
    consortium.refresh_from_db()
    assert consortium.status == "inactive"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/consortia/consortium/",
        "/admin/consortia/organization/",
        "/admin/consortia/membership/",
        "/admin/consortia/checklistitem/",
        "/admin/consortia/checklistentry/",
        "/admin/consortia/document/",
        "/admin/consortia/progressreport/",
        "/admin/consortia/organizationcontact/",
    ],
)
def test_admin_lists_answer(client, url):
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    consortium = ConsortiumFactory()
    MembershipFactory(consortium=consortium)
    assert client.get(url + "?q=x").status_code == 200
    assert client.get(url).status_code == 200
    assert Membership.objects.exists()
    assert client.get(f"/admin/consortia/consortium/{consortium.pk}/change/").status_code == 200


def test_lead_contacts_edit_the_description_website_and_countries(client, consortium, lead):
    response = client.post(
        "/consortia/irel/manage/details/",
        {"description": "New *text*", "website": "irel.example.ie", "countries": ["IE"]},
    )
    assert response.status_code == 302
    consortium.refresh_from_db()
    assert consortium.description == "New *text*"
    assert consortium.website == "https://irel.example.ie"
    assert "<em>text</em>" in client.get("/consortia/irel/").content.decode()


def test_a_national_consortium_keeps_one_country(client, consortium, lead):
    response = client.post(
        "/consortia/irel/manage/details/",
        {"description": "Changed", "countries": ["IE", "GB"]},
    )
    assert response.status_code == 400
    assert "exactly one country" in response.content.decode()
    consortium.refresh_from_db()
    assert consortium.description == ""
    assert [str(c.country) for c in consortium.country_links.all()] == ["IE"]
