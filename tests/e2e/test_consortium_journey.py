"""Journey 1: a newcomer finds the consortium of their region and joins it; their new
organization is verified by ORCID staff before the lead contact can accept it."""

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

    # The lead contact gets the mail; the new organization waits for ORCID staff.
    mailbox.wait_for("lead@example.org", subject_contains="IReL")
    lead = new_page()
    sign_in(lead, "lead@example.org", DEMO_PASSWORD)
    lead.goto("/consortia/irel/manage/")
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

    # The lead contact is told, and accepts.
    mailbox.wait_for("lead@example.org", subject_contains="is verified")
    lead.goto("/consortia/irel/manage/")
    request = lead.locator("li.card").filter(has_text="Maynooth Research Institute")
    request.get_by_role("button", name="Accept").click()
    lead.wait_for_load_state()

    # The member is told, and sees the membership on their dashboard.
    mailbox.wait_for("joiner@maynooth.example", subject_contains="IReL")
    newcomer.goto("/consortia/mine/")
    mine = newcomer.locator("main")
    assert "Maynooth Research Institute" in mine.inner_text()
    assert re.search(r"(?i)active|accepted|member", mine.inner_text())

    # The directory counts one more member.
    newcomer.goto("/consortia/?region=emea")
    assert member_count(newcomer, "IReL ORCID Consortium") == before + 1
