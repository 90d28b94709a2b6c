import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from orcid_community.celery import app as celery_app
from orcid_community.celery import configure as configure_celery


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks():
    """Unit tests run tasks in-process and keep the cache per test.

    With REDIS_URL set (CI), the broker and cache are real; the tests that need them say
    so explicitly. Everything else must not depend on a worker or leak cache state.
    """
    eager = celery_app.conf.task_always_eager
    locmem = "django.core.cache.backends.locmem.LocMemCache"
    default = {"BACKEND": locmem, "LOCATION": "tests-default"}
    with override_settings(
        CACHES={
            "default": default,
            # Cached HTML with the rest, as with one Redis (tests that need it apart say so).
            "pages": default,
        }
    ):
        # Local-memory caches of one LOCATION share their data within the process: start
        # each test empty.
        for name in ("default", "pages"):
            caches[name].clear()
        # Set inside override_settings: Celery's configuration reads Django's settings
        # lazily, and a value set before the override would be read from under it.
        configure_celery(task_always_eager=True)
        yield
    configure_celery(task_always_eager=eager)


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


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker):
    """The demo data (seed_demo), made once for the tests of a module rather than once for
    each: in a transaction of the module, rolled back after its last test. Each test runs
    in a savepoint inside it (pytest-django's ``db``), so each starts from the same freshly
    seeded data, whatever the tests before it changed. Its value: when the seeding ended.
    Until the module's last test, every test of the module sees the data: a module of demo
    tests only asks for it."""
    eager = celery_app.conf.task_always_eager
    configure_celery(task_always_eager=True)  # as in every test (see above)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            call_command("seed_demo", quiet_accounts=True)
            yield timezone.now()
            transaction.set_rollback(True)
    finally:
        configure_celery(task_always_eager=eager)


def pytest_collection_modifyitems(config, items):
    # Browser tests last: they start the stack once and take the longest.
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath).replace("\\", "/"))


# The people and the list the mail tests (mail in and mail out) share.
@pytest.fixture
def api_users(db):
    from tests.factories.forums import ForumFactory  # when used: factories need Django set up

    return ForumFactory(slug="api-users", name="ORCID API Users", kind="api_users", position=0)


@pytest.fixture
def ana(db):
    from tests.factories.accounts import person  # when used: see api_users

    return person(name="Ana Author", email="ana@example.org")


@pytest.fixture
def ben(db):
    from tests.factories.accounts import person  # when used: see api_users

    return person(name="Ben Reader", email="ben@example.org")
