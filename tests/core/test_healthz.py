import os
from unittest import mock

import pytest
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}


def test_healthz_is_503_when_the_database_does_not_answer(client):
    with mock.patch("core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_healthz_reports_a_broker_that_does_not_answer_without_failing(client, settings):
    # Port 1 on loopback refuses connections: a broker that is down.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "error"}


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no real broker")
def test_healthz_sees_the_real_broker(client, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert client.get("/healthz").json() == {"database": "ok", "broker": "ok"}
