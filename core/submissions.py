"""A double-clicked form makes one thing: ``@submitted_once`` on a view that creates.

A form sent twice — a double click, a reload of the POST, a second try after a slow answer —
arrives as two identical requests. The first one's answer, when it is a redirect (the new
reply, topic, request, consortium), is kept in the database under a fingerprint of the
submission: the person, the address and every field but the CSRF token
(:func:`fingerprint`). The same submission within ``settings.DUPLICATE_SUBMISSION_SECONDS``
of that answer is sent to the same place, with a message saying it was made once, and the
view is not called again. An answer that is not a redirect (a form with errors, a 4xx, a
429) is not kept: sending the same form again is then a new try.

Concurrent copies are ordered by the database: the first one claims the fingerprint's row
(``INSERT … ON CONFLICT``) in a transaction that lasts as long as its view; the second one's
claim waits for that transaction and then finds the answer. The view runs inside that
transaction (its services' own ``atomic`` blocks become savepoints; on-commit work runs when
it commits). Only signed-in people's submissions are recognised.

Rows older than the window are replaced on their next use and removed by the daily
``core.tasks.forget_old_submissions``.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Submission

_IGNORED_FIELDS = ("csrfmiddlewaretoken",)
REDIRECTS = (301, 302, 303)


def fingerprint(request: HttpRequest) -> str:
    """Who sent what to which address: equal for two sendings of the same form."""
    digest = hashlib.sha256()
    digest.update(f"{request.user.pk}\n{request.path}\n".encode())
    for name in sorted(request.POST):
        if name in _IGNORED_FIELDS:
            continue
        for value in request.POST.getlist(name):
            digest.update(f"{name}={value}\n".encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"file {name}={upload.name}:{upload.size}\n".encode())
    return digest.hexdigest()


def _claim(key: str, now) -> bool:
    """Take the fingerprint for this request; False when an answer within the window has it.

    Waits while another request holds it uncommitted (a concurrent copy)."""
    table = Submission._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    window = timedelta(seconds=settings.DUPLICATE_SUBMISSION_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (fingerprint, answered_at, result) VALUES (%s, %s, '') "
            "ON CONFLICT (fingerprint) DO UPDATE SET answered_at = excluded.answered_at, result = '' "
            f"WHERE {table}.answered_at < %s RETURNING id",
            [key, adapt(now), adapt(now - window)],
        )
        return cursor.fetchone() is not None


def submitted_once(view):
    """Answer a second identical POST of a signed-in person with the first one's redirect."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.method != "POST" or user is None or not user.is_authenticated:
            return view(request, *args, **kwargs)
        key = fingerprint(request)
        with transaction.atomic():
            if not _claim(key, timezone.now()):
                first = Submission.objects.filter(fingerprint=key).values_list("result", flat=True)
                result = first.first()
                if result:
                    messages.info(
                        request, _("This form was sent twice; it was taken in once, here.")
                    )
                    return HttpResponseRedirect(result)
            response = view(request, *args, **kwargs)
            if response.status_code in REDIRECTS:
                Submission.objects.filter(fingerprint=key).update(
                    result=response["Location"], answered_at=timezone.now()
                )
            else:
                Submission.objects.filter(fingerprint=key).delete()
        return response

    return wrapper


def forget_old() -> int:
    """Delete the answers older than the window; how many there were."""
    cutoff = timezone.now() - timedelta(seconds=settings.DUPLICATE_SUBMISSION_SECONDS)
    deleted, _kinds = Submission.objects.filter(answered_at__lt=cutoff).delete()
    return deleted
