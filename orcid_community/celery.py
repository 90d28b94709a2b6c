"""The Celery application: configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orcid_community.settings")

app = Celery("orcid_community")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def configure(**values) -> None:
    """Change Celery settings at run time (the tests, the digest bench).

    Celery reads a setting under its Django name first (``CELERY_TASK_ALWAYS_EAGER``), so
    a value set under its own name only (``app.conf.task_always_eager = True``) is not
    seen: set both.
    """
    for key, value in values.items():
        app.conf[key] = value
        app.conf[f"CELERY_{key.upper()}"] = value
