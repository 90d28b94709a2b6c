from celery import shared_task
from django.core import management


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions (idempotent; scheduled daily by beat)."""
    management.call_command("clearsessions")
