"""gunicorn_conf: the master warms the application up and freezes it before forking."""

import gc
from types import SimpleNamespace

from orcid_community import gunicorn_conf


def test_the_master_warms_up_once_and_hides_the_loaded_objects_from_the_collector(
    monkeypatch,
):
    warmed = []
    monkeypatch.setattr(gunicorn_conf, "preload_app", True)
    monkeypatch.setattr(gunicorn_conf, "_warmed", False)
    monkeypatch.setattr("orcid_community.warmup.warm_up", lambda: warmed.append(True))
    server = SimpleNamespace(log=SimpleNamespace(exception=lambda message: None))
    gc.unfreeze()
    try:
        gunicorn_conf.pre_fork(server, worker=None)
        assert warmed == [True]
        assert gc.get_freeze_count() > 0
        gunicorn_conf.pre_fork(server, worker=None)  # the next forks reuse the warm master
        assert warmed == [True]
    finally:
        gc.unfreeze()


def test_a_failed_warm_up_is_logged_and_the_workers_start_anyway(monkeypatch):
    logged = []

    def broken():
        raise RuntimeError("no templates")

    monkeypatch.setattr(gunicorn_conf, "preload_app", True)
    monkeypatch.setattr(gunicorn_conf, "_warmed", False)
    monkeypatch.setattr("orcid_community.warmup.warm_up", broken)
    server = SimpleNamespace(log=SimpleNamespace(exception=logged.append))
    try:
        gunicorn_conf.pre_fork(server, worker=None)
    finally:
        gc.unfreeze()
    assert logged == ["warm-up failed; workers start cold"]
