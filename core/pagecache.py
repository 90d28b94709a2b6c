"""The portal's one HTML cache: whole pages, per area generation, viewer and language.

``@cached_page("forums", "contributors")`` on a GET view keeps the HTML it returns and
serves it again, without running the view, to the same viewer (anonymous visitors share
one copy, a signed-in person has their own), in the same language and time zone, for the
same URL, until one of the named areas changes (core.cache generations) or a minute has
passed. A hit costs one cache round trip and no SQL query.

A page may be cached this way only when everything it shows, *including what its
permission checks decide*, follows from:

* the rows of the areas it names, and people's (every write there, of any kind, bumps the
  area's generation: core.cache); a signed-in viewer's pages also depend on every
  other area (:data:`SIGNED_IN_AREAS`: their header counts what waits for them);
* the viewer, the language, the time zone, the path and the query parameters it names
  (``query=("page", "q")``);
* the clock, to within :data:`PAGE_SECONDS` (relative times, deadlines, memberships that
  end on a date).

What is never cached: other methods than GET and HEAD; requests with messages waiting to
be shown; responses other than 200 HTML; responses with headers of their own, that set a
cookie or change the session; pages with a CSRF token drawn into them (forms of cached pages draw theirs with
``{% csrf_token_late %}``: the token is filled in per response by
core.middleware.LateCsrfTokenMiddleware, after the cache).

The generations are read *before* the view runs and stored with the page: a change that
commits while the page is being drawn bumps them, so that copy is never served.

**Query parameters.** A page is kept per value of the parameters it names, and of no
other: the view is handed a request whose query string (``request.GET``, ``QUERY_STRING``,
``get_full_path()``) holds only those, in the order named. So an unknown parameter is
ignored by the view *and* by the cache — the page really is the same, and ``?utm=1``,
``?x=<random>`` … are served the one copy instead of filling the cache with new ones
(not caching such requests would instead let anyone make every request a draw). A page
that starts reading a parameter must name it, or it never sees it.

**Where pages live.** In the ``pages`` cache (core.cache.PAGES): with ``PAGE_CACHE_URL``
a Redis of its own that evicts freely, so a flood of pages (every search term is a
page) cannot evict sessions, rate-limit counters or generations. Then a hit costs two
round trips, one to each Redis; with one Redis, one.
"""

from __future__ import annotations

import functools
import hashlib

from django.contrib.messages import get_messages
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone, translation

from core import cache as generations

PAGE_SECONDS = 60
# Names, ORCID iDs and what a viewer may do (groups, permissions) show on every page.
EVERY_PAGE_AREAS = ("people",)
# The header (base.html) of a signed-in person shows Review to members of the steering
# group and the count of what waits for them (votes, join requests, flagged posts, session
# proposals …: orcid_community.todo): every page a signed-in person sees depends on every
# area. Their copies are theirs alone (viewer_key) and last a minute at most anyway.
SIGNED_IN_AREAS = ("consortia", "contributors", "events", "forums")
# What a drawn (not late) CSRF token field looks like in a page.
_TOKEN_FIELD = b'name="csrfmiddlewaretoken"'


def keep_only(request: HttpRequest, names: tuple[str, ...]) -> None:
    """Leave in ``request``'s query string only the parameters ``names``, in that order."""
    query = QueryDict(mutable=True)
    for name in names:
        values = request.GET.getlist(name)
        if values:
            query.setlist(name, values)
    query_string = query.urlencode()
    if query_string != request.META.get("QUERY_STRING", ""):
        request.GET = QueryDict(query_string, encoding=request.encoding)
        request.META["QUERY_STRING"] = query_string


def viewer_key(request: HttpRequest) -> str:
    """Who looks: anonymous visitors all see the same; a signed-in person has their own
    copies. Forms on cached pages draw their CSRF token with ``{% csrf_token_late %}``."""
    user = request.user
    return f"user-{user.pk}" if user.is_authenticated else "anonymous"


def page_key(name: str, request: HttpRequest) -> str:
    parts = (
        request.get_full_path(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        viewer_key(request),
    )
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"page:{name}:{digest}"


def _has_messages(request: HttpRequest) -> bool:
    return bool(get_messages(request))


# HTML pages and the open data API's JSON (api.http.cached_json); a hit answers with the
# type the view gave.
CACHEABLE_TYPES = ("text/html", "application/json")


def _cacheable(request: HttpRequest, response: HttpResponse) -> bool:
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith(CACHEABLE_TYPES)
        # A hit rebuilds the response from its body and type: a view that set any other
        # header (Cache-Control, Vary, …) would lose it.
        and set(response.headers) <= {"Content-Type"}
        and not response.cookies
        and not (session is not None and session.modified)
        and not _has_messages(request)  # the view added one
        and _TOKEN_FIELD not in response.content
    )


def cached_page(*areas: str, seconds: int = PAGE_SECONDS, query: tuple[str, ...] = ()):
    """Serve the view's page from the cache while ``areas`` are unchanged; the view sees
    only the query parameters ``query`` (see above)."""
    for area in areas:
        generations.area_key(area)  # fails at import for an unknown area
    anonymous_areas = tuple(dict.fromkeys(areas + EVERY_PAGE_AREAS))
    signed_in_areas = tuple(dict.fromkeys(anonymous_areas + SIGNED_IN_AREAS))
    query = tuple(query)

    def decorate(view):
        name = f"{view.__module__}.{view.__qualname__}"

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            keep_only(request, query)
            if _has_messages(request):
                return view(request, *args, **kwargs)
            key = page_key(name, request)
            depends = signed_in_areas if request.user.is_authenticated else anonymous_areas
            if generations.pages_with_generations():
                store = cache
                generation, found = generations.read(depends, key)
                entry = found.get(key)
            else:
                store = caches[generations.PAGES]
                generation = generations.read(depends)[0]
                entry = store.get(key)
            if entry is not None and entry[0] == generation:
                return HttpResponse(entry[2], content_type=entry[1])
            response = view(request, *args, **kwargs)
            if _cacheable(request, response):
                store.set(key, (generation, response["Content-Type"], response.content), seconds)
            return response

        wrapper.cached_areas = areas
        return wrapper

    return decorate
