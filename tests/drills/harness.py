"""The fault drills of issue 22, run against the production shape of the portal.

:class:`Drills` starts the stack of tests/stack.py (gunicorn, Celery worker and beat
through bin/stack, a database of its own, an SMTP receiver) with a Redis server of its
own (faults.RedisServer) and the database behind a proxy it can cut (faults.TcpProxy),
loads the demo data and the drills' people, and runs drills by name. Each drill breaks
one thing the way an operator's drill would, then measures what people and the mail
receiver saw: mail expected, delivered (at least once), sent twice, lost; how long after
the fault ended everything was back (``recovery_s``); server errors.

Time is compressed by ``scale``: the portal's retry schedule, stale-delivery sweep and
broker visibility timeout (read from its own settings) are divided by it, and so are the
mail outages and every mail drill's limit; request drills (Redis, PostgreSQL) keep their
real durations. A compressed run cannot compress the time the worker takes to go through
the mail, so every mail limit allows ``5 s + 1 s per 100 mails`` on top, and a mail
server's outage lasts longer when the worker has fallen behind its compressed schedule
(:meth:`Drills.keep_smtp_down`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import urlsplit

from tests.drills.faults import RedisServer, TcpProxy
from tests.drills.population import PASSWORD, READER
from tests.drills.visitor import Visitor
from tests.stack import ROOT, Stack

LOGS = ROOT / "artifacts" / "drill-logs"
DIGEST_SETTLE = timedelta(minutes=5)  # forums.digests.SETTLE: a digest's window ends this early
# The portal's timing settings, which the harness sets compressed (README, Configuration).
TIMING_SETTINGS = (
    "MAIL_MAX_ATTEMPTS",
    "MAIL_RETRY_SCHEDULE",
    "MAIL_STALE_AFTER_SECONDS",
    "MAIL_SWEEP_SECONDS",
    "CELERY_VISIBILITY_TIMEOUT",
)
# Issue 22's bounds, in real time (compressed with the settings).
SMTP_OUTAGE = 8.5 * 60
SMTP_RECOVERY = 15 * 60  # all mail out within this long after the mail server is back
CRASH_RECOVERY = 10 * 60  # "within minutes" of a worker's death
BROKER_OUTAGE = 60
BROKER_RECOVERY = 60  # "within a minute of its return"
DUPLICATES_PER_PROCESS = 10  # "at most 10 messages per pool process"
# Request drills: real time.
REDIS_OUTAGE = 60
REDIS_FREEZE = 45
POSTGRES_OUTAGE = 20
PAGES_RECOVERY = 10.0  # pages as before within this long after the fault ends
QUICK_ANSWER = 5.0  # "no request waits more than about two seconds on Redis"
# What compression cannot shrink: the worker's own time per mail, and its start.
LAG = 2.0
SEND_TASKS = {"mail.tasks.send_delivery", "mail.tasks.send_delivery_batch"}
QUEUE = "celery"  # Celery's default queue: a Redis list of the broker's database
# The worker is behind its schedule with more send tasks due than this per process (a
# digest is at most ten batches of 500 at once; a briefing to 503 people, 503 tasks).
BEHIND_PER_PROCESS = 25


def work_allowance(mails: int) -> float:
    return 5.0 + mails / 100


def say(message: str) -> None:
    sys.stderr.write(f"[drills {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def missing_pieces() -> list[str]:
    """What the drills need of this machine and lack (empty when everything is there)."""
    missing = []
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        missing.append("DATABASE_URL does not point at PostgreSQL")
    if shutil.which("redis-server") is None:
        missing.append("redis-server is not installed (Debian package redis-server)")
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        missing.append("aiosmtpd is not installed (make install-dev)")
    return missing


# --- the portal's timings, compressed -----------------------------------------------------


@dataclass
class Timings:
    scale: float
    max_attempts: int
    retry_schedule: list[float]
    stale: float
    sweep: float
    visibility: int
    concurrency: int = 2

    @classmethod
    def of_the_portal(cls, scale: float) -> Timings:
        """The portal's own values (its settings without our variables), divided by ``scale``."""
        code = (
            "import json; from django.conf import settings as s; print(json.dumps(["
            "s.MAIL_MAX_ATTEMPTS, s.MAIL_RETRY_SCHEDULE, s.MAIL_STALE_AFTER_SECONDS,"
            " s.CELERY_BEAT_SCHEDULE['requeue-stale-deliveries']['schedule'],"
            " s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']]))"
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in TIMING_SETTINGS and not k.startswith("DJANGO_")
        }
        env.update(DJANGO_DEBUG="true", DATABASE_URL="sqlite:///:memory:")
        env.pop("REDIS_URL", None)
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        attempts, schedule, stale, sweep, visibility = json.loads(result.stdout.splitlines()[-1])
        return cls(
            scale=scale,
            max_attempts=attempts,
            retry_schedule=[round(s / scale, 3) for s in schedule],
            stale=round(stale / scale, 3),
            sweep=round(sweep / scale, 3),
            visibility=max(1, round(visibility / scale)),
        )

    def env(self) -> dict[str, str]:
        return {
            "MAIL_MAX_ATTEMPTS": str(self.max_attempts),
            "MAIL_RETRY_SCHEDULE": ",".join(str(s) for s in self.retry_schedule),
            "MAIL_STALE_AFTER_SECONDS": str(self.stale),
            "MAIL_SWEEP_SECONDS": str(self.sweep),
            "CELERY_VISIBILITY_TIMEOUT": str(self.visibility),
            "CELERY_CONCURRENCY": str(self.concurrency),
        }

    def compress(self, seconds: float) -> float:
        return seconds / self.scale

    def real(self, seconds: float | None) -> str:
        """How long ``seconds`` of this run stand for, in words."""
        if seconds is None:
            return "never"
        minutes = seconds * self.scale / 60
        return f"{minutes:.1f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


