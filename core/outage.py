"""PostgreSQL down: a branded 503 page with ``Retry-After`` instead of a 500; the 500 page.

Django turns an exception anywhere in a request (a view, a middleware, a template) into the
project's ``handler500``; :func:`server_error` is that handler. When the exception is the
database being out of reach — a connection refused, dropped or timed out, the server
shutting down or out of connections — it answers ``503 Service Unavailable`` with
``Retry-After: settings.DATABASE_RETRY_AFTER_SECONDS`` and ``templates/503.html``, in the
language the request was being served in; any other error is the branded 500
(``templates/500.html``), drawn the same way, since a 500 may well be the database's.

The page is drawn without the request's context processors (they read the signed-in
person, which needs the database): the base template shows its header as to a visitor.
Cached pages are answered before any of this and keep serving (core.pagecache); /healthz
answers 503 with its JSON as before (core.views).
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATE classes that mean "the server is not there for you now": connection
# exceptions (08), insufficient resources such as too many connections (53), operator
# intervention such as a shutdown (57P01–57P05). Deadlocks and serialization failures (40)
# are OperationalErrors too, but the database is up: those stay 500s.
_UNAVAILABLE_CLASSES = ("08", "53", "57P")


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached (not that a query failed)."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if isinstance(exc, InterfaceError):  # a connection already closed
        return True
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    # No SQLSTATE: the error came from the client library (refused, reset, timed out).
    return sqlstate is None or sqlstate.startswith(_UNAVAILABLE_CLASSES)


def _page_without_database(template: str, status: int, context=None) -> HttpResponse:
    html = loader.render_to_string(template, {**(context or {}), "user": None})
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    return response


def unavailable_response() -> HttpResponse:
    """The 503 page, without anything that needs the database."""
    retry_after = settings.DATABASE_RETRY_AFTER_SECONDS
    response = _page_without_database("503.html", 503, {"retry_after": retry_after})
    response["Retry-After"] = str(retry_after)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the 503 page when the database is away, the branded 500 otherwise."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        logger.warning("database unavailable: 503 for %s %s", request.method, request.path)
        try:
            return unavailable_response()
        except Exception:  # the outage page itself must never be what fails
            logger.exception("the 503 page could not be drawn")
            return HttpResponseServerError("Service unavailable", status=503)
    try:
        return _page_without_database("500.html", 500)
    except Exception:  # the error page must never be what fails: Django's plain one
        logger.exception("the 500 page could not be drawn")
        return defaults.server_error(request)
