"""Redis away or frozen: sign-in, sign-up and password reset work, and allauth's rate limits
still hold, counted in each process (core.redis_cache's LOCAL_WHEN_DOWN)."""

import time

import pytest
from django.test import override_settings

from orcid_community.settings import _redis_cache
from tests.drills.faults import RedisServer
from tests.factories.accounts import UserFactory
from tests.helpers import free_port

pytestmark = pytest.mark.django_db

PASSPHRASE = "a-long-enough-passphrase-2026"
DEAD = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


def _caches(url: str) -> dict:
    """The portal's caches as settings.py makes them, on the Redis at ``url``."""
    default = _redis_cache(url)
    return {
        "default": default,
        "pages": default,
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }


def _account_pages_work(client) -> None:
    UserFactory(email="member@example.org", password=PASSPHRASE)
    signed_in = client.post(
        "/accounts/login/", {"login": "member@example.org", "password": PASSPHRASE}
    )
    assert signed_in.status_code == 302, signed_in.content[:300]
    assert "/login/" not in signed_in["Location"]
    client.logout()
    signed_up = client.post(
        "/accounts/signup/",
        {"name": "Nadia New", "email": "new@example.org", "password1": PASSPHRASE, "password2": PASSPHRASE},
    )  # fmt: skip
    assert signed_up.status_code == 302
    client.logout()
    reset = client.post("/accounts/password/reset/", {"email": "member@example.org"})
    assert reset.status_code == 302
    assert "/done/" in reset["Location"]


def test_sign_in_sign_up_and_password_reset_work_while_redis_is_away(client):
    with override_settings(CACHES=_caches(DEAD)):
        _account_pages_work(client)


def test_allauths_limits_still_hold_per_process_while_redis_is_away(client):
    """Five resets a minute for one address (allauth's default), then 429."""
    UserFactory(email="member@example.org")
    with override_settings(CACHES=_caches(DEAD)):
        answers = [
            client.post("/accounts/password/reset/", {"email": "member@example.org"}).status_code
            for _ in range(6)
        ]
    assert answers == [302] * 5 + [429]


def test_sign_in_answers_within_two_seconds_while_redis_is_frozen(client, tmp_path):
    redis = RedisServer(tmp_path / "redis", tmp_path / "redis.log")
    try:
        redis.start()
        with override_settings(CACHES=_caches(redis.url())):
            redis.freeze()
            UserFactory(email="member@example.org", password=PASSPHRASE)
            started = time.monotonic()
            signed_in = client.post(
                "/accounts/login/", {"login": "member@example.org", "password": PASSPHRASE}
            )
            took = time.monotonic() - started
    finally:
        redis.stop()
    assert signed_in.status_code == 302
    assert "/login/" not in signed_in["Location"]
    assert took < 2.5, f"sign-in took {took:.1f} s on a frozen Redis"
