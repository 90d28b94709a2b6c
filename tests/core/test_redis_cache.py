"""core.redis_cache: a Redis that does not answer is a cache miss, and nothing stays stale."""

import os
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from core import redis_cache
from forums import services
from tests.factories.accounts import UserFactory
from tests.factories.forums import ForumFactory
from tests.helpers import free_port, wait_until

DEAD = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
LIVE = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not LIVE, reason="needs REDIS_URL (a real Redis)")


def _backend(url: str) -> redis_cache.RedisCache:
    return redis_cache.RedisCache(url, {"KEY_PREFIX": "test-outage", "OPTIONS": OPTIONS})


def test_reads_miss_and_writes_are_dropped_while_redis_is_away():
    cache = _backend(DEAD)
    assert cache.get("page", "missing") == "missing"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("a") is False
    cache.set("a", 1)
    cache.set_many({"a": 1, "b": 2})
    assert cache.add("a", 1) is False
    assert cache.incr("generation:forums") is None
    assert cache.delete("auth-user:1") is False
    assert cache._cache._stale == {_key(cache, "generation:forums"), _key(cache, "auth-user:1")}


def test_after_a_failure_redis_is_left_alone_for_a_moment(monkeypatch):
    cache = _backend(DEAD)
    cache.get("a")
    asked = []
    monkeypatch.setattr(redis_cache.RedisCacheClient, "get_client", lambda *a, **k: asked.append(1))
    for _ in range(50):
        assert cache.get("a") is None
    assert asked == []


def _key(cache, name: str) -> str:
    return cache.make_and_validate_key(name)


@needs_redis
def test_what_changed_during_the_outage_is_dropped_when_redis_answers_again():
    live = redis.Redis.from_url(LIVE)
    cache = _backend(LIVE)
    cache.set("page:topic", "<p>before the outage</p>")
    cache.set("generation:forums", 41)
    cache.set("untouched", "kept")
    client = cache._cache
    # The outage: this process's pool points nowhere.
    client._servers = [DEAD]
    client._pools.clear()
    client._clients.clear()
    cache.delete("page:topic")
    assert cache.incr("generation:forums") is None  # a bump that could not be made
    assert cache.bump(["generation:events"], 7) is False  # nor by core.cache's call
    assert live.exists(_key(cache, "page:topic"))  # still in Redis, stale
    # Redis answers again.
    client._servers = [LIVE]
    client._pools.clear()
    client._clients.clear()
    client._retry_at = 0.0
    assert cache.get("untouched") == "kept"
    assert cache.get("page:topic") is None
    assert cache.get("generation:forums") is None  # restarts from the clock (core.cache)
    assert cache.get("generation:events") is None
    assert client._stale == set()
    cache.delete_many(["untouched"])


