"""Journey 1: a newcomer finds the consortium of their region and joins it; their new
organization is verified by ORCID staff before the lead contact can accept it. The lead
contact then does their weekly work in the manage area's sections: accepts the request,
completes the checklist in one form, uploads a document, previews and publishes a report;
at desktop and phone width, with no serious accessibility problem and no sideways scroll."""

import re
import secrets

import pytest

from core.identifiers import ror_checksum
from tests.e2e.helpers import (
    DEMO_PASSWORD,
    check_accessibility,
    screenshot,
    sign_in,
    sign_in_as_staff,
)

pytestmark = pytest.mark.e2e

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def fresh_ror_id() -> str:
    base = "0" + "".join(secrets.choice(CROCKFORD) for _ in range(6))
    return base + ror_checksum(base)


def sign_up_and_confirm(page, mailbox, email: str, password: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Name to show").fill("Jo Joiner")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)
    page.get_by_role("button", name="Sign Up").click()
    (message,) = mailbox.wait_for(email, subject_contains="Confirm")
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mailbox.text(message)).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


def check_page(page, name: str) -> None:
    """No serious or critical axe violation, nothing past the right edge; a screenshot."""
    assert check_accessibility(page) == [], name
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name} is {overflow}px too wide"
    screenshot(page, name)


def focused(page) -> str:
    """What has the focus: the message at the top ("messages") or a field's name."""
    return page.evaluate(
        "document.activeElement.classList.contains('messages') ? 'messages'"
        " : (document.activeElement.name || document.activeElement.id || '')"
    )


def member_count(page, consortium: str) -> int:
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=consortium, exact=True))
    cells = row.get_by_role("cell").all_inner_texts()
    return int(next(c for c in cells if c.strip().isdigit()))


