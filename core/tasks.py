from celery import shared_task
from django.core import management

from core import submissions


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions (idempotent; scheduled daily by beat)."""
    management.call_command("clearsessions")


@shared_task
def forget_old_submissions() -> None:
    """Delete the answers of forms sent longer ago than the double-submission window
    (core.submissions; idempotent; scheduled daily by beat)."""
    submissions.forget_old()