# --- what the SMTP receiver got -----------------------------------------------------------


class Tally:
    """Counts the messages the SMTP receiver got, per delivery (``X-Portal-Delivery``)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count: Counter[str] = Counter()
        self.first: dict[str, float] = {}  # key → when it first arrived (monotonic)
        self.parser = BytesHeaderParser()

    def receive(self, raw: bytes) -> None:
        headers = self.parser.parsebytes(raw)
        key = headers.get("X-Portal-Delivery") or f"{headers['To']}|{headers['Subject']}"
        now = time.monotonic()
        with self.lock:
            self.count[key] += 1
            self.first.setdefault(key, now)

    def between(self, low: int, high: int) -> int:
        """How many deliveries with an id in [low, high] arrived at least once."""
        with self.lock:
            return sum(1 for key in self.count if key.isdigit() and low <= int(key) <= high)


@dataclass
class MailOutcome:
    expected: int
    delivered: int = 0
    duplicates: int = 0
    pending: int = 0
    failed: int = 0
    rows: int = 0
    completed_at: float | None = None  # when the last expected mail first arrived

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.delivered)


# --- results --------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    expected: int = 0
    delivered: int = 0
    duplicates: int = 0
    lost: int = 0
    recovery_s: float | None = None
    errors_5xx: int = 0
    limit_s: float | None = None
    ok: bool = False
    notes: list[str] = field(default_factory=list)
    error: str = ""

    def as_json(self) -> dict:
        data = {
            "expected": self.expected,
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "lost": self.lost,
            "recovery_s": None if self.recovery_s is None else round(self.recovery_s, 1),
            "errors_5xx": self.errors_5xx,
            "limit_s": None if self.limit_s is None else round(self.limit_s, 1),
            "ok": self.ok,
        }
        if self.error:
            data["error"] = self.error
        return data

    def summary(self) -> str:
        return f"{self.name}: {json.dumps(self.as_json())} — " + "; ".join(self.notes)


class DrillNotOk(AssertionError):
    """A drill measured what the issue says must not happen."""


def table(results: list[Result]) -> str:
    head = ["drill", "expected", "delivered", "duplicates", "lost", "recovery_s", "5xx", "ok"]
    rows = []
    for r in results:
        recovery = "-" if r.recovery_s is None else f"{r.recovery_s:.1f}"
        limit = "" if r.limit_s is None else f" (≤{r.limit_s:.0f})"
        rows.append(
            [
                r.name,
                str(r.expected),
                str(r.delivered),
                str(r.duplicates),
                str(r.lost),
                recovery + limit,
                str(r.errors_5xx),
                "error" if r.error else ("ok" if r.ok else "NOT OK"),
            ]
        )
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in [head]]
    for row, result in zip(rows, results, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        for note in result.notes:
            lines.append(" " * (widths[0] + 2) + "· " + note)
    return "\n".join(lines)


def json_line(results: list[Result]) -> str:
    return json.dumps({"drills": {r.name: r.as_json() for r in results}})


# --- the stack under drill ------------------------------------------------------------------


@dataclass
class Size:
    """How much each drill moves: the issue's numbers, or fewer for `make test`."""

    briefing_readers: int = 503
    digest_readers: int = 5000
    digest_posts: int = 40
    watchers: int = 50
    redis_outage: float = REDIS_OUTAGE
    redis_rounds: int = 2  # sign-in, sign-up, reset and browsing are tried this often


