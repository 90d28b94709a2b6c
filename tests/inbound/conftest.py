import pytest
from django.test import override_settings

from tests.factories.accounts import person
from tests.factories.forums import ForumFactory

DOMAIN = "community.orcid.example"


@pytest.fixture(autouse=True)
def _trusted_server():
    # The receiving mail server of these tests calls itself mx.community.orcid.example.
    with override_settings(
        MAIL_LIST_ID_DOMAIN=DOMAIN, INBOUND_TRUSTED_AUTHSERV_IDS=["mx.community.orcid.example"]
    ):
        yield


@pytest.fixture
def api_users(db):
    return ForumFactory(slug="api-users", name="ORCID API Users", kind="api_users", position=0)


@pytest.fixture
def ana(db):
    return person(name="Ana Author", email="ana@example.org")


@pytest.fixture
def ben(db):
    return person(name="Ben Reader", email="ben@example.org")
