"""Forum mail through a real Celery worker on Redis and a real SMTP receiver (aiosmtpd).

The worker is ``celery -A orcid_community worker`` started here against the pytest test
database (PostgreSQL) and a Redis database of its own; it delivers to an SMTP receiver in
this process. Without PostgreSQL and Redis the tests are skipped with the reason; with
REQUIRE_E2E=1 (CI) they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core import signing
from django.db import connections
from django.utils import timezone

from forums import digests
from forums import services as forums
from mail import services
from mail.models import Delivery
from orcid_community.celery import app as celery_app
from tests.factories.forums import ForumFactory
from tests.forums.conftest import person
from tests.mail.conftest import watch
from tests.stack import Mailbox, SmtpReceiver, missing_services, require

ROOT = Path(__file__).resolve().parents[2]
DEAD_BROKER = "redis://127.0.0.1:9/5"  # discard port: nothing listens


def _live_broker() -> str:
    redis = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(redis._replace(path="/5"))  # a Redis database of our own


def _reset_producers() -> None:
    """Forget pooled broker connections so the next publish uses the current broker_url."""
    from kombu import pools

    pools.reset()  # kombu's process-wide producer pools, keyed by connection
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def broker(url: str):
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, False
    _reset_producers()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        _reset_producers()


class Worker:
    def __init__(self, database_name: str, mailbox_port: int, log: Path):
        server = urlsplit(os.environ["DATABASE_URL"])
        self.log_path = log
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DATABASE_URL": urlunsplit(server._replace(path=f"/{database_name}")),
            "REDIS_URL": _live_broker(),
            "EMAIL_URL": f"smtp://127.0.0.1:{mailbox_port}",
            "DJANGO_DEBUG": "true",
            # Same key as this process: the unsubscribe links it signs must verify here.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "SITE_URL": settings.SITE_URL,
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        redis.Redis.from_url(_live_broker()).flushdb()
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "orcid_community", "worker"]
            + ["--loglevel=INFO", "--concurrency=2", "--without-heartbeat", "--without-gossip"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready." in self.log_path.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"worker not ready:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def worker_and_mailbox(django_db_setup, django_db_blocker):
    require(missing_services(), "the worker integration tests")
    mailbox = Mailbox()
    smtp = SmtpReceiver(mailbox.add)
    smtp.start()
    logs = ROOT / "artifacts" / "e2e-logs"
    logs.mkdir(parents=True, exist_ok=True)
    worker = Worker(
        connections["default"].settings_dict["NAME"], smtp.port, logs / "mail-worker.log"
    )
    try:
        worker.start()
        yield worker, mailbox
    finally:
        worker.stop()
        smtp.stop()


@pytest.fixture
def mailbox(worker_and_mailbox, transactional_db):
    _worker, box = worker_and_mailbox
    with box.lock:
        box.messages.clear()
    return box


def wait_until(check, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached within {timeout}s")


def test_a_broker_outage_loses_nothing_and_sends_everything_once(mailbox, client):
    api_users = ForumFactory(slug="api-users", name="ORCID API Users", kind="api_users")
    ana, ben, cleo, dan = (person(name=n) for n in ("Ana", "Ben", "Cleo", "Dan"))
    watch(ben, "each", forum=api_users)
    watch(cleo, "each", forum=api_users)
    watch(dan, "daily", forum=api_users)

    with broker(DEAD_BROKER):
        topic = forums.topic_create(forum=api_users, author=ana, title="Outage", body="Hello?")
        client.force_login(ana)
        response = client.post(f"/forums/t/{topic.pk}/reply/", {"body": "Anyone there?"})
        assert response.status_code == 302  # the request succeeds, broker or not
        run = digests.digest_send(
            mode="daily", now=timezone.now() + digests.SETTLE + timedelta(seconds=1)
        )
    assert run.total == 1
    time.sleep(2)
    assert mailbox.messages == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}
    assert Delivery.objects.count() == 5  # Ben and Cleo: topic and reply; Dan: the digest

    # Five minutes later the broker is back, and beat's sweep runs (here: by name).
    Delivery.objects.update(queued_at=timezone.now() - timedelta(minutes=10))
    with broker(_live_broker()):
        celery_app.send_task("mail.tasks.requeue_stale_deliveries")
        wait_until(lambda: not Delivery.objects.filter(state="pending").exists(), what="all sent")
        # A second sweep (and a late duplicate task) find nothing left to send.
        celery_app.send_task("mail.tasks.requeue_stale_deliveries")
        ids = list(Delivery.objects.values_list("pk", flat=True))
        celery_app.send_task("mail.tasks.send_delivery_batch", args=[ids])
        time.sleep(3)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert len(mailbox.to(ben.email)) == 2
    assert len(mailbox.to(cleo.email)) == 2
    [digest] = mailbox.to(dan.email)
    assert "Daily digest" in str(digest["Subject"])
    assert "Anyone there?" in Mailbox.text(digest)
    assert mailbox.to(ana.email) == []
    assert len(mailbox.messages) == 5
    reply = next(m for m in mailbox.to(ben.email) if "Re:" in str(m["Subject"]))
    assert str(reply["Reply-To"]) == f"topic-{topic.pk}@{settings.MAIL_LIST_ID_DOMAIN}"
    assert reply.get_body(preferencelist=("html",)) is not None


def test_the_one_click_unsubscribe_post_stops_further_mail(mailbox, client):
    api_users = ForumFactory(slug="api-users", name="ORCID API Users", kind="api_users")
    ana, ben, cleo = (person(name=n) for n in ("Ana", "Ben", "Cleo"))
    watch(ben, "each", forum=api_users)
    watch(cleo, "each", forum=api_users)
    with broker(_live_broker()):
        topic = forums.topic_create(forum=api_users, author=ana, title="First", body="One")
        [first] = mailbox.wait_for(ben.email, subject_contains="First")
        assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = str(first["List-Unsubscribe"]).strip().strip("<>")  # a folded header
        path = urlsplit(link).path
        # What a mail program does (RFC 8058): POST, no session, no CSRF token.
        response = client.post(path, "List-Unsubscribe=One-Click", content_type="text/plain")
        assert response.status_code == 200
        forums.post_create(topic=topic, author=ana, body="Two")
        mailbox.wait_for(cleo.email, subject_contains="Re: [ORCID API Users] First")
        time.sleep(1)
    assert len(mailbox.to(ben.email)) == 1
    assert Delivery.objects.get(recipient=ben, state="skipped")


def test_a_forged_or_expired_unsubscribe_link_gets_a_clear_400(client, db):
    token = services.unsubscribe_token(user_id=1, list_id="api-users")
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    response = client.post(f"/mail/unsubscribe/{forged}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    long_ago = time.time() - services.UNSUBSCRIBE_MAX_AGE - 60
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        expired = services.unsubscribe_token(user_id=1, list_id="api-users")
    with pytest.raises(signing.SignatureExpired):
        services.read_unsubscribe_token(expired)
    response = client.get(f"/mail/unsubscribe/{expired}/")
    assert response.status_code == 400
    assert "has expired" in response.content.decode()