class Drills:
    def __init__(self, *, scale: float = 20, size: Size | None = None, patient: bool = False):
        self.size = size or Size()
        # Patient: a drill whose mail is late keeps watching until the broker's visibility
        # timeout has handed a dead worker's tasks back, to say when the rest arrived.
        self.patient = patient
        self.timings = Timings.of_the_portal(scale)
        self.tally = Tally()
        self.tmp = Path(tempfile.mkdtemp(prefix="occ-drills-"))
        LOGS.mkdir(parents=True, exist_ok=True)
        self.redis = RedisServer(self.tmp / "redis", LOGS / "redis.log")
        server = urlsplit(os.environ["DATABASE_URL"])
        self.postgres = TcpProxy((server.hostname or "127.0.0.1", server.port or 5432))
        self.stack = Stack(
            receive=self.tally.receive,
            prefix="occ_drills",
            redis_url=self.redis.url(0),
            database_address=("127.0.0.1", self.postgres.port),
            env=self.timings.env(),
            logs=LOGS,
        )
        self.smtp = self.stack.smtp
        self.data: dict = {}
        self._db = None

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> Drills:
        say(
            f"scale 1:{self.timings.scale:g}: retries after {self.timings.retry_schedule} s, "
            f"sweep every {self.timings.sweep} s of what is pending after "
            f"{self.timings.stale} s, visibility timeout {self.timings.visibility} s"
        )
        self.redis.start()
        self.postgres.start()
        say("starting the stack (database, migrations, gunicorn, worker, beat)")
        self.stack.start()
        say("making the drills' people, forums, topics, briefing and digest readers")
        size = self.size
        output = self.stack.shell(
            "from tests.drills.population import populate; "
            f"populate(briefing_readers={size.briefing_readers}, "
            f"digest_readers={size.digest_readers}, digest_posts={size.digest_posts}, "
            f"watchers={size.watchers})"
        )
        self.data = json.loads(output.strip().splitlines()[-1])
        return self

    def stop(self) -> None:
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
        try:
            self.stack.stop()
        finally:
            self.postgres.stop()
            self.redis.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- observing -------------------------------------------------------------------
    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """Read the stack's database directly (not through the proxy the drills cut)."""
        import psycopg

        if self._db is None or self._db.closed:
            self._db = psycopg.connect(self.stack.database_url, autocommit=True)
        return self._db.execute(query, params).fetchall()

    def mail(self, where: str, params: tuple, expected: int) -> MailOutcome:
        rows = self.sql(f"SELECT id, state FROM mail_delivery WHERE {where}", params)
        outcome = MailOutcome(expected=expected, rows=len(rows))
        firsts = []
        with self.tally.lock:
            for pk, state in rows:
                seen = self.tally.count.get(str(pk), 0)
                if seen:
                    outcome.delivered += 1
                    outcome.duplicates += seen - 1
                    firsts.append(self.tally.first[str(pk)])
                outcome.pending += state in ("pending", "sending")
                outcome.failed += state == "failed"
        if outcome.delivered >= expected and firsts:
            outcome.completed_at = max(firsts)
        return outcome

    def watch_mail(
        self,
        where: str,
        params: tuple,
        expected: int,
        *,
        until: float,
        give_up_when_idle: bool = False,
    ) -> MailOutcome:
        """Wait until every expected mail arrived and none is pending, or ``until``.

        ``give_up_when_idle``: also stop once nothing is pending any more (every delivery
        sent or failed) and stayed so for two sweeps: nothing would send the rest.
        """
        idle_since = None
        while True:
            outcome = self.mail(where, params, expected)
            now = time.monotonic()
            if outcome.delivered >= expected and outcome.pending == 0:
                time.sleep(1.0)  # a duplicate right behind the last one
                return self.mail(where, params, expected)
            if give_up_when_idle and outcome.pending == 0 and outcome.rows:
                idle_since = idle_since or now
                if now - idle_since > 2 * self.timings.sweep + LAG:
                    return outcome
            else:
                idle_since = None
            if now > until:
                return outcome
            time.sleep(0.25)

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 120):
        """Poll ``condition`` until it is true; its value. The drill breaks if it never is."""
        deadline = time.monotonic() + timeout
        while not (value := condition()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"not within {timeout:.0f} s: {what}")
            time.sleep(0.02)
        return value

    def watch_digest(self, kind: str, *, until: float, give_up_when_idle=False) -> MailOutcome:
        """:meth:`watch_mail` for the digest run ``kind`` to the drills' digest readers."""
        digest = self.data["digest"]
        return self.watch_mail(
            "kind = %s AND to_email LIKE %s",
            (kind, digest["recipients"]),
            digest["expected"],
            until=until,
            give_up_when_idle=give_up_when_idle,
        )

    def send_digest(self, drill: str) -> tuple[str, int]:
        """Beat's daily digest task, by name, as if run when the posts have settled, as a
        run of its own for ``drill``; returns the run's kind and the digests expected."""
        from celery import Celery

        kind = f"drill.{drill}.{self.data['tag']}"
        now = datetime.now(UTC) + DIGEST_SETTLE + timedelta(seconds=1)
        with Celery("drills", broker=self.redis.url(0)) as app:
            app.send_task(
                "forums.tasks.send_digests",
                args=["daily"],
                kwargs={"now": now.isoformat(), "kind": kind},
            )
        return kind, self.data["digest"]["expected"]

    def kill_worker(self) -> float:
        """``kill -9`` of the worker (its main process and pool), started again at once as
        a container's restart policy would; returns when it was killed."""
        self.stack.kill("worker", signal.SIGKILL)
        killed = time.monotonic()
        self.stack.spawn("worker")
        self.stack.wait_worker()
        return killed

    def mail_backlog(self) -> int:
        """Send tasks due and not started: waiting in the queue, or held with their time come
        (the ones running count too: more than the worker's processes means it is behind)."""
        client = self.redis.client(0)
        now = datetime.now(UTC)
        due = 0
        for raw in client.lrange(QUEUE, 0, -1):
            due += (json.loads(raw).get("headers") or {}).get("task") in SEND_TASKS
        for raw in client.hvals("unacked"):
            headers = json.loads(raw)[0].get("headers") or {}
            if headers.get("task") in SEND_TASKS:
                eta = headers.get("eta")
                due += eta is None or datetime.fromisoformat(eta) <= now
        return due

    def keep_smtp_down(self, since: float) -> tuple[float, float]:
        """Keep the mail server down for 8.5 min (compressed), longer if the worker is behind.

        At real scale the worker's own time is lost in the schedule's minutes: every attempt
        the schedule makes in 8.5 minutes happens while the server is away. Compressed, a
        worker with hundreds of mails falls behind its schedule; then the outage goes on
        until it has caught up (:data:`BEHIND_PER_PROCESS`), and after that for the longest
        retry delay the schedule uses in 8.5 minutes. Returns (seconds down, seconds the
        worker was behind).
        """
        shortest = self.timings.compress(SMTP_OUTAGE) + LAG
        elapsed, delays = 0.0, []
        for delay in self.timings.retry_schedule[: self.timings.max_attempts - 1]:
            elapsed += delay
            if elapsed <= shortest:
                delays.append(delay)
        catch_up = max(delays, default=0.0) + LAG
        cap = shortest + 240
        behind_for = 0.0
        last_behind = None  # when the worker was last seen behind (twice in a row)
        was_behind = False
        previous = time.monotonic()
        while True:
            now = time.monotonic()
            behind = self.mail_backlog() > BEHIND_PER_PROCESS * self.timings.concurrency
            if behind and was_behind:  # not a moment's queue of quick tasks
                behind_for += now - previous
                last_behind = now
            was_behind, previous = behind, now
            if now - since >= cap or (
                now - since >= shortest and (last_behind is None or now - last_behind >= catch_up)
            ):
                return now - since, behind_for
            time.sleep(0.2)

    def forget_dead_workers_tasks(self) -> None:
        """Drop what a killed worker had taken, before it comes back in a later drill.

        Redis hands such tasks to a live worker after the visibility timeout; a drill that
        measures that has ended when this runs, and the next drill must measure itself.
        """
        self.redis.client(0).delete("unacked", "unacked_index")

    def visitor(self, **kwargs) -> Visitor:
        return Visitor(self.stack.base_url, **kwargs)

    def signed_in(self, email: str) -> Visitor:
        visitor = self.visitor()
        if not visitor.sign_in(email, PASSWORD):
            raise RuntimeError(f"{email} could not sign in before the drill: {visitor.answers}")
        return visitor

    # --- running ------------------------------------------------------------------------
    def run(self, name: str) -> Result:
        drill = DRILLS[name]
        say(f"drill {name}: {drill.title}")
        started = time.monotonic()
        try:
            result = drill.function(self)
        except Exception as exc:  # the harness broke, not the portal: say so, go on
            result = Result(name=name, error=f"{type(exc).__name__}: {exc}")
            result.notes.append(f"harness error: {type(exc).__name__}: {exc}")
        result.name = name
        say(f"drill {name} done in {time.monotonic() - started:.0f} s: {result.summary()}")
        return result


