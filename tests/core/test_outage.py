"""PostgreSQL out of reach: pages that need it answer a branded 503 with Retry-After in the
reader's language (core/outage.py); cached pages keep serving; /healthz says 503 as before;
an error of a query on a database that is up stays a 500."""

from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connections
from django.test import Client

from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def _down(cause: Exception | None = None):
    """Every new cursor fails as when the server is away (or with ``cause``)."""
    error = OperationalError("connection failed: Connection refused")
    error.__cause__ = cause

    def cursor(*args, **kwargs):
        raise error

    return mock.patch.object(type(connections["default"]), "cursor", cursor)


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Back in a moment"), ("es", "Volvemos enseguida")],
)
def test_a_page_that_needs_the_database_answers_a_branded_503_in_the_readers_language(
    visitor, language, words
):
    with _down():
        response = visitor.get("/consortia/?uncached=1", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert "ORCID" in html
    assert words in html


def test_a_signed_in_person_gets_the_503_too(visitor):
    visitor.force_login(UserFactory())
    with _down():
        response = visitor.get("/forums/?uncached=1")
    assert response.status_code == 503


def test_a_cached_page_keeps_serving(visitor):
    assert visitor.get("/consortia/").status_code == 200
    with _down():
        assert visitor.get("/consortia/").status_code == 200


def test_healthz_answers_503_with_its_json(visitor):
    with _down():
        response = visitor.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_a_failed_query_on_a_database_that_is_up_stays_a_500(visitor):
    with _down(cause=psycopg.errors.DeadlockDetected()):
        response = visitor.get("/consortia/?uncached=1")
    assert response.status_code == 500
    assert "Retry-After" not in response
