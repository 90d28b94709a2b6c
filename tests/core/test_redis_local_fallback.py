"""core.redis_cache's LOCAL_WHEN_DOWN: the keys named there (allauth's rate limits) live in
the process while Redis does not answer; every other key still misses."""

from core import redis_cache
from tests.helpers import free_port

DEAD = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


def _backend() -> redis_cache.RedisCache:
    options = {"socket_connect_timeout": 0.5, "LOCAL_WHEN_DOWN": ["allauth:rl:"]}
    return redis_cache.RedisCache(DEAD, {"KEY_PREFIX": "occ", "OPTIONS": options})


def test_named_keys_are_kept_in_the_process_while_redis_is_away():
    cache = _backend()
    assert cache.add("allauth:rl:login:lock", True, 10) is True  # allauth's lock is taken
    assert cache.add("allauth:rl:login:lock", True, 10) is False  # and held
    cache.delete("allauth:rl:login:lock")
    assert cache.add("allauth:rl:login:lock", True, 10) is True
    cache.set("allauth:rl:login", [1.0, 2.0], 60)
    assert cache.get("allauth:rl:login", []) == [1.0, 2.0]


def test_other_keys_still_miss_while_redis_is_away():
    cache = _backend()
    cache.set("page:allauth:rl:x", "<p>cached</p>", 60)
    assert cache.get("page:allauth:rl:x") is None
    assert cache.add("ratelimit:join", 0, 60) is False