@dataclass
class Drill:
    title: str
    function: Callable[[Drills], Result]


DRILLS: dict[str, Drill] = {}


def drill(name: str, title: str):
    def register(function):
        DRILLS[name] = Drill(title, function)
        return function

    return register


def _mail_result(
    name: str,
    outcome: MailOutcome,
    *,
    since: float,
    limit: float,
    timings: Timings,
    max_duplicates: int = 0,
) -> Result:
    recovery = None if outcome.completed_at is None else max(0.0, outcome.completed_at - since)
    result = Result(
        name=name,
        expected=outcome.expected,
        delivered=outcome.delivered,
        duplicates=outcome.duplicates,
        lost=outcome.lost,
        recovery_s=recovery,
        limit_s=limit,
    )
    result.ok = (
        outcome.lost == 0
        and outcome.duplicates <= max_duplicates
        and recovery is not None
        and recovery <= limit
    )
    result.notes.append(
        f"{outcome.rows} deliveries written, {outcome.failed} failed, {outcome.pending} still pending or sending"
    )
    if recovery is not None:
        result.notes.append(
            f"all delivered {recovery:.1f} s after the fault (≈ {timings.real(recovery)} real)"
        )
    else:
        result.notes.append(
            f"{outcome.lost} not delivered within {limit:.0f} s (≈ {timings.real(limit)} real)"
        )
    return result


