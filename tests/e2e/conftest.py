"""Fixtures of the browser tests: the running stack, its mailbox, and Chromium pages.

Without PostgreSQL, Redis and Chromium the tests are skipped with the reason; with
REQUIRE_E2E=1 (CI) a missing piece fails the run instead.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts.demo import DEMO_TOTP_SECRET
from tests.e2e.stack import CHROMIUM, missing_pieces
from tests.factories.accounts import totp_code
from tests.stack import ROOT, Stack, require

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="session")
def stack():
    require(missing_pieces(), "the browser tests")
    running = Stack()
    try:
        running.start()
        running.manage("seed_demo", "--quiet-accounts")
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def mailbox(stack):
    return stack.mailbox


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors, page errors and 5xx responses seen by a page: all must stay empty."""

    def __init__(self):
        self.errors: list[str] = []

    def _console(self, msg) -> None:
        # Chromium logs every 4xx document as "Failed to load resource"; a form answering
        # 400 with its error message is intended. 5xx are caught by the response listener.
        if msg.type == "error" and not re.search(r"status of 4\d\d", msg.text):
            self.errors.append(f"console {msg.type}: {msg.text}")

    def watch(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )


@pytest.fixture
def new_page(browser, stack):
    """Open pages in fresh browser contexts (one per person); check none had an error."""
    problems = PageProblems()
    contexts = []

    def open_page(viewport: str = "desktop"):
        context = browser.new_context(base_url=stack.base_url, viewport=VIEWPORTS[viewport])
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems.errors == [], "errors on pages: " + "\n".join(problems.errors)


def check_accessibility(page) -> list[dict]:
    """Run axe-core on the page; return serious and critical violations."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    """Save the page under artifacts/screenshots/ (the viewport alone for the README's)."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^a-z0-9_-]+", "-", name.lower())
    page.screenshot(path=str(folder / f"{safe}.png"), full_page=full_page)


# allauth refuses a code used once already: each staff sign-in of the run takes a new one.
_used_codes: set[str] = set()


def sign_in_as_staff(page, next_path: str = "/admin/") -> None:
    """The demo staff member signs in through the portal's sign-in with two-factor
    authentication (the code computed from the demo staff's secret, as allauth does)."""
    page.goto(next_path)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Email").fill("staff@example.org")
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    code = next(
        c for c in (totp_code(DEMO_TOTP_SECRET, step=s) for s in (0, 1)) if c not in _used_codes
    )
    _used_codes.add(code)
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(re.escape(next_path.split("?")[0]) + r"$"))


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
