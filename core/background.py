"""Enqueue Celery tasks by name, after the surrounding transaction commits.

Services never import their tasks (the tasks import the services): they name them,
``enqueue_on_commit("consortia.tasks.send_progress_report", report.pk)``. The name is looked
up in Celery's registry at once, so a wrong name fails in the service's call (and in its
tests) instead of at commit, where a broker error is only logged. Every app's tasks are
registered when Django starts (``orcid_community.apps``); the task then runs in the process
when Celery is eager (``make run``, tests) and goes to the broker otherwise.
"""

import logging
from functools import partial

from celery import Task, current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def registered_task(name: str) -> Task:
    """The task registered as ``name`` (``celery.exceptions.NotRegistered`` if none is)."""
    return current_app.tasks[name]


def _send(task: Task, args, kwargs) -> None:
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:
        # The broker is down. The event itself has committed; the work is recorded in the
        # database by the caller and a periodic task picks it up when the broker is back.
        logger.exception("Could not enqueue %s; it will be retried by the periodic sweep", task)


def enqueue_on_commit(name: str, *args, **kwargs) -> None:
    """Ask Celery to run the task ``name`` once the current transaction has committed."""
    transaction.on_commit(partial(_send, registered_task(name), args, kwargs))
