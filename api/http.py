"""What every answer of the public API shares: anonymous, rate-limited, open to any origin,
cached with the pages' generations, and answered 304 when the client has it already.

Two layers, because the schema and errors are django-ninja's:

* :func:`open_data` wraps each URL of the API (the endpoints, the schema, the docs page
  and ninja's own error answers): the request is read as an anonymous visitor's (the API
  shows what a visitor sees, and a cookie never changes an answer), counted against the
  ``api`` rate limit per client address (core.ratelimit; a JSON 429 with ``Retry-After``
  beyond it), answered with CORS headers for GET from any origin (credentials are never
  allowed: there are none to send), and given an ``ETag`` (a digest of the body) with a ``304 Not
  Modified`` to a client that has this body already.
* :func:`cached_json` on an endpoint serves its JSON from the page cache
  (core.pagecache) while the named areas are unchanged, and serializes the endpoint's
  result through its schema.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import InvalidPage, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.http import quote_etag
from pydantic import BaseModel

from core.pagecache import cached_page
from core.ratelimit import refusal

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
JSON = "application/json"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Expose-Headers": "ETag, Retry-After",
    "Access-Control-Max-Age": "86400",
}


def _with_cors(response: HttpResponse) -> HttpResponse:
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response


def _refused(request: HttpRequest) -> HttpResponse | None:
    """The JSON 429 when this client address has used up the ``api`` limit."""
    page = refusal(request, "api")
    if page is None:
        return None
    response = JsonResponse(
        {"detail": "Too many requests: try again later.", "retry_after": int(page["Retry-After"])},
        status=429,
    )
    response["Retry-After"] = page["Retry-After"]
    return response


def _validated(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Add an ETag to a 200; a 304 when the client's copy is this one.

    No Last-Modified: the body's digest is the validator, and a date would need a second
    store of when each body was first served (the page cache is for pages only).
    """
    if response.status_code != 200 or response.streaming:
        return response
    etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH", "")
    if if_none_match.strip() == "*" or etag in [tag.strip() for tag in if_none_match.split(",")]:
        response = HttpResponseNotModified()
    response["ETag"] = etag
    return response


def open_data(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a URL of the API (see the module's docstring)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":  # a CORS preflight: nothing to count or draw
            response = HttpResponse(status=204)
            response["Allow"] = "GET, HEAD, OPTIONS"
            return _with_cors(response)
        request.user = AnonymousUser()
        refused = _refused(request)
        if refused is not None:
            return _with_cors(refused)
        head = request.method == "HEAD"
        if head:
            # ninja routes GET only: a HEAD is its GET, whose body the server drops.
            request.method = "GET"
        response = view(request, *args, **kwargs)
        if head:
            request.method = "HEAD"
        if request.method in ("GET", "HEAD"):
            response = _validated(request, response)
        return _with_cors(response)

    return wrapper


def cached_json(schema: type[BaseModel], *areas: str, query: tuple[str, ...] = ()):
    """Serve the endpoint's JSON from the page cache while ``areas`` are unchanged.

    The endpoint returns its data as a dict; the decorator checks it against ``schema``
    (the one its route declares) and serializes it. Only the query parameters ``query``
    reach the endpoint (core.pagecache).

    Only answers of 200 are kept (core.pagecache): errors (404) are never cached.
    """

    def decorate(endpoint):
        @functools.wraps(endpoint)
        def drawn(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            data = endpoint(request, *args, **kwargs)
            if isinstance(data, HttpResponse):
                return data
            body = schema.model_validate(data).model_dump_json()
            return HttpResponse(body, content_type=JSON)

        return cached_page(*areas, query=query)(drawn)

    return decorate


def paginated(
    request: HttpRequest,
    queryset: QuerySet | list,
    item: Callable,
    *,
    page: int,
    page_size: int,
) -> dict:
    """``{"count", "next", "results"}`` for page ``page`` of ``queryset``: ``next`` is the
    address of the next page (with the same filters), or None on the last. A page past the
    end is empty."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    paginator = Paginator(queryset, page_size)
    try:
        current = paginator.page(page)
    except InvalidPage:
        return {"count": paginator.count, "next": None, "results": []}
    next_url = None
    if current.has_next():
        query = request.GET.copy()
        query["page"] = str(page + 1)
        next_url = f"{request.path}?{urlencode(sorted(query.items()))}"
    return {
        "count": paginator.count,
        "next": next_url,
        "results": [item(obj) for obj in current.object_list],
    }
