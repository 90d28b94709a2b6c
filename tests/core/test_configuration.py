"""The settings by environment, the stack definition and the Celery configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    for name in ("DATABASE_URL", "REDIS_URL", "PAGE_CACHE_URL", "FORWARDED_ALLOW_IPS"):
        clean.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x7Hq2-very-long-random-secret-for-the-deploy-check-91c0aa5f3e8d7b6c4",
    "DJANGO_ALLOWED_HOSTS": "portal.example.org",
}


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.STORAGES['staticfiles']['BACKEND'], s.ACCOUNT_EMAIL_VERIFICATION)"
    )
    result = run_manage("shell", "--no-imports", "-c", code, **PRODUCTION)
    assert result.stdout.split() == [
        "False",
        "True",
        "31536000",
        "True",
        "True",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "mandatory",
    ]


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = run_manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_deploy_check_refuses_the_development_key():
    result = run_manage("check", "--deploy", DJANGO_DEBUG="true")
    assert result.returncode != 0
    assert "core.E001" in result.stderr
    assert "development key" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "change-me-to-a-long-random-string-before-any-real-use-0123456789",  # compose's old
        "django-insecure-" + "k" * 60,
    ],
)
def test_the_deploy_check_refuses_public_keys(key):
    result = run_manage("check", "--deploy", **{**PRODUCTION, "DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "core.E001" in result.stderr


def test_the_deploy_check_refuses_a_key_shorter_than_50_characters():
    short = {**PRODUCTION, "DJANGO_SECRET_KEY": "x7Hq2-a-random-but-short-secret-of-49-characters!"}
    assert len(short["DJANGO_SECRET_KEY"]) == 49
    result = run_manage("check", "--deploy", **short)
    assert result.returncode != 0
    assert "core.E002" in result.stderr
    assert "49 characters" in result.stderr
    fifty = {**PRODUCTION, "DJANGO_SECRET_KEY": short["DJANGO_SECRET_KEY"] + "z"}
    assert run_manage("check", "--deploy", **fifty).returncode == 0


def test_the_web_process_refuses_to_start_with_a_weak_key():
    """bin/stack web runs the deploy check before it migrates or serves anything."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    for name in ("DATABASE_URL", "REDIS_URL", "PAGE_CACHE_URL", "FORWARDED_ALLOW_IPS"):
        clean.pop(name, None)
    env = {**clean, **PRODUCTION, "DJANGO_SECRET_KEY": "too-short", "PYTHON": sys.executable}
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/never-reached"
    result = subprocess.run(
        ["bin/stack", "web"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "core.E002" in result.stderr
    assert "migrat" not in (result.stdout + result.stderr).lower()


def test_docker_compose_has_no_default_secret_key():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    key = compose["services"]["web"]["environment"]["DJANGO_SECRET_KEY"]
    # ${VAR:?message}: compose refuses to start when the variable is unset or empty.
    assert key.startswith("${DJANGO_SECRET_KEY:?")
    assert key.endswith("}")


def test_a_malformed_trusted_proxy_list_is_an_error():
    result = run_manage("check", DJANGO_DEBUG="true", FORWARDED_ALLOW_IPS="10.0.0.0/8,proxy")
    assert result.returncode != 0
    assert "core.E003" in result.stderr


def test_database_and_redis_come_from_the_environment():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'],"
        " s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'])"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        DATABASE_URL="postgres://u:p@db.example:5432/portal",
        REDIS_URL="redis://cache.example:6379/0",
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "portal",
        "redis://cache.example:6379/0",
        "False",
        "core.redis_cache.RedisCache",
    ]
    embedded = run_manage("shell", "--no-imports", "-c", code)
    assert embedded.stdout.split()[0] == "django.db.backends.sqlite3"
    assert embedded.stdout.split()[3:] == [
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


CACHE_LOCATIONS = (
    "from django.conf import settings as s;"
    "print(s.CACHES['default']['LOCATION'], s.CACHES['pages']['LOCATION'])"
)


def test_cached_html_goes_to_the_page_cache_redis_when_one_is_given():
    two = run_manage(
        "shell",
        "--no-imports",
        "-c",
        CACHE_LOCATIONS,
        REDIS_URL="redis://main.example:6379/0",
        PAGE_CACHE_URL="redis://pages.example:6379/0",
    )
    assert two.stdout.split() == ["redis://main.example:6379/0", "redis://pages.example:6379/0"]
    one = run_manage(
        "shell", "--no-imports", "-c", CACHE_LOCATIONS, REDIS_URL="redis://main.example:6379/0"
    )
    assert one.stdout.split() == ["redis://main.example:6379/0"] * 2
    alone = run_manage("check", PAGE_CACHE_URL="redis://pages.example:6379/0")
    assert alone.returncode != 0
    assert "PAGE_CACHE_URL needs REDIS_URL" in alone.stderr


def test_orcid_provider_settings_follow_the_environment():
    code = (
        "from django.conf import settings as s;"
        "p = s.SOCIALACCOUNT_PROVIDERS['orcid'];"
        "print(p['BASE_DOMAIN'], p['MEMBER_API'], p['APPS'][0]['client_id'])"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        ORCID_BASE_DOMAIN="sandbox.orcid.org",
        ORCID_CLIENT_ID="APP-123",
        ORCID_CLIENT_SECRET="s",
    )
    assert result.stdout.split() == ["sandbox.orcid.org", "False", "APP-123"]
    bad = run_manage("check", ORCID_BASE_DOMAIN="evil.example")
    assert "ORCID_BASE_DOMAIN must be" in bad.stderr


def test_celery_is_configured_for_reliable_delivery():
    from orcid_community.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] >= app.conf.task_time_limit
    # Expired sessions go with the rest of what retention purges (accounts.tasks).
    assert "purge-personal-data" in app.conf.beat_schedule
    assert "core.tasks.clear_expired_sessions" in app.tasks


def test_mail_retry_timings_span_days_unless_the_environment_sets_them():
    code = (
        "from django.conf import settings as s; from mail import services;"
        "print(s.MAIL_MAX_ATTEMPTS, s.MAIL_RETRY_SCHEDULE, s.MAIL_STALE_AFTER_SECONDS,"
        " s.CELERY_BEAT_SCHEDULE['requeue-stale-deliveries']['schedule'],"
        " s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'],"
        " services.MAX_ATTEMPTS, services.STALE_AFTER.total_seconds(), sep='|')"
    )
    today = run_manage("shell", "--no-imports", "-c", code)
    assert today.stdout.strip().split("|") == [
        "10",
        "[60.0, 300.0, 900.0, 3600.0, 14400.0, 43200.0, 86400.0]",
        "300.0",
        "60.0",
        "3600",
        "10",
        "300.0",
    ], today.stderr
    compressed = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        MAIL_MAX_ATTEMPTS="3",
        MAIL_RETRY_SCHEDULE="1.5,3",
        MAIL_STALE_AFTER_SECONDS="15",
        MAIL_SWEEP_SECONDS="3",
        CELERY_VISIBILITY_TIMEOUT="180",
    )
    assert compressed.stdout.strip().split("|") == [
        "3",
        "[1.5, 3.0]",
        "15.0",
        "3.0",
        "180",
        "3",
        "15.0",
    ], compressed.stderr


