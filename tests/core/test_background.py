"""Services enqueue tasks by name (core.background), never importing their tasks."""

import json
import os
import subprocess
import sys
from unittest import mock

import pytest
from celery.exceptions import NotRegistered
from django.conf import settings

from core.background import enqueue_on_commit, registered_task

pytestmark = pytest.mark.django_db

NAMES = """
import json, django
django.setup()
from celery import current_app
print(json.dumps(sorted(current_app.tasks)))
"""


def test_every_apps_tasks_are_registered_when_django_starts():
    # In a fresh process (as the web server's): this test run has imported tasks modules.
    out = subprocess.run(
        [sys.executable, "-c", NAMES],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "orcid_community.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert {
        "consortia.tasks.send_progress_report",
        "contributors.tasks.decide_due_nominations",
        "core.tasks.clear_expired_sessions",
        "events.tasks.send_due_reminders",
        "forums.tasks.send_digests",
        "mail.tasks.send_delivery",
        "mail.tasks.send_delivery_batch",
        "mail.tasks.requeue_stale_deliveries",
    } <= set(json.loads(out.splitlines()[-1]))


def test_an_unknown_task_name_fails_in_the_call_not_at_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotRegistered):
        enqueue_on_commit("consortia.tasks.no_such_task", 1)
    assert callbacks == []
    with pytest.raises(NotRegistered):
        registered_task("mail.tasks.send_deliveries")


def test_a_task_named_runs_after_commit_in_eager_mode(django_capture_on_commit_callbacks):
    task = registered_task("core.tasks.clear_expired_sessions")
    with mock.patch.object(task, "run") as run:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            enqueue_on_commit("core.tasks.clear_expired_sessions")
        run.assert_not_called()  # nothing before the commit
        for callback in callbacks:
            callback()
    run.assert_called_once_with()
