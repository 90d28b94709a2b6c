"""Journey 2: staff nominate a technical contributor, the steering group elects them."""

import re

import pytest

from tests.e2e.helpers import (
    DEMO_PASSWORD,
    check_accessibility,
    screenshot,
    sign_in,
    sign_in_as_staff,
)

pytestmark = pytest.mark.e2e

NOMINEE = ("contributor2@example.org", "Pavel Ivanov")
STEERING = [
    "chair@example.org",
    "steering1@example.org",
    "steering2@example.org",
    "steering3@example.org",
    "steering4@example.org",
    "steering5@example.org",
    "steering6@example.org",
]
# Five approve, one rejects with a reason, one abstains: quorum and majority.
VOTES = ["Approve"] * 5 + ["Reject", "Abstain"]


def test_nominate_and_elect_an_ost_member(stack, mailbox, new_page):
    email, name = NOMINEE

    # Staff sign in to the admin through the portal's sign-in, with two-factor
    # authentication (the code computed from the demo staff's secret, as allauth does).
    staff = new_page()
    sign_in_as_staff(staff)

    # Staff nominate through the admin: the profile's "Nominate for OST" action.
    staff.goto(f"/admin/contributors/profile/?q={email}")
    staff.locator("input[name=_selected_action]").first.check()
    staff.locator("select[name=action]").select_option(label="Nominate for OST")
    staff.get_by_role("button", name="Go").click()
    staff.wait_for_url(re.compile(r"/admin/contributors/nomination/add/"))
    staff.get_by_label("Rationale").fill(
        "Pavel has reviewed pull requests for two years and maintains the API examples."
    )
    staff.get_by_role("button", name="Save", exact=True).click()
    staff.wait_for_url(re.compile(r"/admin/contributors/nomination/"))

    # Every steering-group member is asked to vote, and votes on the review pages.
    for voter, choice in zip(STEERING, VOTES, strict=True):
        mailbox.wait_for(voter, subject_contains=f"OST nomination of {name}")
        page = new_page()
        sign_in(page, voter, DEMO_PASSWORD)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
        page.get_by_role("link", name=name).first.click()
        if voter == STEERING[0]:
            assert check_accessibility(page) == []
            screenshot(page, "nomination-review-desktop")
        page.get_by_label(choice, exact=True).check()
        if choice == "Reject":
            page.get_by_label("Comment").fill("Not yet broad enough in documentation.")
        page.get_by_role("button", name="Vote").click()
        page.wait_for_load_state()
        page.context.close()

    # Everyone has voted: the nomination is decided and the nominee told.
    (outcome,) = mailbox.wait_for(email, subject_contains="approved")
    assert "/ost/agreement/" in mailbox.text(outcome)

    nominee = new_page()
    sign_in(nominee, email, DEMO_PASSWORD)
    nominee.goto("/ost/agreement/")
    nominee.get_by_label("Your full name").fill(name)
    nominee.get_by_label("I have read the agreement and accept it.").check()
    nominee.get_by_role("button", name="Sign", exact=True).click()
    nominee.wait_for_load_state()
    assert "You signed version" in nominee.content()

    # Pavel now appears as an OST member on the public contributors page.
    visitor = new_page()
    visitor.goto("/contributors/?level=ost")
    row = visitor.locator("main").get_by_text(name, exact=True)
    assert row.count() >= 1
    assert check_accessibility(visitor) == []
    screenshot(visitor, "contributors-desktop")
