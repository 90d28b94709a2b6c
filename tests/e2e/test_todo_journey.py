"""Journey: what waits for me. A steering-group member goes from the to-do page to a vote;
a moderator goes from the count in the header to the flagged post. At desktop and phone
width, each page checked with axe and for sideways scrolling."""

import re

import pytest

from tests.e2e.helpers import DEMO_PASSWORD, check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.e2e

# Members of the steering group who have not voted on Mei Chen's open nomination (demo).
VOTERS = {"desktop": "steering4@example.org", "phone": "steering5@example.org"}
# The chair of the member API working group moderates its forum (demo).
MODERATOR = "steering2@example.org"
MODERATED_FORUM = "member-api-working-group"


def _check_page(page, name: str) -> None:
    """No serious or critical axe violation, nothing past the right edge, a screenshot."""
    assert check_accessibility(page) == [], page.url
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px too wide"
    screenshot(page, name)


def _todo_link(page):
    return page.get_by_role("navigation", name="Account").get_by_role(
        "link", name=re.compile(r"^To do")
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_steering_member_goes_from_the_todo_page_to_a_vote(stack, new_page, viewport):
    page = new_page(viewport)
    sign_in(page, VOTERS[viewport], DEMO_PASSWORD)
    _todo_link(page).click()
    page.wait_for_url(re.compile(r"/todo/$"))
    entry = page.get_by_role("link", name="Vote on the OST nomination of Mei Chen")
    assert entry.is_visible()
    _check_page(page, f"todo-steering-{viewport}")

    entry.click()
    page.wait_for_url(re.compile(r"/review/nominations/\d+/$"))
    _check_page(page, f"todo-vote-{viewport}")
    page.get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Vote").click()
    page.wait_for_load_state()
    assert "Your vote was recorded." in page.content()

    # Done: the vote is no longer waiting.
    _todo_link(page).click()
    page.wait_for_url(re.compile(r"/todo/$"))
    assert page.get_by_role("link", name="Vote on the OST nomination of Mei Chen").count() == 0


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_moderator_goes_from_the_count_in_the_header_to_the_flagged_post(
    stack, new_page, viewport
):
    title = f"Spam seen at {viewport} width"
    stack.shell(
        "from accounts.models import User\n"
        "from forums import services\n"
        "from forums.models import Forum\n"
        f"forum = Forum.objects.get(slug={MODERATED_FORUM!r})\n"
        "author = User.objects.get(email='contributor2@example.org')\n"
        "topic = services.topic_create(forum=forum, by=author, "
        f"title={title!r}, body='Cheap integration services, visit our site.')\n"
        "services.post_flag(post=topic.posts.get(), "
        "by=User.objects.get(email='user@example.org'), reason='spam')\n"
    )
    page = new_page(viewport)
    sign_in(page, MODERATOR, DEMO_PASSWORD)
    page.goto("/forums/")
    link = _todo_link(page)
    count = int(re.search(r"\d+", link.locator(".count-badge").inner_text()).group(0))
    assert count >= 1
    _check_page(page, f"todo-header-{viewport}")

    link.click()
    page.wait_for_url(re.compile(r"/todo/$"))
    entry = page.get_by_role("link", name=re.compile(re.escape(f"“{title}”")))
    _check_page(page, f"todo-moderator-{viewport}")
    entry.click()
    page.wait_for_url(re.compile(r"/forums/moderation/#q-\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    post = page.locator(f"article[aria-labelledby='{anchor}']")
    assert post.is_visible()
    assert title in post.inner_text()
    _check_page(page, f"todo-flag-{viewport}")

    # The moderator hides it: the flag is upheld and leaves the count.
    post.get_by_role("button", name="Hide").click()
    page.wait_for_load_state()
    badge = _todo_link(page).locator(".count-badge")
    assert (int(badge.inner_text()) if badge.count() else 0) == count - 1
