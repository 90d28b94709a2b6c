"""Error pages in the site's layout and the reader's language, accessible at both widths;
reading pages that never scroll sideways on a phone; /favicon.ico answers."""

import pytest

from tests.e2e.helpers import check_accessibility, screenshot

pytestmark = pytest.mark.e2e

WIDTHS = ("desktop", "phone")


def _no_sideways_scroll(page, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} is {overflow}px too wide"


def _submit_without_csrf_token(page) -> None:
    """A form sent without its token, as from a page left open past its session."""
    page.evaluate(
        """() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/accounts/language/';
            document.body.appendChild(form);
            form.submit();
        }"""
    )
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", WIDTHS)
def test_error_pages_are_branded_translated_and_accessible(stack, new_page, viewport):
    page = new_page(viewport)
    page.context.set_extra_http_headers({"Accept-Language": "ru"})
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Страница не найдена"
    assert page.locator("html").get_attribute("lang") == "ru"
    seen = [("404", page)]
    page405 = new_page(viewport)
    response = page405.goto("/accounts/language/")
    assert response.status == 405
    seen.append(("405", page405))
    page403 = new_page(viewport)
    page403.goto("/")
    _submit_without_csrf_token(page403)
    assert page403.get_by_role("heading", level=1).inner_text() == "This form has expired"
    seen.append(("403", page403))
    for name, shown in seen:
        assert shown.locator("header.site-header").is_visible()
        assert check_accessibility(shown) == [], f"{name} at {viewport}"
        _no_sideways_scroll(shown, f"the {name} page at {viewport} width")
        screenshot(shown, f"error-{name}-{viewport}", full_page=False)


def test_the_favicon_answers(stack, new_page):
    page = new_page()
    response = page.request.get("/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"] == "image/x-icon"


READING = [
    "/consortia/",
    "/consortia/australian-orcid/",
    "/consortia/organizations/",
    "/contributors/",
    "/groups/",
    "/groups/technical-steering-group/",
    "/forums/",
    "/forums/api-users/",
    "/forums/ideas/",
    "/forums/search/?q=orcid",
    "/events/",
    "/events/apac-2026/",
]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_reading_pages_never_scroll_sideways_on_a_phone(stack, new_page, language):
    page = new_page("phone")
    page.context.set_extra_http_headers({"Accept-Language": language})
    for path in READING:
        response = page.goto(path)
        assert response.status == 200, path
        _no_sideways_scroll(page, f"{path} in {language}")
    page.goto("/forums/api-users/")
    page.locator("table a[href^='/forums/t/']").first.click()
    page.wait_for_load_state()
    _no_sideways_scroll(page, f"a topic in {language}")
