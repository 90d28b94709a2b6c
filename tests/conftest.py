import pytest
from django.core.cache import caches
from django.test import override_settings

from orcid_community.celery import app as celery_app


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks():
    """Unit tests run tasks in-process and keep the cache per test.

    With REDIS_URL set (CI), the broker and cache are real; the tests that need them say
    so explicitly. Everything else must not depend on a worker or leak cache state.
    """
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    locmem = "django.core.cache.backends.locmem.LocMemCache"
    default = {"BACKEND": locmem, "LOCATION": "tests-default"}
    with override_settings(
        CACHES={
            "default": default,
            # Cached HTML with the rest, as with one Redis (tests that need it apart say so).
            "pages": default,
            "local": {"BACKEND": locmem, "LOCATION": "tests-local"},
        }
    ):
        # Local-memory caches of one LOCATION share their data within the process: start
        # each test empty.
        for name in ("default", "pages", "local"):
            caches[name].clear()
        yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def password() -> str:
    return "correct-horse-battery-staple"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Every test hashes passwords with the fast hasher (PBKDF2's million rounds per person
    made would dominate the run time). A test about hashing sets its own hasher on top; the
    processes the tests start (the browser tests' stack, the mail worker, the drills) run
    with their own settings and keep the production hasher."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def pytest_collection_modifyitems(config, items):
    # Browser tests last: they start the stack once and take the longest.
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath).replace("\\", "/"))
