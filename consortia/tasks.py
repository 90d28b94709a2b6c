from celery import shared_task

from consortia import services


@shared_task(acks_late=True)
def send_progress_report(report_id: int) -> int:
    """Mail a published progress report to the members (idempotent)."""
    return services.progress_report_notify(report_id=report_id)
