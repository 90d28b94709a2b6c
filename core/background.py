"""Enqueue Celery tasks by name, after the surrounding transaction commits.

Services never import their tasks (the tasks import the services): they name them,
``enqueue_on_commit("consortia.tasks.send_progress_report", report.pk)``. The name is looked
up in Celery's registry at once, so a wrong name fails in the service's call (and in its
tests) instead of at commit, where a broker error is only logged. Every app's tasks are
registered when Django starts (``orcid_community.apps``); the task then runs in the process
when Celery is eager (``make run``, tests) and goes to the broker otherwise.

Enqueueing never turns a committed action into an error page, nor holds it long: a publish
is tried once, within Redis's socket timeouts (settings: ``REDIS_SOCKET_TIMEOUT``,
``CELERY_TASK_PUBLISH_RETRY_POLICY``); a failure is logged, and after one that took its
time (a timeout) this process does not ask the broker at all for ``BROKER_RETRY_SECONDS``
(a frozen Redis would otherwise cost every request its timeout). The work itself is in the database
(a Delivery waiting to be sent, …) and the periodic sweeps pick it up.
"""

import logging
import threading
import time
from functools import partial

from celery import Task, current_app
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

SLOW_FAILURE_SECONDS = 0.25


class _Broker:
    """Whether this process should try publishing now (not just after a failure)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.retry_at = 0.0

    def available(self) -> bool:
        return time.monotonic() >= self.retry_at

    def failed(self) -> None:
        with self._lock:
            self.retry_at = time.monotonic() + settings.BROKER_RETRY_SECONDS

    def answered(self) -> None:
        self.retry_at = 0.0


broker = _Broker()


def registered_task(name: str) -> Task:
    """The task registered as ``name`` (``celery.exceptions.NotRegistered`` if none is)."""
    return current_app.tasks[name]


def _send(task: Task, args, kwargs) -> None:
    eager = task.app.conf.task_always_eager
    if not eager and not broker.available():
        logger.warning("Broker unavailable: %s not enqueued; the periodic sweep will", task.name)
        return
    started = time.monotonic()
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:
        # The broker is down (or hung). The event itself has committed; the work is recorded
        # in the database by the caller and a periodic task picks it up when the broker is
        # back. Nothing is raised: the person's action succeeded.
        logger.exception("Could not enqueue %s; it will be retried by the periodic sweep", task)
        # Only a failure that cost time (a hung broker, a timeout) pauses publishing; a
        # refused connection costs nothing and is tried again with the next task.
        if not eager and time.monotonic() - started >= SLOW_FAILURE_SECONDS:
            broker.failed()
    else:
        broker.answered()


def enqueue_on_commit(name: str, *args, **kwargs) -> None:
    """Ask Celery to run the task ``name`` once the current transaction has committed."""
    transaction.on_commit(partial(_send, registered_task(name), args, kwargs))
