from celery import shared_task
from celery.signals import worker_ready
from django.core import management

from core import cache, submissions


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions (idempotent; scheduled daily by beat)."""
    management.call_command("clearsessions")


@shared_task
def replay_invalidations() -> int:
    """Bump the cache generations a dead process or an unreachable Redis left owed
    (core.cache; idempotent; on beat every CACHE_SWEEP_SECONDS and at worker start)."""
    return cache.replay_pending()


@worker_ready.connect(dispatch_uid="core-replay-invalidations-at-start")
def _replay_at_start(**kwargs) -> None:
    # A worker that starts may be the one that died owing bumps: replay them now rather
    # than at the next beat.
    replay_invalidations.delay()


@shared_task
def forget_old_submissions() -> None:
    """Delete the answers of forms sent longer ago than the double-submission window
    (core.submissions; idempotent; scheduled daily by beat)."""
    submissions.forget_old()
