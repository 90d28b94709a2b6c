"""Journey: a subscriber changes two mail settings at once, leaves the list in one click
from a mail and undoes it.

On /mail/settings/ (reached from the account menu) Lucía chooses every message of the
ORCID API Users list and a group's briefings with one Save. Someone posts on the list;
from the mail's List-Unsubscribe link she unsubscribes and undoes it, at desktop and at
phone width, and the settings page then tells her what she receives. Every page passes
axe with no serious or critical violation and scrolls no page sideways.
"""

import re

import pytest

from tests.e2e.helpers import DEMO_PASSWORD, check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.e2e

SUBSCRIBER = "ost@example.org"
EACH = "You receive each message of the list."


def sideways(page) -> int:
    """How far the page runs past the screen's right edge (0: no sideways scrolling)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def looks_right(page, name: str) -> None:
    assert check_accessibility(page) == [], name
    assert sideways(page) <= 0, f"{name} is {sideways(page)}px too wide"
    screenshot(page, name)
    screenshot(page, f"{name}-viewport", full_page=False)


def start_topic(page, title: str, message: str) -> None:
    page.goto("/forums/api-users/")
    page.get_by_role("link", name="New topic").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Message").fill(message)
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/forums/t/\d+/"))


def unsubscribe_link(message) -> str:
    header = re.sub(r"\s+", "", str(message["List-Unsubscribe"]))
    return re.search(r"<(http[^>]+)>", header).group(1)


def test_two_settings_at_once_then_one_click_unsubscribe_and_undo(stack, mailbox, new_page):
    page = new_page()
    sign_in(page, SUBSCRIBER, DEMO_PASSWORD)
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Mail settings").click()
    page.wait_for_url(re.compile(r"/mail/settings/$"))
    looks_right(page, "mail-settings-desktop")

    # Two settings, one Save: the list's delivery and a group's briefings.
    page.get_by_role("region", name="ORCID API Users list").get_by_label("Delivery").select_option(
        label="each message"
    )
    briefings = page.get_by_role("group", name="Mail me the briefings of")
    box = briefings.locator("input[type=checkbox]:not(:checked)").first
    group = box.get_attribute("id")
    box.check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your mail settings are saved.").is_visible()
    api_users = page.get_by_role("region", name="ORCID API Users list")
    assert api_users.get_by_label("Delivery").input_value() == "each"
    assert api_users.get_by_text(EACH).is_visible()
    assert page.locator(f"#{group}").is_checked()
    lists = page.get_by_role("group", name="Mail me from")
    assert lists.get_by_role("checkbox", name="ORCID API Users list").is_checked()
    assert lists.get_by_text(EACH).is_visible()  # the same words at the top and here

    # Someone posts on the list: the message reaches her, with its one-click link.
    tom = new_page()
    sign_in(tom, "dev@example.org", DEMO_PASSWORD)
    title = "Sandbox credentials for a new integration"
    start_topic(tom, title, "Where do we ask for sandbox client credentials?")
    (message,) = mailbox.wait_for(SUBSCRIBER, subject_contains=title)
    link = unsubscribe_link(message)

    phone = new_page("phone")
    sign_in(phone, SUBSCRIBER, DEMO_PASSWORD)
    for viewport, tab in (("desktop", page), ("phone", phone)):
        tab.goto(link)
        looks_right(tab, f"mail-unsubscribe-{viewport}")
        tab.get_by_role("button", name="Unsubscribe").click()
        tab.wait_for_load_state()
        assert tab.get_by_role("heading", name="You are unsubscribed").is_visible()
        looks_right(tab, f"mail-unsubscribed-{viewport}")
        tab.get_by_role("button", name="Undo: receive this list again").click()
        tab.wait_for_load_state()
        assert tab.get_by_role("heading", name="You are subscribed again").is_visible()
        looks_right(tab, f"mail-subscribed-again-{viewport}")
        tab.get_by_role("link", name="Choose what you receive in your mail settings").click()
        tab.wait_for_url(re.compile(r"/mail/settings/$"))
        region = tab.get_by_role("region", name="ORCID API Users list")
        assert region.get_by_text(EACH).is_visible()
        assert region.get_by_label("Delivery").input_value() == "each"
        looks_right(tab, f"mail-settings-{viewport}-after-undo")