# --- the drills ---------------------------------------------------------------------------


@drill("smtp_briefing", "SMTP down 8.5 min (compressed) while a briefing goes to its readers")
def smtp_briefing(d: Drills) -> Result:
    briefing = d.data["briefing"]
    chair = d.signed_in(briefing["author"])
    chair.get(briefing["publish"])
    d.smtp.stop()
    down = time.monotonic()
    published = chair.submit(briefing["publish"], {})
    outage, busy = d.keep_smtp_down(down)
    d.smtp.start()
    back = time.monotonic()
    expected = briefing["expected"]
    limit = d.timings.compress(SMTP_RECOVERY) + work_allowance(expected)
    outcome = d.watch_mail(
        "about = %s", (briefing["about"],), expected, until=back + limit, give_up_when_idle=True
    )
    result = _mail_result("smtp_briefing", outcome, since=back, limit=limit, timings=d.timings)
    result.errors_5xx = len(chair.server_errors())
    result.notes.insert(
        0,
        f"publish answered {published.status}; SMTP down {outage:.1f} s "
        f"(the worker was behind its schedule for {busy:.0f} s of it)",
    )
    return result


@drill("smtp_digest", "SMTP down 8.5 min (compressed) during the daily digest of 5,000 people")
def smtp_digest(d: Drills) -> Result:
    d.smtp.stop()
    down = time.monotonic()
    kind, expected = d.send_digest("smtp_digest")
    outage, busy = d.keep_smtp_down(down)
    d.smtp.start()
    back = time.monotonic()
    limit = d.timings.compress(SMTP_RECOVERY) + work_allowance(expected)
    outcome = d.watch_digest(kind, until=back + limit, give_up_when_idle=True)
    result = _mail_result("smtp_digest", outcome, since=back, limit=limit, timings=d.timings)
    result.notes.insert(
        0, f"SMTP down {outage:.1f} s (the worker was behind its schedule for {busy:.0f} s of it)"
    )
    return result


@drill("kill_digest_writing", "kill -9 of the worker while the digest's deliveries are written")
def kill_digest_writing(d: Drills) -> Result:
    kind, expected = d.send_digest("kill_digest_writing")

    def written() -> int:
        count = d.sql("SELECT count(*) FROM mail_delivery WHERE kind = %s", (kind,))[0][0]
        return count if count >= 0.3 * expected else 0  # the 1,500 of 5,000

    written = d.wait_for(written, "30 % of the digest's deliveries written")
    killed = d.kill_worker()
    # The batches written so far are being sent by the same worker meanwhile: the kill cuts
    # their chunks in flight too, which may go twice (the kill_sending bound). The resumed
    # building itself sends nobody twice: a second delivery row cannot be written.
    bound = DUPLICATES_PER_PROCESS * d.timings.concurrency
    limit = d.timings.compress(CRASH_RECOVERY) + work_allowance(expected)
    outcome = d.watch_digest(kind, until=killed + limit)
    result = _mail_result(
        "kill_digest_writing",
        outcome,
        since=killed,
        limit=limit,
        timings=d.timings,
        max_duplicates=bound,
    )
    result.notes.insert(
        0,
        f"killed with {written} deliveries written; duplicates allowed: {bound} (the "
        f"chunks in flight, {DUPLICATES_PER_PROCESS} per pool process)",
    )
    if outcome.lost and d.patient:
        # kombu looks for such tasks every 100 s or so: allow for that too.
        late = d.watch_digest(kind, until=killed + d.timings.visibility + 150)
        if late.completed_at is None:
            waited = time.monotonic() - killed
            result.notes.append(f"patient: {late.lost} still missing {waited:.0f} s after the kill")
        else:
            after = late.completed_at - killed
            result.notes.append(
                f"patient: all {late.delivered} delivered {after:.0f} s after the kill "
                f"(≈ {d.timings.real(after)} real), {late.duplicates} twice"
            )
    elif outcome.lost:
        result.notes.append(
            "the dead worker's task comes back after the visibility timeout, "
            f"{d.timings.visibility} s here (≈ {d.timings.real(d.timings.visibility)} real; "
            "--patient waits for it)"
        )
    d.forget_dead_workers_tasks()
    return result


