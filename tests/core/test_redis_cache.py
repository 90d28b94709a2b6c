"""core.redis_cache: a Redis that does not answer is a cache miss, and nothing stays stale."""

import os
import socket
from datetime import timedelta

import pytest
import redis
from django.test import override_settings
from django.utils import timezone

from core import redis_cache
from forums import services
from tests.factories.accounts import UserFactory
from tests.factories.forums import ForumFactory


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


DEAD = f"redis://127.0.0.1:{_closed_port()}/0"
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
    assert live.exists(_key(cache, "page:topic"))  # still in Redis, stale
    # Redis answers again.
    client._servers = [LIVE]
    client._pools.clear()
    client._clients.clear()
    client._retry_at = 0.0
    assert cache.get("untouched") == "kept"
    assert cache.get("page:topic") is None
    assert cache.get("generation:forums") is None  # restarts from the clock (core.cache)
    assert client._stale == set()
    cache.delete_many(["untouched"])


def _caches(location: str, **options) -> dict:
    """The portal's caches with the default one on the Redis at ``location``."""
    return {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": location,
            "OPTIONS": OPTIONS,
            **options,
        },
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }


@pytest.fixture
def author_and_topic(db):
    forum = ForumFactory(slug="general", kind="general")
    author = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    topic = services.topic_create(forum=forum, author=author, title="Cached", body="Hello")
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


@needs_redis
def test_everything_cached_expires_but_the_generations(client, author_and_topic):
    """Redis runs with ``volatile-lru`` (docker-compose.yml): under memory pressure it evicts
    only keys that expire. Pages, fragments, sessions and people must expire, so a flood of
    distinct URLs cannot fill Redis; generations must not, so none is evicted needlessly
    (an evicted one restarts from the clock: safe, but every page is drawn anew)."""
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
