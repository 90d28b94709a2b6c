from celery import shared_task

from contributors import services


@shared_task
def decide_due_nominations() -> int:
    """Decide OST nominations whose deadline has passed (beat; idempotent)."""
    return services.nominations_decide_due()