@drill("kill_sending", "kill -9 of the worker while it sends the daily digest")
def kill_sending(d: Drills) -> Result:
    bound = DUPLICATES_PER_PROCESS * d.timings.concurrency
    kind, expected = d.send_digest("kill_sending")
    # Once every delivery is written (killing the writing is the drill before), killed
    # when more mails went out than the database has recorded as sent by more than the
    # bound allows (in today's code, inside a chunk of 100), else at 90 %: both are
    # moments "while sending".
    d.wait_for(
        lambda: d.sql(
            "SELECT 1 FROM mail_digestrun WHERE kind = %s AND built_at IS NOT NULL", (kind,)
        ),
        "the digest's deliveries all written",
    )
    sending = {"received": 0, "in_flight": 0}

    def kill_now() -> bool:
        low, high, sent = d.sql(
            "SELECT min(id), max(id), count(*) FILTER (WHERE state = 'sent') "
            "FROM mail_delivery WHERE kind = %s",
            (kind,),
        )[0]
        if low is not None:
            sending["received"] = d.tally.between(low, high)
            sending["in_flight"] = sending["received"] - sent
        return sending["in_flight"] > bound or sending["received"] >= 0.9 * expected

    d.wait_for(kill_now, "the digest going out")
    received, in_flight = sending["received"], sending["in_flight"]
    killed = d.kill_worker()
    limit = d.timings.compress(CRASH_RECOVERY) + work_allowance(expected)
    outcome = d.watch_digest(kind, until=killed + limit)
    d.forget_dead_workers_tasks()
    result = _mail_result(
        "kill_sending", outcome, since=killed, limit=limit, timings=d.timings, max_duplicates=bound
    )
    result.notes.insert(
        0,
        f"killed after {received} digests arrived, {in_flight} of them not yet recorded as "
        f"sent; duplicates allowed: {bound} ({DUPLICATES_PER_PROCESS} per pool process)",
    )
    return result


@drill(
    "broker_down", "broker down 60 s (compressed) while replies are mailed to a topic's watchers"
)
def broker_down(d: Drills) -> Result:
    topic = d.data["watched_topic"]
    poster = d.signed_in(topic["poster"])
    poster.get(topic["path"])
    outage = max(d.timings.compress(BROKER_OUTAGE), 5.0)
    d.redis.stop()
    down = time.monotonic()
    replied = poster.submit(
        f"/forums/t/{topic['id']}/reply/",
        {"body": f"Written while the broker is down ({secrets.token_hex(4)})."},
        form=topic["path"],
    )
    time.sleep(max(0.0, down + outage - time.monotonic()))
    d.redis.start()
    back = time.monotonic()
    expected = topic["expected"]
    limit = d.timings.compress(BROKER_RECOVERY) + work_allowance(expected)
    # Long enough to see today's way back too (the stale sweep), late as it is.
    until = back + limit + d.timings.stale + 2 * d.timings.sweep
    outcome = d.watch_mail(
        "kind LIKE 'forums.%%' AND to_email LIKE %s", (topic["recipients"],), expected, until=until
    )
    result = _mail_result("broker_down", outcome, since=back, limit=limit, timings=d.timings)
    result.errors_5xx = len(poster.server_errors())
    result.notes.insert(0, f"Redis stopped {outage:.1f} s; the reply answered {replied.status}")
    return result


def _account_checks(d: Drills, round_: str, answers: list) -> dict[str, str]:
    """Sign-in, sign-up, password reset and browsing through the real pages: {check: problem}."""
    problems = {}
    person, newcomer, forgetful, reader = (d.visitor() for _ in range(4))
    if not person.sign_in(READER, PASSWORD):
        problems["sign-in"] = str(person.answers[-1])
    else:
        page = person.get("/accounts/email/")  # a page for signed-in people only
        if page.status != 200:
            problems["sign-in"] = f"signed in, then {page}"
    email = f"drill-{d.data['tag']}-{round_}-{secrets.token_hex(3)}@example.org"
    password = f"Drill-{secrets.token_hex(6)}-pass"
    answer = newcomer.fill(
        "/accounts/signup/",
        {"name": "Drill Newcomer", "email": email, "password1": password, "password2": password},
    )
    if answer is None or answer.status != 302:
        problems["sign-up"] = str(answer or newcomer.answers[-1])
    answer = forgetful.fill("/accounts/password/reset/", {"email": READER})
    if answer is None or answer.status != 302 or "/done/" not in answer.location:
        problems["password reset"] = str(answer or forgetful.answers[-1])
    for path in ("/", "/forums/", "/consortia/", "/contributors/", "/events/"):
        page = reader.get(path)
        if page.status != 200:
            problems.setdefault("browsing", str(page))
    answers.extend(a for v in (person, newcomer, forgetful, reader) for a in v.answers)
    return problems


