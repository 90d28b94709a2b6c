"""core.pagecache: whole pages served again without the view, never stale, never shared."""

import re
from datetime import timedelta

import pytest
from django.contrib import messages
from django.http import HttpResponse
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone

from contributors.services import membership_add
from core.pagecache import cached_page
from forums import services
from tests.factories.accounts import UserFactory
from tests.factories.consortia import ConsortiumFactory
from tests.factories.contributors import GroupFactory, contributor, steering_members
from tests.factories.forums import ForumFactory

pytestmark = pytest.mark.django_db


def _author(name="Ada Author"):
    return UserFactory(name=name, date_joined=timezone.now() - timedelta(days=30))


@pytest.fixture
def topic():
    forum = ForumFactory(slug="general", kind="general")
    return services.topic_create(forum=forum, by=_author(), title="Tokens", body="Why?")


@pytest.fixture
def pages(topic):
    person = contributor()
    consortium = ConsortiumFactory()
    return [
        "/",
        "/consortia/",
        "/consortia/?region=emea&q=university",
        consortium.get_absolute_url(),
        "/contributors/",
        f"/contributors/{person.orcid_id}/",
        "/forums/",
        topic.get_absolute_url(),
        "/forums/search/?q=token",
    ]


def _without_tokens(content: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


def test_a_second_visit_runs_no_query_and_shows_the_same_page(
    client, pages, django_assert_num_queries
):
    for url in pages:
        first = client.get(url)
        assert first.status_code == 200, url
        with django_assert_num_queries(0):
            second = client.get(url)
        assert second.status_code == 200
        assert _without_tokens(second.content) == _without_tokens(first.content), url
        assert second["Content-Type"] == first["Content-Type"]


def test_a_signed_in_persons_second_visit_runs_at_most_the_session_query(
    client, pages, django_assert_max_num_queries
):
    client.force_login(_author("Sam Signed"))
    for url in pages:
        first = client.get(url)
        with django_assert_max_num_queries(1):  # the session (the person is cached)
            second = client.get(url)
        assert _without_tokens(second.content) == _without_tokens(first.content), url
        assert "Sam Signed" in second.content.decode()


def test_the_review_pages_are_cached_per_reviewer(client, django_assert_max_num_queries):
    member = steering_members(3)[1]
    client.force_login(member)
    first = client.get("/review/")
    assert first.status_code == 200
    with django_assert_max_num_queries(1):
        assert _without_tokens(client.get("/review/").content) == _without_tokens(first.content)


def test_a_change_shows_at_once_on_a_cached_page(client, topic):
    url = topic.get_absolute_url()
    assert "Renew the token." not in client.get(url).content.decode()
    services.post_create(topic=topic, by=_author("Rita Reader"), body="Renew the token.")
    assert "Renew the token." in client.get(url).content.decode()


def test_a_cached_page_is_never_shown_to_another_viewer(client, topic):
    url = topic.get_absolute_url()
    client.force_login(_author("Sam Signed"))
    assert "Sam Signed" in client.get(url).content.decode()
    client.force_login(_author("Otto Other"))
    page = client.get(url).content.decode()
    assert "Otto Other" in page
    assert "Sam Signed" not in page
    client.logout()
    page = client.get(url).content.decode()
    assert "Otto Other" not in page
    assert "Sign in" in page


def test_leaving_a_group_closes_its_private_forum_at_once(client):
    """Permission checks skipped by a hit follow the data: the contributors area."""
    group = GroupFactory(slug="wg-api", kind="working")
    private = services.forum_create(
        slug="wg-api", name="API group", kind="group", group=group, is_private=True
    )
    insider = _author("Ines Insider")
    membership = membership_add(group=group, user=insider)
    topic = services.topic_create(forum=private, by=insider, title="Plans", body="Secret")
    url = topic.get_absolute_url()
    client.force_login(insider)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # from the cache

    membership.term_start = timezone.localdate() - timedelta(days=30)
    membership.term_end = timezone.localdate() - timedelta(days=1)
    membership.save()

    assert client.get(url).status_code == 404


def test_joining_the_steering_group_shows_review_in_the_cached_header(client):
    person = _author("Nia New")
    client.force_login(person)
    assert 'href="/review/"' not in client.get("/forums/").content.decode()
    steering_members(1)
    from contributors.models import Group

    membership_add(group=Group.objects.get(slug="steering-group"), user=person)
    assert 'href="/review/"' in client.get("/forums/").content.decode()


def test_a_waiting_message_is_shown_on_a_cached_page(client, topic):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.session import SessionStorage

    url = topic.get_absolute_url()
    client.get(url)  # cached now
    # Messages wait in the session (settings.MESSAGE_STORAGE: no cookie of their own).
    session = client.session
    request = RequestFactory().get("/")
    request.session = session
    storage = SessionStorage(request)
    storage.add(constants.SUCCESS, "Saved for you.")
    storage.update(None)
    session.save()
    assert "Saved for you." in client.get(url).content.decode()
    # Shown once: the next visit is the cached page again, without it.
    assert "Saved for you." not in client.get(url).content.decode()


def test_every_visitor_gets_a_token_of_their_own_in_a_cached_page(client, topic):
    url = topic.get_absolute_url()
    client.get(url)
    tokens = []
    for _ in range(2):
        visitor = type(client)(enforce_csrf_checks=True)
        html = visitor.get(url).content.decode()
        token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        tokens.append(token)
        switched = visitor.post(
            "/accounts/language/", {"csrfmiddlewaretoken": token, "language": "es", "next": "/"}
        )
        assert switched.status_code == 302
    assert tokens[0] != tokens[1]


def test_a_page_in_another_language_is_cached_apart(client, topic):
    url = topic.get_absolute_url()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'lang="en"' in english
    assert 'lang="ru"' in russian


def test_an_invalid_filter_is_answered_400_every_time(client):
    assert client.get("/consortia/?region=atlantis").status_code == 400
    assert client.get("/consortia/?region=atlantis").status_code == 400


# --- what is never kept -----------------------------------------------------------------


def _counting_view(template: str, *, status: int = 200, cookie: bool = False, header: bool = False):
    calls = []

    @cached_page("forums")
    def view(request):
        calls.append(1)
        html = engines["django"].from_string(template).render({}, request)
        response = HttpResponse(html, status=status)
        if cookie:
            response.set_cookie("seen", "1")
        if header:
            response["Cache-Control"] = "no-store"
        return response

    return view, calls


def _request(method="get"):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore

    request = getattr(RequestFactory(), method)("/somewhere/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize(
    ("template", "options"),
    [
        ("<form>{% csrf_token %}</form>", {}),  # a real token in the page
        ("<p>gone</p>", {"status": 404}),
        ("<p>a cookie</p>", {"cookie": True}),
        ("<p>a header</p>", {"header": True}),
    ],
)
def test_a_page_that_cannot_be_shared_is_drawn_every_time(template, options):
    view, calls = _counting_view(template, **options)
    view(_request())
    view(_request())
    assert len(calls) == 2


def test_a_plain_page_is_drawn_once_and_a_post_always_runs_the_view():
    view, calls = _counting_view("{% load portal %}<form>{% csrf_token_late %}</form>")
    view(_request())
    assert _has_page_in_cache()
    view(_request())
    assert len(calls) == 1
    view(_request("post"))
    assert len(calls) == 2


def test_a_page_that_adds_a_message_is_not_kept():
    @cached_page("forums")
    def view(request):
        messages.info(request, "Only once.")
        return HttpResponse("<p>hello</p>")

    request = _request()
    view(request)
    assert not _has_page_in_cache()


def _has_page_in_cache() -> bool:
    from django.core.cache import cache

    return any(key.startswith(":1:page:") for key in cache._cache)


def test_a_request_with_a_message_waiting_runs_the_view():
    view, calls = _counting_view("<p>hello</p>")
    view(_request())
    request = _request()
    messages.info(request, "Saved.")
    view(request)
    assert len(calls) == 2


def test_an_unknown_area_is_refused_when_the_view_is_declared():
    with pytest.raises(ValueError, match="unknown cache area"):
        cached_page("nowhere")


# --- query parameters: only those a page reads ---------------------------------------------


def _page_keys() -> set:
    from django.core.cache import cache

    return {key for key in cache._cache if key.startswith(":1:page:")}


def test_made_up_query_parameters_share_the_one_copy(client, pages, django_assert_num_queries):
    for url in pages:
        first = client.get(url)
        keys = _page_keys()
        joiner = "&" if "?" in url else "?"
        for i in range(20):
            with django_assert_num_queries(0):
                flooded = client.get(f"{url}{joiner}utm_source=x{i}&made-up={i}")
            assert flooded.status_code == 200
            assert _without_tokens(flooded.content) == _without_tokens(first.content), url
        assert _page_keys() == keys, f"{url}: made-up parameters made new copies"


def test_the_parameters_a_page_names_still_make_their_own_copies(client, topic):
    services.topic_create(
        forum=topic.forum, by=_author(), title="Orcid sign-in", body="How to sign in?"
    )
    link = f'href="/forums/p/{topic.posts.get(is_first=True).pk}/"'
    assert link in client.get("/forums/search/?q=token").content.decode()
    assert link not in client.get("/forums/search/?q=sign").content.decode()
    assert len(_page_keys()) == 2


def test_the_view_sees_only_the_parameters_it_names_in_their_order():
    seen = []

    @cached_page("forums", query=("q", "page"))
    def view(request):
        seen.append((request.GET.urlencode(), request.get_full_path()))
        return HttpResponse("<p>results</p>")

    request = RequestFactory().get("/search/?page=2&x=1&q=orcid&q=api&utm=mail")
    request.user = _request().user
    view(request)
    assert seen == [("q=orcid&q=api&page=2", "/search/?q=orcid&q=api&page=2")]
    again = RequestFactory().get("/search/?utm=other&q=orcid&page=2&q=api")
    again.user = request.user
    view(again)
    assert len(seen) == 1  # the same page: served from the cache


def _apart() -> dict:
    """Cached HTML in a cache of its own, as with PAGE_CACHE_URL."""
    locmem = "django.core.cache.backends.locmem.LocMemCache"
    return {
        "default": {"BACKEND": locmem, "LOCATION": "tests-apart-default"},
        "pages": {"BACKEND": locmem, "LOCATION": "tests-apart-pages"},
    }


def test_with_a_page_cache_of_its_own_the_html_is_kept_there_and_nothing_else(
    client, pages, django_assert_num_queries
):
    from django.core.cache import caches
    from django.test import override_settings

    with override_settings(CACHES=_apart()):
        for name in ("default", "pages"):
            caches[name].clear()
        try:
            for url in pages:
                first = client.get(url)
                with django_assert_num_queries(0):
                    second = client.get(url)
                assert _without_tokens(second.content) == _without_tokens(first.content)
            html = set(caches["pages"]._cache)
            rest = set(caches["default"]._cache)
            assert any(":page:" in key for key in html)
            assert not any(":template.cache." in key for key in html | rest)  # no fragments
            assert not any(":page:" in key for key in rest)
            assert any(":generation:" in key for key in rest)
            assert not any(":generation:" in key for key in html)
            # A change still shows at once: the generations decide.
            url = "/forums/"
            services.forum_create(slug="news", name="Portal news", kind="general")
            assert "Portal news" in client.get(url).content.decode()
        finally:
            for name in ("default", "pages"):
                caches[name].clear()
