"""Services enqueue tasks by name (core.background), never importing their tasks."""

import json
import os
import subprocess
import sys
import time
from unittest import mock

import pytest
from celery.exceptions import NotRegistered
from django.conf import settings

from core import background
from core.background import enqueue_on_commit, registered_task
from orcid_community.celery import app as celery_app
from orcid_community.celery import configure as configure_celery

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


@pytest.fixture
def broker_publishing(monkeypatch):
    """Tasks go to a broker (not eager); the process has not seen a failure yet."""
    eager = celery_app.conf.task_always_eager
    configure_celery(task_always_eager=False)
    monkeypatch.setattr(background.broker, "retry_at", 0.0)
    yield background.broker
    configure_celery(task_always_eager=eager)


def test_a_broker_that_hangs_never_turns_the_committed_action_into_an_error(
    broker_publishing, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    monkeypatch.setattr(background, "SLOW_FAILURE_SECONDS", 0)  # every failure took its time
    task = registered_task("core.tasks.clear_expired_sessions")
    with mock.patch.object(task, "apply_async", side_effect=OSError("broker hung")) as publish:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit("core.tasks.clear_expired_sessions")
        publish.assert_called_once()
        assert "Could not enqueue" in caplog.text
        # For a moment, this process does not ask the broker again: no request waits on it.
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit("core.tasks.clear_expired_sessions")
        publish.assert_called_once()
    assert not broker_publishing.available()


def test_a_broker_that_refuses_at_once_is_asked_again_with_the_next_task(
    broker_publishing, django_capture_on_commit_callbacks
):
    task = registered_task("core.tasks.clear_expired_sessions")
    with mock.patch.object(task, "apply_async", side_effect=OSError("down")) as publish:
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                enqueue_on_commit("core.tasks.clear_expired_sessions")
    assert publish.call_count == 2


def test_a_publish_to_a_frozen_redis_gives_up_within_the_socket_timeout(tmp_path):
    """The settings bound a publish: one try, REDIS_SOCKET_TIMEOUT (1 s), no retry loop."""
    from celery import Celery

    from tests.drills.faults import RedisServer

    redis = RedisServer(tmp_path / "redis", tmp_path / "redis.log")
    app = Celery("frozen-publish", set_as_current=False)  # the portal's app stays current
    app.config_from_object("django.conf:settings", namespace="CELERY")
    try:
        redis.start()
        app.conf.broker_url = app.conf.CELERY_BROKER_URL = redis.url()  # see configure()
        app.send_task(
            "core.tasks.clear_expired_sessions"
        )  # a pooled connection, as in a web worker
        redis.freeze()
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever kombu raises, it raises soon
            app.send_task("core.tasks.clear_expired_sessions")
        took = time.monotonic() - started
    finally:
        redis.stop()
        app.close()
    assert took < settings.REDIS_SOCKET_TIMEOUT + 0.5, f"the publish waited {took:.1f} s"
