from celery import shared_task

from forums import digests


@shared_task
def send_digests(mode: str) -> int:
    """Beat: the daily and weekly digests (a rerun of the same period sends nothing twice)."""
    return digests.digest_send(mode=mode).total
