"""Fixtures of the browser tests: the running stack, its mailbox, and Chromium pages.

Without PostgreSQL, Redis and Chromium the tests are skipped with the reason; with
REQUIRE_E2E=1 (CI) a missing piece fails the run instead.
"""

import re

import pytest

from tests.e2e.stack import CHROMIUM, missing_pieces
from tests.stack import Stack, require

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="session")
def stack():
    require(missing_pieces(), "the browser tests")
    # One bounce stops list mail to an address (5 in production): the mail-in journey
    # shows the threshold with one report.
    running = Stack(env={"MAIL_BOUNCE_THRESHOLD": "1"})
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
