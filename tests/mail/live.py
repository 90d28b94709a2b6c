"""A real Celery worker on Redis for the mail tests that need one (tests/mail/conftest.py
starts it, with an SMTP receiver, once per module that asks for ``mailbox``), and the
switch of this process's broker between a live and a dead one.

The worker is ``celery -A orcid_community worker`` against the pytest test database
(PostgreSQL) and a Redis database of its own; it delivers to an SMTP receiver in this
process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings
from kombu import pools

from orcid_community.celery import app as celery_app
from orcid_community.celery import configure as configure_celery
from tests.helpers import wait_until
from tests.stack import ROOT

DEAD_BROKER = "redis://127.0.0.1:9/5"  # discard port: nothing listens


def live_broker() -> str:
    """REDIS_URL's database 5: the worker's broker, a Redis database of its own."""
    return urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path="/5"))


def _reset_producers() -> None:
    """Forget pooled broker connections so the next publish uses the current broker_url."""
    pools.reset()  # kombu's process-wide producer pools, keyed by connection
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def broker(url: str):
    """This process sends its tasks to the broker at ``url`` (not in-process) meanwhile."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    configure_celery(broker_url=url, task_always_eager=False)
    _reset_producers()
    try:
        yield
    finally:
        configure_celery(broker_url=saved[0], task_always_eager=saved[1])
        _reset_producers()


class Worker:
    def __init__(self, database_name: str, mailbox_port: int, log: Path):
        server = urlsplit(os.environ["DATABASE_URL"])
        self.log_path = log
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DATABASE_URL": urlunsplit(server._replace(path=f"/{database_name}")),
            "REDIS_URL": live_broker(),
            "EMAIL_URL": f"smtp://127.0.0.1:{mailbox_port}",
            "DJANGO_DEBUG": "true",
            # Same key as this process: the unsubscribe links it signs must verify here.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "SITE_URL": settings.SITE_URL,
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        redis.Redis.from_url(live_broker()).flushdb()
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

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log_tail()}")
            return "ready." in self.log_path.read_text(errors="replace")

        wait_until(
            ready, timeout=60, interval=0.3, what=lambda: f"worker ready:\n{self.log_tail()}"
        )

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()
