from celery import shared_task

from mail import services


# No Celery retries: a delivery whose attempt failed keeps its next attempt time in its row,
# and beat's sweep hands it over again when that time comes (hours or days later, which a
# task waiting in Redis past the visibility timeout would not survive).
@shared_task(acks_late=True)
def send_delivery(delivery_id: int) -> str:
    return services.delivery_send(delivery_id=delivery_id)


@shared_task
def requeue_stale_deliveries() -> int:
    return services.deliveries_requeue_stale()


@shared_task
def resume_stalled_digests() -> int:
    return services.digest_runs_resume_stalled()


@shared_task(acks_late=True)
def send_delivery_batch(delivery_ids: list[int]) -> dict[str, int]:
    outcome = services.deliveries_send_batch(delivery_ids=delivery_ids)
    return {state: len(ids) for state, ids in outcome.items()}