@drill("redis_stopped", "Redis stopped 60 s: sign-in, sign-up, password reset and browsing")
def redis_stopped(d: Drills) -> Result:
    before = _account_checks(d, "before", [])
    if before:
        raise RuntimeError(f"the pages fail before the drill: {before}")
    rounds = d.size.redis_rounds
    outage = d.size.redis_outage
    answers: list = []
    d.redis.stop()
    down = time.monotonic()
    failed: Counter[str] = Counter()
    seen: dict[str, str] = {}
    for n in range(rounds):
        time.sleep(max(0.0, down + n * outage / rounds - time.monotonic()))
        for check, problem in _account_checks(d, f"down{n}", answers).items():
            failed[check] += 1
            seen.setdefault(check, problem)
    during = len(answers)
    time.sleep(max(0.0, down + outage - time.monotonic()))
    d.redis.start()
    back = time.monotonic()
    recovery = None
    while time.monotonic() < back + 3 * PAGES_RECOVERY:
        if not _account_checks(d, "after", answers):
            recovery = time.monotonic() - back
            break
        time.sleep(0.5)
    expected = 4 * rounds
    lost = sum(failed.values())
    errors = [a for a in answers if a.status >= 500 or a.status == 0]
    result = Result(
        name="redis_stopped",
        expected=expected,
        delivered=expected - lost,
        lost=lost,
        recovery_s=recovery,
        errors_5xx=len(errors),
        limit_s=PAGES_RECOVERY,
    )
    result.ok = lost == 0 and not errors and recovery is not None and recovery <= PAGES_RECOVERY
    result.notes.append(f"Redis stopped {outage:.0f} s; {during} requests while it was down")
    for check, problem in seen.items():
        result.notes.append(f"{check} failed {failed[check]} of {rounds}: {problem}")
    return result


def _reply_count(page: str, topic_path: str) -> int | None:
    """The replies column of the topic's row in a forum's topic list."""
    match = re.search(
        re.escape(f'href="{topic_path}"') + r".*?</th>\s*<td>([\d,]+)</td>", page, re.S
    )
    return int(match.group(1).replace(",", "")) if match else None


def _stale_pages(d: Drills, topic: dict, text: str, people: list[Visitor]) -> list[str]:
    """Pages that show the topic without the reply the database has."""
    replies = d.sql(
        "SELECT count(*) FROM forums_post WHERE topic_id = %s AND NOT is_first", (topic["id"],)
    )[0][0]
    stale = set()
    for _ in range(3):  # each of gunicorn's workers may answer from its own view of Redis
        for person in people:
            who = "signed in" if person.cookies else "anonymous"
            page = person.get(topic["path"])
            if page.status != 200 or text not in page.body:
                stale.add(f"topic page ({who}) without the reply ({page.status})")
            listing = person.get(topic["forum"])
            shown = _reply_count(listing.body, topic["path"])
            if listing.status != 200 or shown != replies:
                stale.add(f"forum page ({who}): {shown} replies shown, {replies} made")
    return sorted(stale)


@drill("redis_frozen", "Redis frozen (SIGSTOP) 45 s: a forum reply, sent twice")
def redis_frozen(d: Drills) -> Result:
    topic = d.data["reply_topic"]
    poster = d.signed_in(topic["poster"])
    reader = d.visitor()
    for person in (poster, reader):  # the pages are cached before the freeze
        person.get(topic["path"])
        person.get(topic["forum"])
    text = f"Answered while Redis hangs ({secrets.token_hex(4)})."
    answers = []

    def reply_twice():
        # The reply, and the same form sent again (a second click, or a reload after an
        # error page).
        for _ in range(2):
            answers.append(
                poster.submit(f"/forums/t/{topic['id']}/reply/", {"body": text}, form=topic["path"])
            )

    d.redis.freeze()
    frozen = time.monotonic()
    replying = threading.Thread(target=reply_twice)
    replying.start()
    replying.join(timeout=REDIS_FREEZE)
    time.sleep(max(0.0, frozen + REDIS_FREEZE - time.monotonic()))
    d.redis.thaw()
    back = time.monotonic()
    replying.join(timeout=120)
    posts = d.sql(
        "SELECT count(*) FROM forums_post WHERE topic_id = %s AND body = %s", (topic["id"], text)
    )[0][0]
    stale_after = _stale_pages(d, topic, text, [poster, reader])
    recovery = 0.0 if not stale_after else None
    while recovery is None and time.monotonic() < back + 3 * PAGES_RECOVERY:
        time.sleep(0.5)
        if not _stale_pages(d, topic, text, [poster, reader]):
            recovery = time.monotonic() - back
    slow = [a for a in answers if a.seconds > QUICK_ANSWER]
    errors = [a for a in poster.answers + reader.answers if a.status >= 500 or a.status == 0]
    result = Result(
        name="redis_frozen",
        expected=1,
        delivered=min(posts, 1),
        duplicates=max(0, posts - 1),
        lost=0 if posts else 1,
        recovery_s=recovery,
        errors_5xx=len(errors),
        limit_s=PAGES_RECOVERY,
    )
    # The invalidation the reply owed Redis while it hung waits in the outbox (core.cache)
    # and is carried out once Redis answers: a page may be stale for a moment after the
    # thaw, never longer than the limit.
    recovered = recovery is not None and recovery <= PAGES_RECOVERY
    result.ok = posts == 1 and not errors and not slow and recovered and len(answers) == 2
    result.notes.append("reply and resubmission: " + "; ".join(str(a) for a in answers))
    if stale_after:
        result.notes.append("right after the thaw: " + "; ".join(stale_after))
    return result


