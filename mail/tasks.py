from celery import shared_task

from mail import services


@shared_task(bind=True, max_retries=services.MAX_ATTEMPTS, acks_late=True)
def send_delivery(self, delivery_id: int) -> str:
    try:
        return services.delivery_send(delivery_id=delivery_id)
    except services.TransientMailError as exc:
        # 30 s, 1 min, 2 min, 4 min … then the delivery is marked failed.
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task
def requeue_stale_deliveries() -> int:
    return services.deliveries_requeue_stale()