@needs_redis
def test_a_bump_adds_one_to_each_generation_in_one_round_trip(monkeypatch):
    cache = _backend(LIVE)
    cache.set("generation:forums", 41)
    cache.delete("generation:events")
    trips = []
    monkeypatch.setattr(redis.Redis, "execute_command", lambda *a, **k: trips.append(a))
    real_execute = redis.client.Pipeline.execute

    def execute(pipe, *args, **kwargs):
        trips.append("pipeline")
        return real_execute(pipe, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    assert cache.bump(["generation:forums", "generation:events"], 1000) is True
    assert trips == ["pipeline"]
    monkeypatch.undo()
    # An existing generation moves by one; a missing one starts from the value given.
    assert cache.get_many(["generation:forums", "generation:events"]) == {
        "generation:forums": 42,
        "generation:events": 1001,
    }
    cache.delete_many(["generation:forums", "generation:events"])


def _caches(location: str, **options) -> dict:
    """The portal's caches on the one Redis at ``location`` (no PAGE_CACHE_URL)."""
    default = {
        "BACKEND": "core.redis_cache.RedisCache",
        "LOCATION": location,
        "OPTIONS": OPTIONS,
        **options,
    }
    return {
        "default": default,
        "pages": default,
    }


@pytest.fixture
def author_and_topic(db):
    forum = ForumFactory(slug="general", kind="general")
    author = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    topic = services.topic_create(forum=forum, by=author, title="Cached", body="Hello")
    return author, topic


def test_the_portal_keeps_working_without_redis(client, author_and_topic):
    """Pages are drawn from the database and a reply is saved (its bumps are remembered)."""
    author, topic = author_and_topic
    with override_settings(CACHES=_caches(DEAD)):
        assert client.get("/").status_code == 200
        assert client.get("/forums/").status_code == 200
        client.force_login(author)
        url = topic.get_absolute_url()
        assert client.get(url).status_code == 200
        reply = client.post(f"/forums/t/{topic.pk}/reply/", {"body": "Still here."})
        assert reply.status_code == 302
        assert "Still here." in client.get(url).content.decode()
    assert topic.posts.filter(body="Still here.").exists()


def test_the_portal_keeps_working_when_only_the_html_redis_is_away(client, author_and_topic):
    """PAGE_CACHE_URL's Redis unreachable: pages are drawn every time, nothing fails."""
    author, topic = author_and_topic
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": _caches(DEAD)["pages"],
    }
    with override_settings(CACHES=caches):
        for url in ("/", "/consortia/", "/forums/", topic.get_absolute_url()):
            assert client.get(url).status_code == 200
            assert client.get(url).status_code == 200
        client.force_login(author)
        reply = client.post(f"/forums/t/{topic.pk}/reply/", {"body": "Pages come later."})
        assert reply.status_code == 302
        assert "Pages come later." in client.get(topic.get_absolute_url()).content.decode()


@needs_redis
def test_everything_cached_expires_but_the_generations(client, author_and_topic):
    """``REDIS_URL``'s Redis runs with ``volatile-lru`` (docker-compose.yml): under memory
    pressure it evicts only keys that expire. With it alone (no ``PAGE_CACHE_URL``) it also
    holds pages and fragments. Pages, fragments, sessions and people must expire, so a
    flood of distinct URLs cannot fill Redis; generations must not, so none is evicted
    needlessly (an evicted one restarts from the clock: safe, but every page is drawn
    anew)."""
    import uuid

    author, topic = author_and_topic
    prefix = f"test-ttl-{uuid.uuid4().hex}"
    store = redis.Redis.from_url(LIVE)
    try:
        with override_settings(CACHES=_caches(LIVE, KEY_PREFIX=prefix)):
            for signed_in in (False, True):
                if signed_in:
                    client.force_login(author)
                for url in ("/", "/consortia/?q=x", "/forums/", topic.get_absolute_url()):
                    assert client.get(url).status_code == 200
                assert client.get("/forums/search/?q=hello").status_code == 200
        keys = [key.decode() for key in store.scan_iter(f"{prefix}:*")]
        lasting = sorted(key.split(":", 2)[2] for key in keys if store.ttl(key) == -1)
        assert any(key.startswith(f"{prefix}:1:page:") for key in keys)
        assert lasting, "the generations are kept without expiry"
        assert [key for key in lasting if not key.startswith("generation:")] == []
    finally:
        for key in store.scan_iter(f"{prefix}:*"):
            store.delete(key)


# --- Two Redis roles: a flood of pages cannot evict what must stand --------------------------


def _wait_for(client: redis.Redis, seconds: float = 10.0) -> None:
    def answers() -> bool:
        try:
            return client.ping()
        except redis.exceptions.ConnectionError:
            return False

    wait_until(answers, timeout=seconds, what="the redis-server answering")


@pytest.fixture
def html_redis():
    """The Redis for cached HTML, bounded to 4 MB and evicting any key (allkeys-lru), as
    docker-compose.yml runs it: ``PAGE_CACHE_URL``'s (configured for the test and set back
    after), else a redis-server of the test's own."""
    import shutil
    import subprocess

    bounds = {"maxmemory": "4mb", "maxmemory-policy": "allkeys-lru"}
    given = os.environ.get("PAGE_CACHE_URL", "")
    if given:
        server = redis.Redis.from_url(given)
        before = {name: server.config_get(name)[name] for name in bounds}
        server.flushdb()
        for name, value in bounds.items():
            server.config_set(name, value)
        server.config_resetstat()
        try:
            yield given
        finally:
            server.flushdb()
            for name, value in before.items():
                server.config_set(name, value)
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs PAGE_CACHE_URL or redis-server for a second Redis")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + [arg for name, value in bounds.items() for arg in (f"--{name}", value)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for(redis.Redis.from_url(url))
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


