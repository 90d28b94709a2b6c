"""Pick the pages the benchmark loads and count their SQL queries (run by bench/run.py).

    DATABASE_URL=postgres://…/occ_bench python bench/probe.py

Runs against a filled database (the benchmark's, or the demo data's) with the settings
gunicorn gets. It chooses one page of each kind (a consortium, a profile, a topic with
50 posts, an open nomination …), creates a session for a member of the steering group,
requests every page twice through Django's test client, on an empty cache, and counts
the queries of both requests: the first draws the page, the second is the steady state the
load test sees (caches warm). Then it times a few draws on an empty cache. It prints one
JSON object: the paths, the session cookie and, per page, the status, the query counts
and the time of a draw.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orcid_community.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from consortia.models import Consortium, Membership  # noqa: E402
from contributors.models import Group, Level, Nomination, Profile  # noqa: E402
from contributors.models import Membership as GroupMembership  # noqa: E402
from forums.models import Topic  # noqa: E402

# The words searched for: present in the benchmark's data and in the demo data.
CONSORTIA_WORD = "university"
FORUM_WORD = "token"
TOPIC_POSTS = 50
# Draws of each page on an empty cache to time (the median is reported).
COLD_DRAWS = 5


def consortium_slug() -> str:
    """The active consortium with the most active members (ties: by slug)."""
    consortium = (
        Consortium.objects.filter(status=Consortium.Status.ACTIVE)
        .annotate(n=Count("memberships", filter=Q(memberships__state=Membership.State.ACTIVE)))
        .order_by("-n", "slug")
        .first()
    )
    return consortium.slug


def profile_path() -> str:
    """The profile of a contributor with a verified ORCID iD and the most contributions."""
    profile = (
        Profile.objects.filter(
            level__in=[Level.CONTRIBUTOR, Level.OST], user__orcid_id__isnull=False
        )
        .annotate(n=Count("user__contributions"))
        .order_by("-n", "user_id")
        .select_related("user")
        .first()
    )
    return profile.user.get_absolute_url()


def topic_path() -> str:
    """A topic of a public forum with 50 posts (or, on small data, the longest one)."""
    public = Topic.objects.filter(
        forum__is_private=False, merged_into__isnull=True, forum__kind__in=["api_users", "general"]
    )
    topic = public.filter(reply_count=TOPIC_POSTS - 1).order_by("pk").first()
    topic = topic or public.order_by("-reply_count", "pk").first()
    return topic.get_absolute_url()


def reviewer_and_nomination():
    """A member of the steering group on the roll of an open nomination, and that one."""
    today = timezone.localdate()
    members = GroupMembership.objects.current(today).filter(group__kind=Group.Kind.STEERING)
    nomination = (
        Nomination.objects.open()
        .filter(roll__voter__in=members.values("user"), roll__recused_at__isnull=True)
        .order_by("pk")
        .first()
    )
    voter = (
        nomination.roll.filter(voter__in=members.values("user"), recused_at__isnull=True)
        .exclude(voter=nomination.nominee_id)
        .select_related("voter")
        .order_by("voter_id")
        .first()
        .voter
    )
    return voter, nomination


def session_for(user) -> str:
    """A signed-in session of ``user`` stored where the portal keeps sessions."""
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


def pages() -> tuple[dict[str, dict], str]:
    voter, nomination = reviewer_and_nomination()
    key = session_for(voter)
    anonymous = {
        "home": "/",
        "consortia": "/consortia/",
        "consortia_search": f"/consortia/?region=emea&q={CONSORTIA_WORD}",
        "consortium": f"/consortia/{consortium_slug()}/",
        "contributors": "/contributors/",
        "profile": profile_path(),
        "forums": "/forums/",
        "topic": topic_path(),
        "forum_search": f"/forums/search/?q={FORUM_WORD}",
    }
    anonymous["api_consortia"] = "/api/v1/consortia/"
    anonymous["api_contributor"] = anonymous["profile"].replace(
        "/contributors/", "/api/v1/contributors/", 1
    )
    signed_in = {"review": "/review/", "nomination": nomination.get_absolute_url()}
    result = {name: {"path": path, "signed_in": False} for name, path in anonymous.items()}
    result.update({name: {"path": path, "signed_in": True} for name, path in signed_in.items()})
    if settings.BENCH_BARE_VIEW:
        result["bare"] = {"path": "/bench/bare/", "signed_in": False}
    return result, key


def clear_caches() -> None:
    """Empty the cache and, when it is one of its own, the page cache (PAGE_CACHE_URL)."""
    for name in ("default", "pages"):
        caches[name].clear()


def count_queries(page_list: dict[str, dict], session_key: str) -> dict[str, dict]:
    """Per page: the queries of a request on an empty cache (``cold_queries``: what the
    page costs when it is drawn) and of the next one (``queries``: the steady state the
    load test sees, caches warm), and the time a draw on an empty cache takes
    (``cold_ms``, the median of :data:`COLD_DRAWS`: what a visitor waits after a change).

    One client for every request, as one gunicorn worker: its middleware is loaded once
    (whitenoise's scan of the static files would otherwise be timed with every draw), and
    each page is requested once before it is timed (templates compiled, code imported).
    """
    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for name, page in page_list.items():

        def get(page=page):
            client.cookies.clear()
            if page["signed_in"]:
                client.cookies[settings.SESSION_COOKIE_NAME] = session_key
            return client.get(page["path"])

        get()
        clear_caches()
        # Counted as each context ends: a request outside one empties the query log.
        with CaptureQueriesContext(connection) as cold:
            get()
        cold_queries = len(cold)
        with CaptureQueriesContext(connection) as captured:
            response = get()
        queries = len(captured)
        times = []
        for _ in range(COLD_DRAWS):
            clear_caches()
            started = time.perf_counter()
            get()
            times.append((time.perf_counter() - started) * 1000)
        counts[name] = {
            "status": response.status_code,
            "queries": queries,
            "cold_queries": cold_queries,
            "cold_ms": round(statistics.median(times), 1),
        }
    return counts


def main() -> None:
    page_list, session_key = pages()
    counts = count_queries(page_list, session_key)
    for name, page in page_list.items():
        page.update(counts[name])
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    print(json.dumps({"pages": page_list, "cookie": cookie, "vendor": connection.vendor}))


if __name__ == "__main__":
    main()