def test_docker_compose_names_every_service_and_uses_bin_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat", "inbound", "mail"} <= set(services)
    for name in ("web", "worker", "beat", "inbound"):
        assert services[name]["command"] == ["bin/stack", name]
    for name in ("db", "redis", "web", "mail"):
        assert "healthcheck" in services[name]
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--maxmemory-policy") + 1] == "volatile-lru"
    assert "--maxmemory" in redis_command
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://redis:")


def test_docker_compose_keeps_cached_html_in_a_redis_of_its_own_that_evicts_freely():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    command = services["redis-pages"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert "--maxmemory" in command
    assert "healthcheck" in services["redis-pages"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["PAGE_CACHE_URL"].startswith("redis://redis-pages:")
        assert "redis-pages" in services[name]["depends_on"]


def test_readme_documents_the_stack_commands_and_every_variable():
    readme = (ROOT / "README.md").read_text()
    for command in ("bin/stack web", "bin/stack worker", "bin/stack beat", "bin/stack inbound"):
        assert command in readme
    settings_source = (ROOT / "orcid_community" / "settings.py").read_text()
    import re

    variables = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    assert variables, "no environment variables found in settings"
    missing = sorted(v for v in variables if f"`{v}`" not in readme)
    assert not missing, f"README does not document: {missing}"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no real Redis")
def test_the_cache_really_lives_in_redis():
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-config"})
    cache.set("probe", "value", 10)
    assert cache.get("probe") == "value"
    cache.delete("probe")
    assert caches  # the configured alias exists
