from celery import shared_task

from events import services


@shared_task
def send_due_reminders() -> int:
    """Beat: remind registered people a day before their meeting (exactly once each)."""
    return services.reminders_send_due()
