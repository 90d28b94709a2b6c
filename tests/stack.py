"""The production shape of the portal, started on this machine (browser tests, fault drills).

A database of its own (created and dropped here) on the PostgreSQL server of
DATABASE_URL, a Redis database, an SMTP receiver in this process (aiosmtpd), and the
web, worker, beat and inbound (the LMTP mail gateway) processes started with bin/stack —
the same commands as docker-compose.yml. Every process started is stopped again, also when a test fails.

The browser tests (tests/e2e) use it as it is; the fault drills (tests/drills) point its
processes at a Redis server of their own and at proxies they can cut, with the mail
timings compressed (``env``), and stop, kill and restart its processes.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.helpers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "artifacts" / "e2e-logs"


def missing_services() -> list[str]:
    """What the stack needs of this machine and lacks (empty when everything is there)."""
    missing = []
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        missing.append("DATABASE_URL does not point at PostgreSQL")
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL is not set")
    return missing


def require(missing: list[str], what: str) -> None:
    """Skip the tests of ``what`` when pieces are missing; fail instead with REQUIRE_E2E=1."""
    import pytest

    if missing:
        reason = f"{what} need " + "; ".join(missing)
        if os.environ.get("REQUIRE_E2E") == "1":
            pytest.fail(reason + " (REQUIRE_E2E=1)")
        pytest.skip(reason)


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def with_address(url: str, host: str, port: int) -> str:
    """``url`` with another host and port (user, password and path kept)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{host}:{port}" if credentials else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


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
        def found() -> list[EmailMessage]:
            found = [m for m in self.to(address) if subject_contains in str(m["Subject"])]
            return found if len(found) >= count else []

        return wait_until(
            found,
            timeout=timeout,
            interval=0.2,
            what=lambda: (
                f"{count} mail(s) to {address} with {subject_contains!r}; "
                f"got: {[(str(m['To']), str(m['Subject'])) for m in self.messages]}"
            ),
        )

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


class SmtpReceiver:
    """An SMTP server on a port of its own, handing each message's bytes to ``receive``.

    It can be stopped and started again on the same port (an outage of the mail server):
    while stopped, connections are refused. An address in ``refused`` is refused for good
    (550 to its RCPT), as a server refuses a mailbox that does not exist.
    """

    def __init__(self, receive: Callable[[bytes], None]):
        self.receive = receive
        self.port = free_port()
        self.controller = None
        self.refused: set[str] = set()

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        receive, refused = self.receive, self.refused

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
                if address in refused:
                    return "550 5.1.1 No such mailbox"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                # The envelope sender recorded as a final delivery does (RFC 5321 4.4):
                # a bounce goes to it, so the mail tests read it from here.
                return_path = f"Return-Path: <{envelope.mail_from or ''}>\r\n".encode()
                receive(return_path + (envelope.original_content or envelope.content))
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def running(self) -> bool:
        return self.controller is not None


class Stack:
    """The portal's database, processes and SMTP receiver.

    ``redis_url`` is what the processes use for broker and cache (default: REDIS_URL's
    database 7, flushed at start; cached HTML goes to database 8 of the same server); ``database_address`` (host, port) makes the processes
    reach the stack's database there instead (a proxy); ``env`` adds to their environment.
    """

    def __init__(
        self,
        *,
        receive: Callable[[bytes], None] | None = None,
        prefix: str = "occ_e2e",
        redis_url: str | None = None,
        database_address: tuple[str, int] | None = None,
        env: dict[str, str] | None = None,
        logs: Path = LOGS,
    ):
        self.name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
        server = os.environ["DATABASE_URL"]
        self.database_url = with_path(server, f"/{self.name}")
        self.admin_url = with_path(server, "/postgres")
        # A Redis database of its own, so a leftover queue of another run cannot interfere;
        # and cached HTML in another, as with PAGE_CACHE_URL in production (two caches).
        self.redis_url = redis_url or with_path(os.environ["REDIS_URL"], "/7")
        self.page_cache_url = with_path(self.redis_url, "/8")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # The mail gateway's LMTP port (bin/stack inbound), where tests deliver mail.
        self.lmtp_port = free_port()
        self.mailbox = Mailbox()
        self.smtp = SmtpReceiver(receive or self.mailbox.add)
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{prefix.replace('_', '-')}-"))
        # Process logs outlive the run (artifacts/ is ignored by git) for a failed test.
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self._log_files: list = []
        self._log_offsets: dict[str, int] = {}
        self.processes: dict[str, subprocess.Popen] = {}
        portal_database = self.database_url
        if database_address is not None:
            portal_database = with_address(self.database_url, *database_address)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DATABASE_URL": portal_database,
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
            "INBOUND_LMTP_HOST": "127.0.0.1",
            "INBOUND_LMTP_PORT": str(self.lmtp_port),
            "WEB_CONCURRENCY": "2",
            "CELERY_CONCURRENCY": "2",
            "CELERY_BEAT_SCHEDULE_FILE": str(self.tmp / "celerybeat-schedule"),
            "DJANGO_MEDIA_ROOT": str(self.tmp / "media"),
            "PYTHON": sys.executable,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
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

    def spawn(self, name: str) -> None:
        """Start ``bin/stack <name>``; its output is appended to its log."""
        path = self.logs / f"{name}.log"
        if name not in self._log_offsets:
            path.write_bytes(b"")
        self._log_offsets[name] = path.stat().st_size
        log = open(path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_files.append(log)
        self.processes[name] = subprocess.Popen(
            ["bin/stack", name],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we stop gunicorn's workers too
        )

    def kill(self, name: str, sig: int = signal.SIGKILL, *, timeout: float = 60) -> None:
        """Send ``sig`` to the process and its children (e.g. a worker's pool); wait for it."""
        process = self.processes[name]
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
        # Children that outlived their parent (SIGTERM lets the pool finish) go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def log(self, name: str, *, since_start: bool = False) -> str:
        """The process's log (since it was last started, with ``since_start``)."""
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        with open(path, "rb") as file:
            if since_start:
                file.seek(self._log_offsets.get(name, 0))
            return file.read().decode(errors="replace")

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
            if "ready." in self.log("worker", since_start=True):
                return
            if self.processes["worker"].poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log('worker')[-4000:]}")
            time.sleep(0.3)
        raise RuntimeError(f"worker not ready within {timeout}s:\n{self.log('worker')[-4000:]}")

    def wait_inbound(self, timeout: float = 60) -> None:
        """Wait until the mail gateway takes connections on its LMTP port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["inbound"].poll() is not None:
                raise RuntimeError(f"inbound exited:\n{self.log('inbound')[-4000:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.lmtp_port), timeout=2),
            ):
                return
            time.sleep(0.3)
        raise RuntimeError(
            f"inbound not listening within {timeout}s:\n{self.log('inbound')[-4000:]}"
        )

    def start(self) -> Stack:
        self._admin(f'CREATE DATABASE "{self.name}"')
        import redis

        for url in (self.redis_url, self.page_cache_url):
            redis.Redis.from_url(url).flushdb()
        self.smtp.start()
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        self.spawn("web")  # migrates, then serves
        self.wait_healthy()
        self.spawn("worker")
        self.spawn("beat")
        self.spawn("inbound")
        self.wait_worker()
        self.wait_inbound()
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