@drill("postgres_down", "PostgreSQL down 20 s: pages that need it, /healthz, recovery")
def postgres_down(d: Drills) -> Result:
    english, spanish = d.visitor(language="en"), d.visitor(language="es")
    pages = ["/consortia/", "/forums/", "/contributors/", "/events/", d.data["reply_topic"]["path"]]
    for path in pages:  # today's cached copies: served while the database is down
        english.get(path)
    english.answers.clear()
    n = 0

    def uncached(path: str) -> str:
        nonlocal n
        n += 1
        return f"{path}?drill={n}"  # a URL never asked before: no cached copy can answer

    d.postgres.cut()
    down = time.monotonic()
    probes: list[tuple[str, object]] = []
    health = []
    cached = []  # served from the page cache while its copy lives (a minute), then a 503
    while time.monotonic() < down + POSTGRES_OUTAGE:
        for person, language in ((english, "en"), (spanish, "es")):
            for path in pages:
                probes.append((language, person.get(uncached(path))))
            cached.append(english.get(pages[0]))  # a cached page
        health.append(english.get("/healthz"))
        time.sleep(1.0)
    d.postgres.restore()
    back = time.monotonic()
    recovery = None
    while time.monotonic() < back + 3 * PAGES_RECOVERY:
        if all(english.get(uncached(path)).status == 200 for path in pages):
            recovery = time.monotonic() - back
            break
        time.sleep(0.25)

    def branded_503(language: str, answer) -> bool:
        return (
            answer.status == 503
            and "retry-after" in answer.headers
            and f'<html lang="{language}"' in answer.body
            and "ORCID" in answer.body
        )

    wrong = [(lang, a) for lang, a in probes if a.status != 200 and not branded_503(lang, a)]
    statuses = Counter(a.status for _, a in probes)
    served = sorted({a.path.split("?")[0] for _, a in probes if a.status == 200})
    healthz = Counter(a.status for a in health)
    right_503 = {id(a) for lang, a in probes if branded_503(lang, a)}
    right_503 |= {id(a) for a in cached if branded_503("en", a)}
    errors = [
        a
        for a in english.answers + spanish.answers
        if (a.status >= 500 or a.status == 0)
        and id(a) not in right_503
        and not a.path.startswith("/healthz")
    ]
    result = Result(
        name="postgres_down",
        expected=len(probes),
        delivered=len(probes) - len(wrong),
        lost=len(wrong),
        recovery_s=recovery,
        errors_5xx=len(errors),
        limit_s=PAGES_RECOVERY,
    )
    result.ok = (
        not wrong
        and not errors
        and set(healthz) == {503}
        and recovery is not None
        and recovery <= PAGES_RECOVERY
    )
    result.notes.append(
        "pages that need the database answered "
        + ", ".join(f"{status or 'nothing'} ×{count}" for status, count in sorted(statuses.items()))
        + "; /healthz "
        + ", ".join(f"{status} ×{count}" for status, count in sorted(healthz.items()))
    )
    if served:
        result.notes.append("answered without the database: " + ", ".join(served))
    from_cache = Counter(a.status for a in cached)
    result.notes.append(
        f"the cached {pages[0]}: "
        + ", ".join(f"{status} ×{count}" for status, count in sorted(from_cache.items()))
        + " (a copy lives a minute, core.pagecache.PAGE_SECONDS; then the page needs the "
        "database: a branded 503)"
    )
    if wrong:
        lang, first = wrong[0]
        result.notes.append(f"not a branded 503 with Retry-After, e.g. ({lang}) {first}")
    return result
