import functools
import logging
from pathlib import Path

import redis
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz: database check failed")
        return "error"
    return "ok"


def _broker_state() -> str:
    if not settings.REDIS_URL:
        return "eager"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except redis.RedisError:
        logger.warning("healthz: broker check failed", exc_info=True)
        return "error"
    return "ok"


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and `make e2e`: 200 while the database answers.

    A broker outage is reported but does not fail the check: the portal keeps working
    and queued mail waits (the database is the one thing it cannot do without).
    """
    database = _database_state()
    broker = _broker_state()
    status = 200 if database == "ok" else 503
    return JsonResponse({"database": database, "broker": broker}, status=status)


@functools.cache
def _favicon() -> bytes:
    return Path(finders.find("img/favicon.ico")).read_bytes()


@require_GET
@cache_control(public=True, max_age=24 * 60 * 60)
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers and feed readers ask for whatever the page links:
    the icon in ``static/img/`` itself (no database, no redirect)."""
    return HttpResponse(_favicon(), content_type="image/x-icon")