def test_join_a_consortium(stack, mailbox, new_page):
    newcomer = new_page()
    sign_up_and_confirm(newcomer, mailbox, "joiner@maynooth.example", "a-Long-passphrase-42")

    # Consortia, filtered by region.
    newcomer.get_by_role("navigation", name="Main").get_by_role("link", name="Consortia").click()
    newcomer.get_by_label("Region").select_option(label="Europe, Middle East & Africa")
    newcomer.get_by_role("button", name="Apply").click()
    newcomer.wait_for_url(re.compile(r"region=emea"))
    assert check_accessibility(newcomer) == []
    screenshot(newcomer, "consortia-directory-desktop")
    before = member_count(newcomer, "IReL ORCID Consortium")
    newcomer.get_by_role("link", name="IReL ORCID Consortium", exact=True).click()
    assert check_accessibility(newcomer) == []
    screenshot(newcomer, "consortium-detail-desktop")

    # Request to join for a new organization, registered with its ROR ID.
    newcomer.get_by_role("link", name="Request to join").click()
    ror_id = fresh_ror_id()
    newcomer.get_by_label("Organization name").fill("Maynooth Research Institute")
    newcomer.get_by_label("ROR ID").fill(f"https://ror.org/{ror_id}")
    newcomer.get_by_label("Country").select_option("IE")
    newcomer.get_by_label("Organization type").select_option(label="Non-profit")
    newcomer.get_by_label("Message to the lead contacts").fill("We would like to join IReL.")
    newcomer.get_by_role("button", name="Send the request").click()
    newcomer.wait_for_load_state()
    assert "Maynooth Research Institute" in newcomer.content()
    # The consortium's page shows the pending request instead of the button.
    newcomer.goto("/consortia/irel/")
    assert "Your request to join is waiting for an answer" in newcomer.content()
    assert newcomer.get_by_role("link", name="Request to join").count() == 0

    # The lead contact gets the mail; the new organization waits for ORCID staff.
    mailbox.wait_for("lead@example.org", subject_contains="IReL")
    lead = new_page()
    sign_in(lead, "lead@example.org", DEMO_PASSWORD)
    lead.goto("/consortia/irel/")
    assert lead.get_by_role("link", name="Request to join").count() == 0
    lead.get_by_role("link", name="Manage").click()
    lead.wait_for_url(re.compile(r"/consortia/irel/manage/$"))
    check_page(lead, "manage-overview-desktop")
    lead.get_by_role("link", name=re.compile(r"requests? to join wait")).click()
    lead.wait_for_url(re.compile(r"/manage/requests/$"))
    request = lead.locator("li.card").filter(has_text="Maynooth Research Institute")
    assert "Waiting for ORCID to verify this organization" in request.inner_text()
    assert request.get_by_role("button", name="Accept").count() == 0

    # Staff are mailed about the new organization and verify it from the admin's queue.
    (to_staff,) = mailbox.wait_for(
        "staff@example.org", subject_contains="To verify: Maynooth Research Institute"
    )
    queue = re.search(r"http://\S+(/admin/consortia/organization/\S+)", mailbox.text(to_staff))
    staff = new_page()
    sign_in_as_staff(staff)
    staff.goto(queue.group(1))
    row = staff.get_by_role("row").filter(has_text="Maynooth Research Institute")
    row.locator("input[name=_selected_action]").check()
    staff.locator("select[name=action]").select_option(label="Verify the selected organizations")
    staff.get_by_role("button", name="Go").click()
    staff.wait_for_load_state()
    assert "1 organization verified." in staff.content()

    # The lead contact is told (the mail links to the requests), and accepts there.
    (verified,) = mailbox.wait_for("lead@example.org", subject_contains="is verified")
    link = re.search(r"http://\S+(/consortia/irel/manage/requests/)", mailbox.text(verified))
    lead.goto(link.group(1))
    check_page(lead, "manage-requests-desktop")
    request = lead.locator("li.card").filter(has_text="Maynooth Research Institute")
    request.get_by_role("button", name="Accept").click()
    lead.wait_for_url(re.compile(r"/manage/requests/$"))
    assert "Maynooth Research Institute is now a member." in lead.locator(".messages").inner_text()
    assert focused(lead) == "messages"

    # The member is told, and sees the membership on their dashboard.
    mailbox.wait_for("joiner@maynooth.example", subject_contains="IReL")
    newcomer.goto("/consortia/mine/")
    mine = newcomer.locator("main")
    assert "Maynooth Research Institute" in mine.inner_text()
    assert re.search(r"(?i)active|accepted|member", mine.inner_text())

    # The directory counts one more member.
    newcomer.goto("/consortia/?region=emea")
    assert member_count(newcomer, "IReL ORCID Consortium") == before + 1

    # The checklist: two items ticked, one Save for the whole list.
    lead.get_by_role("navigation", name="Sections").get_by_role("link", name="Checklist").click()
    lead.wait_for_url(re.compile(r"/manage/checklist/$"))
    check_page(lead, "manage-checklist-desktop")
    open_items = lead.locator(".checklist-item:not(.is-done) input[type=checkbox]")
    before_open = open_items.count()
    open_items.nth(0).check()
    open_items.nth(1).check()  # the classes are the server's: the second open item
    lead.get_by_role("button", name="Save the checklist").click()
    lead.wait_for_url(re.compile(r"/manage/checklist/$"))
    assert "2 items changed" in lead.locator(".messages").inner_text()
    assert lead.locator(".checklist-item:not(.is-done) input[type=checkbox]").count() == (
        before_open - 2
    )

    # Documents: a refused upload comes back with its field focused; then one is uploaded.
    lead.get_by_role("navigation", name="Sections").get_by_role("link", name="Documents").click()
    lead.get_by_role("button", name="Upload").click()
    lead.wait_for_load_state()
    assert focused(lead) == "document-title"
    lead.get_by_label("Title").fill("Onboarding plan")
    lead.get_by_label("File").set_input_files(
        files=[
            {
                "name": "plan.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
            }
        ]
    )
    lead.get_by_role("button", name="Upload").click()
    lead.wait_for_url(re.compile(r"/manage/documents/$"))
    assert "“Onboarding plan” was uploaded." in lead.locator(".messages").inner_text()
    check_page(lead, "manage-documents-desktop")

    # A progress report: previewed as the members will read it, then published and mailed.
    lead.get_by_role("navigation", name="Sections").get_by_role(
        "link", name="Progress reports"
    ).click()
    lead.get_by_label("Title").fill("Winter 2026")
    lead.get_by_role("textbox", name="Report").fill("Maynooth **joined** us.")
    lead.get_by_role("button", name="Preview").click()
    lead.wait_for_load_state()
    preview = lead.locator(".report-preview")
    assert preview.locator("strong").inner_text() == "joined"
    assert focused(lead) == "preview"
    check_page(lead, "manage-reports-preview-desktop")
    lead.get_by_role("button", name="Publish and email the members").click()
    lead.wait_for_url(re.compile(r"/manage/reports/$"))
    assert "“Winter 2026” is published" in lead.locator(".messages").inner_text()
    mailbox.wait_for("joiner@maynooth.example", subject_contains="Winter 2026")

    # The same sections on a phone: readable, no sideways scroll, no serious axe finding.
    phone = new_page("phone")
    sign_in(phone, "lead@example.org", DEMO_PASSWORD)
    for section in (
        "",
        "requests/",
        "members/",
        "contacts/",
        "checklist/",
        "documents/",
        "reports/",
    ):
        phone.goto(f"/consortia/irel/manage/{section}")
        check_page(phone, f"manage-{section.strip('/') or 'overview'}-phone")
    # An older mail's link to the one-page manage area opens its section.
    phone.goto("/consortia/irel/manage/#requests-title")
    phone.wait_for_url(re.compile(r"/manage/requests/$"))
    phone.goto("/consortia/irel/manage/members/")
    phone.locator("a.button", has_text="Remove").first.click()
    assert "will no longer be a member" in phone.locator("main").inner_text()
    check_page(phone, "manage-confirm-phone")
