from datetime import UTC, datetime

from celery import shared_task

from forums import digests


@shared_task
def send_digests(mode: str, now: str | None = None, kind: str = digests.KIND) -> int:
    """Beat: the daily and weekly digests (a rerun of the same period sends nothing twice).

    ``now`` (ISO 8601) fixes the end of the window, e.g. to run a missed period again;
    ``kind`` other than the default keeps a benchmark's runs apart from the real ones.
    """
    until = datetime.fromisoformat(now) if now else None
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)  # beat and the worker run on UTC
    return digests.digest_send(mode=mode, now=until, kind=kind).total


@shared_task
def resume_digest(run_id: int) -> int:
    """Mail's sweep: go on building a digest run whose worker died (mail.services)."""
    run = digests.digest_resume(run_id=run_id)
    return run.total if run is not None else 0
