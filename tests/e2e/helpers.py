"""What the browser journeys share: signing in through the portal's pages, the
accessibility check and the screenshots (the fixtures are in conftest.py)."""

import re
from pathlib import Path

from django.conf import settings

from accounts.demo import DEMO_TOTP_SECRET
from tests.factories.accounts import totp_code
from tests.stack import ROOT

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"
# The password of every demo account (seed_demo) the journeys sign in as.
DEMO_PASSWORD = settings.DEMO_PASSWORD


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
    page.get_by_label("Password").fill(DEMO_PASSWORD)
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
