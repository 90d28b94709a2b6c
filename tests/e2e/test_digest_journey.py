"""Journey 3: a member reads the API users list as a daily digest, then leaves it in one click.

Two members choose the daily digest on /mail/settings/, two others post through the forum
pages, and the daily digest runs on the stack's worker, sent to its broker by the name
beat uses. The SMTP receiver must hold exactly one digest per subscriber; the one-click
unsubscribe POST (RFC 8058) of one of them must keep the next day's digest from them only.
"""

import re
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from forums.digests import SETTLE
from tests.e2e.helpers import DEMO_PASSWORD, check_accessibility, screenshot, sign_in
from tests.helpers import broker_idle, wait_until

pytestmark = pytest.mark.e2e

SUBSCRIBERS = {"member@example.org": "Raj Patel", "contributor@example.org": "Mei Chen"}
LEAVER = "member@example.org"
STAYER = "contributor@example.org"
DIGEST_SUBJECT = "Daily digest of ORCID API Users list"


def run_daily_digest(stack, *, now: datetime | None = None) -> None:
    """Send beat's daily digest task, by its registered name, to the stack's worker."""
    from celery import Celery

    entry = settings.CELERY_BEAT_SCHEDULE["forums-daily-digest"]
    kwargs = {"now": now.isoformat()} if now else {}
    with Celery("e2e", broker=stack.redis_url) as app:
        app.send_task(entry["task"], args=list(entry["args"]), kwargs=kwargs)


def digests(mailbox) -> list:
    with mailbox.lock:
        return [m for m in mailbox.messages if DIGEST_SUBJECT in str(m["Subject"])]


def recipients(messages) -> list[str]:
    return sorted(str(m["To"]) for m in messages)


def choose_daily_digest(page, email: str) -> None:
    sign_in(page, email, DEMO_PASSWORD)
    page.goto("/mail/settings/")
    list_section = page.get_by_role("region", name="ORCID API Users list")
    list_section.get_by_label("Delivery").select_option(label="daily digest")
    page.get_by_role("button", name="Save").click()  # the page's one form
    page.wait_for_load_state()
    assert page.get_by_role("region", name="ORCID API Users list").get_by_label(
        "Delivery"
    ).input_value() == ("daily")


def start_topic(page, title: str, message: str) -> str:
    page.goto("/forums/api-users/")
    page.get_by_role("link", name="New topic").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Message").fill(message)
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/forums/t/\d+/"))
    assert page.get_by_role("heading", name=title).is_visible()
    return urllib.parse.urlsplit(page.url).path


def reply(page, topic_path: str, message: str) -> None:
    page.goto(topic_path)
    page.get_by_label("Your reply").fill(message)
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()
    assert page.get_by_text(message).first.is_visible()


def one_click_unsubscribe(message) -> int:
    """What a mail client does with List-Unsubscribe-Post: a cookieless POST to the link."""
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    link = re.search(r"<(http[^>]+)>", re.sub(r"\s+", "", str(message["List-Unsubscribe"])))
    request = urllib.request.Request(
        link.group(1),
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def wait_for_digests(stack, count: int, timeout: float = 60) -> list:
    """The digests received, once ``count`` have arrived and the stack's worker has nothing
    left to do (a duplicate would have arrived by then)."""
    wait_until(
        lambda: len(digests(stack.mailbox)) >= count,
        timeout=timeout,
        what=lambda: f"{count} digests, got {recipients(digests(stack.mailbox))}",
    )
    wait_until(broker_idle(stack.redis_url))
    return digests(stack.mailbox)


def test_daily_digest_reaches_each_subscriber_once_and_one_click_unsubscribe_holds(
    stack, mailbox, new_page
):
    for email in SUBSCRIBERS:
        page = new_page()
        choose_daily_digest(page, email)
        page.context.close()

    # Two other people post through the forum pages.
    jo = new_page()
    sign_in(jo, "user@example.org", DEMO_PASSWORD)
    tokens = start_topic(
        jo,
        "Refresh tokens for the member API",
        "Our refresh token stops working after a day. Is that expected?",
    )
    tom = new_page()
    sign_in(tom, "dev@example.org", DEMO_PASSWORD)
    reply(tom, tokens, "Refresh tokens last 20 years; check that you store the new one.")
    webhooks = start_topic(
        tom, "Webhooks for record updates", "Which events does the webhook API send?"
    )

    # A topic page is accessible, at desktop and phone width.
    tom.goto(tokens)
    assert check_accessibility(tom) == []
    screenshot(tom, "topic-desktop")
    screenshot(tom, "topic-desktop-viewport", full_page=False)
    phone = new_page("phone")
    phone.goto(tokens)
    assert check_accessibility(phone) == []
    screenshot(phone, "topic-phone")
    screenshot(phone, "topic-phone-viewport", full_page=False)

    # The daily digest runs on the worker: one mail per subscriber, with both topics.
    before = len(digests(mailbox))
    # The run's window ends forums.digests.SETTLE before it (posts still committing):
    # run it as beat would that long after the posts. Its window ends now, so the reply
    # below, however soon, is the next day's.
    run_daily_digest(stack, now=datetime.now(UTC) + SETTLE)
    first = wait_for_digests(stack, before + len(SUBSCRIBERS))[before:]
    assert recipients(first) == sorted(SUBSCRIBERS)
    for message in first:
        text = mailbox.text(message)
        name = SUBSCRIBERS[str(message["To"])]
        assert text.startswith(f"Hello {name},")
        assert "--- Refresh tokens for the member API ---" in text
        assert "--- Webhooks for record updates ---" in text
        assert f"2 new messages: {stack.base_url}{tokens}" in text
        assert f"{stack.base_url}{webhooks}" in text
        assert "Refresh tokens last 20 years" in text
        html = message.get_body(preferencelist=("html",)).get_content()
        assert f'href="{stack.base_url}{tokens}"' in html

    # One subscriber leaves the list from the mail, with no session: one POST.
    (leaving,) = [m for m in first if str(m["To"]) == LEAVER]
    assert one_click_unsubscribe(leaving) == 200

    # Something new, and the next day's digest: only the one who stayed gets it.
    reply(jo, webhooks, "Record updates and deletions, as far as I know.")
    run_daily_digest(stack, now=datetime.now(UTC) + timedelta(days=1))
    second = wait_for_digests(stack, before + len(SUBSCRIBERS) + 1)[before + len(first) :]
    assert recipients(second) == [STAYER]
    text = mailbox.text(second[0])
    assert "Record updates and deletions" in text
    assert "--- Refresh tokens for the member API ---" not in text  # nothing new there
    assert [m for m in digests(mailbox) if str(m["To"]) == LEAVER] == [leaving]


@pytest.mark.parametrize("path", ["/", "/consortia/", "/forums/", "/contributors/", "/events/"])
def test_main_pages_at_desktop_and_phone_width(stack, new_page, path):
    name = path.strip("/").replace("/", "-") or "home"
    for viewport in ("desktop", "phone"):
        page = new_page(viewport)
        response = page.goto(path)
        assert response.status == 200
        # Nothing runs past the screen's right edge (no sideways scrolling of the page).
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} at {viewport} width is {overflow}px too wide"
        screenshot(page, f"{name}-{viewport}")
        screenshot(page, f"{name}-{viewport}-viewport", full_page=False)
