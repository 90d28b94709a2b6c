"""What the portal promises in public (issue 20): the privacy notice, the accessibility
statement and the forum rules, in six languages, linked from every page and from sign-up;
and the only cookies it sets are the three the notice names."""

import re

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import UserFactory
from tests.helpers import assert_clean_markup, compile_catalogs

pytestmark = pytest.mark.django_db

PAGES = {
    "/privacy/": "Privacy notice",
    "/accessibility/": "Accessibility statement",
    "/conduct/": "Forum rules and code of conduct",
}
LANGUAGES = ["zh-hans", "zh-hant", "pt-br", "es", "ru"]
PASSWORD = "a long enough password"


@pytest.fixture
def catalogs():
    compile_catalogs()
    # The test client leaves the last request's language active on this thread.
    with translation.override(translation.get_language()):
        yield


def _article_text(html: str) -> list[str]:
    """The text nodes of the page's <article> (the policy itself, not the header)."""
    article = re.search(r'(?s)<article class="policy">(.*?)</article>', html).group(1)
    nodes = (re.sub(r"\s+", " ", n).strip() for n in re.split(r"<[^>]+>", article))
    return [n for n in nodes if n]


@pytest.mark.parametrize(("path", "title"), PAGES.items())
def test_each_page_is_public_well_formed_and_linked_from_every_page(client, path, title):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert_clean_markup(html)
    client.force_login(UserFactory())
    for page in ("/", "/consortia/", path):
        assert f'href="{path}"' in client.get(page).content.decode()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_page_is_fully_translated(client, catalogs, path, language):
    english = _article_text(client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    html = client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<html lang="{language}">' in html
    translated = _article_text(html)
    # Every sentence is translated; what stays the same is a name, an address or a word
    # such as "Cookies" (shorter than a sentence).
    left = [text for text in english if len(text) >= 24 and text in translated]
    assert left == []
    assert len(translated) >= len(english) - 2


def test_the_sign_up_page_links_the_rules_and_the_privacy_notice(client):
    html = client.get("/accounts/signup/").content.decode()
    assert 'href="/conduct/">forum rules</a>' in html
    assert 'href="/privacy/">privacy notice</a>' in html
    # Only sign-up says so above the footer, not the sign-in page.
    login = client.get("/accounts/login/").content.decode()
    assert 'href="/privacy/"' not in login.split("<footer")[0]


def test_the_privacy_notice_states_the_periods_the_settings_hold(client, settings):
    settings.RETENTION_DELIVERY_DAYS = 45
    settings.RETENTION_IP_ADDRESS_DAYS = 1
    settings.DATA_EXPORT_LINK_HOURS = 24
    settings.SESSION_COOKIE_AGE = 14 * 86400
    html = re.sub(r"\s+", " ", client.get("/privacy/").content.decode())
    assert "Mail delivery records are deleted 45 days after the message was sent." in html
    assert "the IP address a signature was sent from is deleted 1 day after signing." in html
    assert "a link to it that works for 24 hours." in html
    assert "A sign-in lasts at most 14 days" in html


def test_the_privacy_notice_says_how_to_download_and_delete_and_names_the_cookies(client):
    html = client.get("/privacy/").content.decode()
    assert '<a href="/accounts/data/">/accounts/data/</a>' in html
    assert '<a href="/accounts/delete/">/accounts/delete/</a>' in html
    for name in ("sessionid", "csrftoken", "django_language"):
        assert f"<code>{name}</code>" in html
    assert f'href="mailto:{settings.CONTACT_EMAIL}"' in html


def test_the_accessibility_statement_names_its_target_and_how_it_is_tested(client):
    html = client.get("/accessibility/").content.decode()
    assert "WCAG) 2.2 at level AA" in re.sub(r"\s+", " ", html)
    assert "axe-core" in html


def test_a_visitor_and_a_person_get_only_the_session_csrf_and_language_cookies(client):
    """Signing in, a refused sign-in, the language switcher, a form with a message: the
    cookies set on the way are the three the privacy notice names, none other."""
    allowed = {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
    }
    UserFactory(email="ana@example.org", password=PASSWORD)
    seen: set[str] = set()

    def visit(method: str, path: str, data: dict | None = None) -> None:
        getattr(client, method)(path, data or {}, follow=True)
        # The client keeps every cookie a response set, a deleted one too.
        seen.update(client.cookies.keys())

    visit("get", "/")
    visit("get", "/accounts/signup/")
    visit("post", "/accounts/login/", {"login": "ana@example.org", "password": "wrong"})
    visit("post", "/accounts/language/", {"language": "es", "next": "/"})
    visit("post", "/accounts/login/", {"login": "ana@example.org", "password": PASSWORD})
    assert client.session.get("_auth_user_id")
    visit("get", "/accounts/profile/")
    visit("post", "/accounts/logout/")
    assert seen <= allowed
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME} <= seen