FLOOD = 100_000
THROUGH_THE_VIEW = 2_000


@needs_redis
def test_a_flood_of_pages_evicts_no_session_rate_limit_counter_or_generation(html_redis, db):
    """100,000 distinct URLs' pages in the page cache, on an HTML Redis of 4 MB: it evicts,
    and what lives in the main Redis — a session, a rate-limit counter, the generations —
    still stands.

    The first 2,000 URLs go through a ``@cached_page`` view (each a miss: a read of the
    generations, a read and a write of the page, three round trips); the other 98,000
    pages are written as that view writes them, under their own URL's key, a thousand at
    a time, so the test takes seconds rather than minutes.
    """
    import uuid

    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.cache import SessionStore
    from django.core.cache import caches as cache_handler
    from django.http import HttpResponse
    from django.test import RequestFactory

    from core import cache as generations
    from core import ratelimit
    from core.pagecache import PAGE_SECONDS, cached_page, page_key

    prefix = f"test-flood-{uuid.uuid4().hex}"
    main = redis.Redis.from_url(LIVE)
    html = redis.Redis.from_url(html_redis)
    caches = _caches(LIVE, KEY_PREFIX=prefix)
    caches["pages"] = {**caches["default"], "LOCATION": html_redis}
    factory = RequestFactory()
    body = "<p>" + "A page of the forums. " * 40 + "</p>"  # about 1 KB
    flagger = UserFactory()

    @cached_page("forums", query=("page",))
    def forum_page(request):
        return HttpResponse(body)

    def attempt_to_flag():
        request = factory.post("/forums/p/1/flag/", {"reason": "spam"})
        request.user = flagger
        return ratelimit.refusal(request, "flag")

    def request_for(n: int):
        # Every URL distinct; the made-up parameter makes no copy of its own.
        request = factory.get("/forums/", {"page": n, "utm": uuid.uuid4().hex})
        request.user = AnonymousUser()
        return request

    try:
        with override_settings(
            CACHES=caches,
            SESSION_ENGINE="django.contrib.sessions.backends.cache",
            RATE_LIMITS={**settings.RATE_LIMITS, "flag": "2/h"},
        ):
            session = SessionStore()
            session["who"] = "Rita Reader"
            session.create()
            assert attempt_to_flag() is None  # one of two this hour
            before = generations.generation(*generations.AREAS)

            for n in range(THROUGH_THE_VIEW):
                assert forum_page(request_for(n)).status_code == 200
            assert html.dbsize() > 0
            name = f"{forum_page.__module__}.{forum_page.__qualname__}"
            entry = (generations.generation("forums"), "text/html; charset=utf-8", body.encode())
            pages = cache_handler["pages"]
            request = request_for(0)
            for start in range(THROUGH_THE_VIEW, FLOOD, 1000):
                batch = {}
                for n in range(start, min(start + 1000, FLOOD)):
                    request.META["QUERY_STRING"] = f"page={n}"  # as the view's wrapper leaves it
                    batch[page_key(name, request)] = entry
                pages.set_many(batch, PAGE_SECONDS)

            assert html.info("stats")["evicted_keys"] > 0, "the flood did not fill the HTML Redis"
            assert SessionStore(session.session_key).load() == {"who": "Rita Reader"}
            assert attempt_to_flag() is None  # the second: the first was still counted
            assert attempt_to_flag().status_code == 429
            assert generations.generation(*generations.AREAS) == before
        assert not list(main.scan_iter(f"{prefix}:*page:*", count=1000))
    finally:
        for key in main.scan_iter(f"{prefix}:*", count=1000):
            main.delete(key)
