import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.pagecache import cached_page

logger = logging.getLogger(__name__)


HOME_MEETINGS = 3
HOME_TOPICS = 5


def _latest_api_user_topics() -> list:
    """The latest discussions of the ORCID API Users list, through the forums' selectors.

    The list is a public forum, so it is looked up as an anonymous visitor sees it: the
    same few queries whoever is signed in.
    """
    from django.contrib.auth.models import AnonymousUser

    from forums import selectors as forum_selectors
    from forums.models import Forum

    forum = next(
        (f for f in forum_selectors.forum_index(AnonymousUser()) if f.kind == Forum.Kind.API_USERS),
        None,
    )
    if forum is None:
        return []
    return list(forum_selectors.forum_topics(forum).object_list[:HOME_TOPICS])


@cached_page("events", "forums")
def home(request: HttpRequest) -> HttpResponse:
    from events import selectors as event_selectors

    # The template caches both lists for a minute per events and forums generation
    # (core.cache); they are looked up only when drawn.
    context = {
        "next_meetings": SimpleLazyObject(
            lambda: event_selectors.next_meetings(limit=HOME_MEETINGS)
        ),
        "api_topics": SimpleLazyObject(_latest_api_user_topics),
    }
    return render(request, "core/home.html", context)


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
    import redis

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
