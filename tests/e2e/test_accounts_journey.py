"""A newcomer signs up by email, confirms through the mail, and fills in their profile."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.helpers import DEMO_PASSWORD, check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_health_reports_database_and_broker(stack, new_page):
    page = new_page()
    response = page.goto("/healthz")
    assert response.status == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_sign_up_confirm_by_mail_and_connect_orcid_from_the_profile(stack, mailbox, new_page):
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

    # The profile has no field to type an ORCID iD into: the iD comes from ORCID.
    page.goto("/accounts/profile/")
    assert page.get_by_role("textbox", name="ORCID iD").count() == 0
    assert page.locator("input[name=orcid_id]").count() == 0
    page.get_by_label("Name").fill("New Comer")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Your profile was saved." in page.content()
    screenshot(page, "profile-desktop")

    # Connecting ORCID is allauth's own flow, from the Connected accounts page: it leaves
    # for ORCID's sign-in (answered here by the test; the return trip is tested against a
    # stand-in for ORCID in tests/accounts/test_orcid_sign_in.py).
    stack.shell(
        "from allauth.socialaccount.models import SocialApp; "
        "SocialApp.objects.get_or_create(provider='orcid', "
        "defaults={'name': 'ORCID', 'client_id': 'APP-E2E', 'secret': 'not-secret'})"
    )
    page.get_by_role("link", name="Connect your ORCID iD").click()
    page.wait_for_url(re.compile(r"/accounts/3rdparty/$"))
    assert check_accessibility(page) == []
    page.route(
        "https://orcid.org/**",
        lambda route: route.fulfill(content_type="text/html", body="<title>ORCID</title>"),
    )
    page.locator("main").get_by_role("link", name=re.compile("orcid", re.I)).click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"^https://orcid\.org/oauth/authorize\?"))
    query = parse_qs(urlparse(page.url).query)
    assert (query["client_id"], query["scope"]) == (["APP-E2E"], ["/authenticate"])
    assert query["redirect_uri"] == [f"{stack.base_url}/accounts/orcid/login/callback/"]


def test_a_demo_person_shows_the_orcid_id_they_proved(stack, new_page):
    page = new_page()
    sign_in(page, "contributor@example.org", DEMO_PASSWORD)
    page.goto("/accounts/profile/")
    # Slashes escaped: Playwright writes the pattern between slashes.
    orcid_link = page.get_by_role("link", name=re.compile(r"^https:\/\/orcid\.org\/0009-"))
    assert orcid_link.is_visible()
    orcid_id = orcid_link.inner_text().rsplit("/", 1)[1]
    page.goto("/contributors/me/")
    assert page.url.endswith(f"/contributors/{orcid_id}/")
    assert page.get_by_role("link", name=f"https://orcid.org/{orcid_id}").is_visible()


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/accounts/signup/", "/privacy/", "/accessibility/", "/conduct/"],
)
def test_pages_have_no_serious_accessibility_violations(stack, new_page, path):
    page = new_page()
    page.goto(path)
    assert check_accessibility(page) == []
    screenshot(page, f"{path.strip('/') or 'home'}-desktop")
    phone = new_page("phone")
    phone.goto(path)
    # The accessibility statement promises it: no sideways scrolling at a phone's width.
    overflow = phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} at phone width is {overflow}px too wide"
    screenshot(phone, f"{path.strip('/') or 'home'}-phone")
