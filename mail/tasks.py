from celery import shared_task

from mail import services


@shared_task(bind=True, max_retries=services.MAX_ATTEMPTS, acks_late=True)
def send_delivery(self, delivery_id: int) -> str:
    try:
        return services.delivery_send(delivery_id=delivery_id)
    except services.TransientMailError as exc:
        # MAIL_RETRY_SCHEDULE (30 s, 1 min, 2 min, 4 min …), then the delivery is failed.
        raise self.retry(exc=exc, countdown=services.retry_delay(self.request.retries)) from exc


@shared_task
def requeue_stale_deliveries() -> int:
    return services.deliveries_requeue_stale()


@shared_task
def resume_stalled_digests() -> int:
    return services.digest_runs_resume_stalled()


@shared_task(bind=True, max_retries=services.MAX_ATTEMPTS, acks_late=True)
def send_delivery_batch(self, delivery_ids: list[int]) -> dict[str, int]:
    outcome = services.deliveries_send_batch(delivery_ids=delivery_ids)
    if outcome["retry"]:
        # Only the rows an error left pending go again, after MAIL_RETRY_SCHEDULE's delay.
        raise self.retry(
            args=[outcome["retry"]], countdown=services.retry_delay(self.request.retries)
        )
    return {state: len(ids) for state, ids in outcome.items()}
