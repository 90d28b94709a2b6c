import pytest
from django.test import override_settings

DOMAIN = "community.orcid.example"


@pytest.fixture(autouse=True)
def _trusted_server():
    # The receiving mail server of these tests calls itself mx.community.orcid.example.
    with override_settings(
        MAIL_LIST_ID_DOMAIN=DOMAIN, INBOUND_TRUSTED_AUTHSERV_IDS=["mx.community.orcid.example"]
    ):
        yield


@pytest.fixture
def staff_user(db):
    from tests.factories.accounts import staff_person

    return staff_person()
