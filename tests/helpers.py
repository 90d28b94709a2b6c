"""What the tests share. Test modules and conftest files import from here (and from
tests/factories/), never from each other: a helper copied into a second module belongs here.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache import caches
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

T = TypeVar("T")


def run_together(*actions: Callable[[], Any]) -> list:
    """Run each action in a thread of its own, all released at the same moment (each with
    its own database connection, closed after); the result of each, or the exception it
    raised, in the order given."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def worker(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "an action still runs after 30 s"
    return results


def count_queries(client, url: str, *, clear_cache: bool = False) -> int:
    """The SQL queries of a GET of ``url``, which must answer 200; with ``clear_cache`` the
    page is drawn afresh: every cache is emptied first."""
    if clear_cache:
        for cache in caches.all(initialized_only=False):
            cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = 30.0,
    interval: float = 0.05,
    what: str | Callable[[], str] = "",
) -> T:
    """Ask ``predicate`` every ``interval`` seconds until it answers something true, and
    return that; at the deadline (``timeout`` seconds) fail, saying ``what`` was awaited
    (a callable: asked then, to tell what there was instead)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() >= deadline:
            awaited = (what() if callable(what) else what) or getattr(
                predicate, "__name__", "the condition"
            )
            raise AssertionError(f"not within {timeout:g} s: {awaited}")
        time.sleep(interval)
    return value


def broker_idle(redis_url: str, queue: str = "celery") -> Callable[[], bool]:
    """A predicate for :func:`wait_until`: Celery's Redis broker at ``redis_url`` holds no
    task — none waiting in ``queue`` and none taken by a worker (tasks are acknowledged
    late: a taken one stays in ``unacked`` until it has finished, its mail sent) — at two
    looks in a row, as a task moves from the queue to ``unacked`` in between.

    Once it is true, every mail the tasks sent has arrived and no other can follow (a
    duplicate would be a task still waiting or running)."""
    client = redis.Redis.from_url(redis_url)
    empty_before = False

    def idle() -> bool:
        nonlocal empty_before
        empty = client.llen(queue) == 0 and client.hlen("unacked") == 0
        idle_now, empty_before = empty_before and empty, empty
        return idle_now

    idle.__name__ = f"the broker idle ({redis_url})"
    return idle


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago (nothing listens there until a
    server of the test binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_clean_markup(html: str) -> None:
    """No inline style or script (the Content Security Policy forbids them), one <h1>,
    unique ids, and a label for every visible form field."""
    assert " style=" not in html
    assert "<style" not in html
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script
    assert not re.search(r"<[^>]+\son[a-z]+=", html)
    assert html.count("<h1") == 1
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids"
    fields = re.findall(
        r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")[^>]*\sid="([^"]+)"', html
    )
    for field_id in fields:
        assert f'for="{field_id}"' in html, f"no label for {field_id}"


def vote(nomination, voter, choice, comment="", **kwargs):
    """``voter`` casts a vote on ``nomination`` through the service."""
    # Imported when called: tests/stack.py and the drills import this module outside
    # pytest, before (or without) Django's setup.
    from contributors import services as contributors

    return contributors.vote_cast(
        nomination=nomination, by=voter, choice=choice, comment=comment, **kwargs
    )


def watch(user, mode, *, forum=None, topic=None):
    """``user`` subscribes to ``forum`` or ``topic`` in ``mode`` ("each", "daily"…)."""
    from forums import services as forums  # when called: see vote()

    return forums.subscription_set(by=user, mode=mode, forum=forum, topic=topic)


def moment_text(value, *, zone: str = "UTC", language: str = "en") -> str:
    """How a page shows a moment (``DATETIME_FORMAT``: day, 24-hour time, zone) in ``zone``."""
    import zoneinfo  # only this helper needs them; the module stays light for the e2e stack

    from django.utils import formats, timezone, translation

    with translation.override(language):
        local = timezone.localtime(value, zoneinfo.ZoneInfo(zone))
        return formats.date_format(local, "DATETIME_FORMAT")


def mail_bytes(
    *,
    to: str,
    sender: str = "ana@example.org",
    subject: str = "Re: [ORCID API Users] Scopes",
    text: str | None = "Thanks, that works.",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, bytes], ...] = (),
    message_id: str | None = None,
) -> bytes:
    """A mail as a mail program sends it (a text part, an HTML part or both, attachments)."""
    from email import policy  # when called: only the mail-in tests build mail
    from email.message import EmailMessage
    from email.utils import make_msgid

    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.org")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for filename, data in attachments:
        message.add_attachment(
            data, maintype="application", subtype="octet-stream", filename=filename
        )
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire
