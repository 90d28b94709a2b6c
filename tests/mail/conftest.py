import pytest

from forums import services as forums
from mail import services as mail
from tests.factories.forums import ForumFactory
from tests.forums.conftest import person


@pytest.fixture(autouse=True)
def _fast_passwords_and_fresh_sections(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    mail.digest_sections_forget()  # a process-wide cache; ids repeat between tests
    yield
    mail.digest_sections_forget()


@pytest.fixture
def api_users(db):
    return ForumFactory(slug="api-users", name="ORCID API Users", kind="api_users", position=0)


@pytest.fixture
def general(db):
    return ForumFactory(slug="general", name="General", kind="general", position=1)


@pytest.fixture
def ana(db):
    return person(name="Ana Author", email="ana@example.org")


@pytest.fixture
def ben(db):
    return person(name="Ben Reader", email="ben@example.org")


@pytest.fixture
def cleo(db):
    return person(name="Cleo Digest", email="cleo@example.org")


def watch(user, mode, *, forum=None, topic=None):
    return forums.subscription_set(user=user, mode=mode, forum=forum, topic=topic)
