"""A newcomer signs up by email, confirms through the mail, and fills in their profile."""

import re

import pytest

from tests.e2e.conftest import check_accessibility, screenshot

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "orcid-demo-2026"


def test_health_reports_database_and_broker(stack, new_page):
    page = new_page()
    response = page.goto("/healthz")
    assert response.status == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_sign_up_confirm_by_mail_and_set_orcid_id(stack, mailbox, new_page):
    page = new_page()
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Name to show").fill("New Comer")
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Password:", exact=True).fill("a-Long-passphrase-42")
    page.get_by_label("Password (again)").fill("a-Long-passphrase-42")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_load_state()
    assert "/accounts/confirm-email/" in page.url  # verification is mandatory in production

    # The confirmation mail went through the real worker and SMTP.
    (message,) = mailbox.wait_for("newcomer@example.org", subject_contains="Confirm")
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mailbox.text(message)).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()

    page.goto("/accounts/profile/")
    page.get_by_label("Name").fill("New Comer")
    page.get_by_label("ORCID iD").fill("https://orcid.org/0000-0002-1825-0098")
    page.get_by_role("button", name="Save").click()
    assert "check character does not match" in page.content()
    page.get_by_label("ORCID iD").fill("https://orcid.org/0000-0002-1825-0097")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("link", name="https://orcid.org/0000-0002-1825-0097").is_visible()
    screenshot(page, "profile-desktop")


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_pages_have_no_serious_accessibility_violations(stack, new_page, path):
    page = new_page()
    page.goto(path)
    assert check_accessibility(page) == []
    screenshot(page, f"{path.strip('/') or 'home'}-desktop")
    phone = new_page("phone")
    phone.goto(path)
    screenshot(phone, f"{path.strip('/') or 'home'}-phone")
