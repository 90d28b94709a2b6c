"""Enqueue Celery tasks after the surrounding transaction commits."""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def _send(task, args, kwargs) -> None:
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:
        # The broker is down. The event itself has committed; the work is recorded in the
        # database by the caller and a periodic task picks it up when the broker is back.
        logger.exception("Could not enqueue %s; it will be retried by the periodic sweep", task)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Ask Celery to run ``task`` once the current transaction has committed."""
    transaction.on_commit(partial(_send, task, args, kwargs))
