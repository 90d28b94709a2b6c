"""The production shape of the portal, started on this machine for the browser tests.

A database of its own (created and dropped here) on the PostgreSQL server of
DATABASE_URL, Redis from REDIS_URL, an SMTP receiver in this process (aiosmtpd), and the
web, worker and beat processes started with bin/stack — the same commands as
docker-compose.yml. Every process started is stopped again, also when a test fails.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def missing_pieces() -> list[str]:
    """What the stack needs and this machine lacks (empty when everything is there)."""
    missing = []
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        missing.append("DATABASE_URL does not point at PostgreSQL")
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL is not set")
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} is not installed (Debian package chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed")
    return missing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP receiver got, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, address: str, *, subject_contains: str = "", count: int = 1, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.to(address) if subject_contains in str(m["Subject"])]
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(
            f"no {count} mail(s) to {address} with {subject_contains!r} within {timeout}s; "
            f"got: {[(str(m['To']), str(m['Subject'])) for m in self.messages]}"
        )

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


class SmtpReceiver:
    def __init__(self, mailbox: Mailbox):
        from aiosmtpd.controller import Controller

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                mailbox.add(envelope.original_content or envelope.content)
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()


class Stack:
    def __init__(self):
        self.name = f"occ_e2e_{os.getpid()}_{secrets.token_hex(3)}"
        server = urlsplit(os.environ["DATABASE_URL"])
        self.database_url = urlunsplit(server._replace(path=f"/{self.name}"))
        self.admin_url = urlunsplit(server._replace(path="/postgres"))
        redis = urlsplit(os.environ["REDIS_URL"])
        # A Redis database of its own, so a leftover queue of another run cannot interfere;
        # and cached HTML in another, as with PAGE_CACHE_URL in production (two caches).
        self.redis_url = urlunsplit(redis._replace(path="/7"))
        self.page_cache_url = urlunsplit(redis._replace(path="/8"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.mailbox = Mailbox()
        self.smtp = SmtpReceiver(self.mailbox)
        self.tmp = Path(tempfile.mkdtemp(prefix="occ-e2e-"))
        # Process logs outlive the run (artifacts/ is ignored by git) for a failed test.
        self.logs = ROOT / "artifacts" / "e2e-logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self._log_files: list = []
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "PAGE_CACHE_URL": self.page_cache_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: no HTTPS redirect, cookies without the Secure flag.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "SITE_URL": self.base_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "CELERY_CONCURRENCY": "2",
            "CELERY_BEAT_SCHEDULE_FILE": str(self.tmp / "celerybeat-schedule"),
            "DJANGO_MEDIA_ROOT": str(self.tmp / "media"),
            "PYTHON": sys.executable,
            "PYTHONUNBUFFERED": "1",
        }

    # --- database ---------------------------------------------------------------------
    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    # --- processes --------------------------------------------------------------------
    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=check,
        )

    def shell(self, code: str) -> str:
        """Run Python in a Django shell against the stack's database (initial data only)."""
        return self.manage("shell", "--no-imports", "-c", code).stdout

    def _spawn(self, name: str) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self._log_files.append(log)
        self.processes[name] = subprocess.Popen(
            ["bin/stack", name],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we stop gunicorn's workers too
        )

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited early:\n{self.log(name)[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"/healthz did not answer within {timeout}s:\n{self.log('web')[-4000:]}")

    def wait_worker(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log("worker"):
                return
            if self.processes["worker"].poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log('worker')[-4000:]}")
            time.sleep(0.5)
        raise RuntimeError(f"worker not ready within {timeout}s:\n{self.log('worker')[-4000:]}")

    def start(self) -> Stack:
        self._admin(f'CREATE DATABASE "{self.name}"')
        import redis

        for url in (self.redis_url, self.page_cache_url):
            redis.Redis.from_url(url).flushdb()
        self.smtp.start()
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        self._spawn("web")  # migrates, then serves
        self.wait_healthy()
        self._spawn("worker")
        self._spawn("beat")
        self.wait_worker()
        return self

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for log in self._log_files:
            log.close()
        self.processes.clear()
        with contextlib.suppress(Exception):  # best effort during teardown
            self.smtp.stop()
        try:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
