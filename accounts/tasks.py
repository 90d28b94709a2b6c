from celery import shared_task

from accounts import services


@shared_task(acks_late=True)
def build_data_export(export_id: str) -> str | None:
    export = services.data_export_build(export_id=export_id)
    return export.state if export is not None else None


@shared_task
def purge_personal_data() -> dict[str, int]:
    return services.personal_data_purge()
