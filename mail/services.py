"""Mail delivery: every mail is a Delivery row written with the event, sent after commit.

    deliver(recipients=[...], kind="consortia.join_requested", about=membership,
            subject=_("New request to join %(name)s"), subject_params={"name": c.name},
            template="consortia/email/join_requested", context={...},
            list_id="consortia")

renders ``<template>.txt`` (and ``<template>.html`` when it exists, else the text part
wrapped in the mail layout) in each recipient's language, writes one Delivery per
recipient — a person who already has this delivery is skipped by the unique constraint —
and asks Celery to send once the transaction commits. If the broker is down the rows
wait; ``deliveries_requeue_stale`` (beat) sends them when it is back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from mail.models import Delivery, Unsubscription

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=5)
UNSUBSCRIBE_SALT = "mail.unsubscribe"
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 90  # a token in an old mail works for 90 days

# Human names of lists, shown on the unsubscribe page; apps add theirs in AppConfig.ready.
LIST_NAMES: dict[str, str] = {}
# Mail about a person's own account (address confirmation, password reset) is not list
# mail: it carries no List-* headers and an unsubscription cannot stop it.
ACCOUNT_LIST = "account"


class TransientMailError(Exception):
    """Sending failed and will be tried again."""


def register_list(list_id: str, name) -> None:
    LIST_NAMES[list_id] = name


def about_key(about) -> str:
    if isinstance(about, str):
        return about
    return f"{about._meta.label_lower}:{about.pk}"


def unsubscribe_token(*, user_id: int, list_id: str) -> str:
    return signing.dumps({"u": user_id, "l": list_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """Return (user id, list id); raise signing.BadSignature for a forged or expired token."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    if not isinstance(data, dict) or "u" not in data or "l" not in data:
        raise signing.BadSignature("incomplete token")
    return int(data["u"]), str(data["l"])


def unsubscribe_url(*, user_id: int, list_id: str) -> str:
    token = unsubscribe_token(user_id=user_id, list_id=list_id)
    return f"{settings.SITE_URL.rstrip('/')}/mail/unsubscribe/{token}/"


def _render(template: str, context: dict, subject, subject_params: dict | None):
    text = render_to_string(f"{template}.txt", context)
    try:
        html_template = get_template(f"{template}.html")
    except TemplateDoesNotExist:
        html = render_to_string("mail/email/layout.html", {**context, "text_body": text})
    else:
        html = html_template.render(context)
    subject_text = str(subject) % (subject_params or {}) if subject_params else str(subject)
    return " ".join(subject_text.split()), text, html


@transaction.atomic
def deliver(
    *,
    recipients: Iterable,
    kind: str,
    about,
    subject,
    template: str,
    context: dict | None = None,
    list_id: str,
    subject_params: dict | None = None,
    period: str = "",
    reply_to: str = "",
) -> int:
    """Write one delivery per recipient and send them after commit; return how many are new."""
    key = about_key(about)
    people = {user.pk: user for user in recipients if user.is_active and user.email}
    if not people:
        return 0
    opted_out = set(
        Unsubscription.objects.filter(user_id__in=people, list_id=list_id).values_list(
            "user_id", flat=True
        )
    )
    already = set(
        Delivery.objects.filter(
            recipient_id__in=people, kind=kind, about=key, period=period
        ).values_list("recipient_id", flat=True)
    )
    rows = []
    for user in people.values():
        if user.pk in already:
            continue
        language = getattr(user, "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            ctx = {
                **(context or {}),
                "recipient": user,
                "site_url": settings.SITE_URL.rstrip("/"),
                "unsubscribe_url": unsubscribe_url(user_id=user.pk, list_id=list_id),
                "list_name": LIST_NAMES.get(list_id, list_id),
            }
            subject_text, text, html = _render(template, ctx, subject, subject_params)
        rows.append(
            Delivery(
                recipient=user,
                kind=kind,
                about=key,
                period=period,
                list_id=list_id,
                to_email=user.email,
                subject=subject_text[:255],
                body_text=text,
                body_html=html,
                reply_to=reply_to,
                state=Delivery.State.SKIPPED if user.pk in opted_out else Delivery.State.PENDING,
            )
        )
    # A concurrent writer of the same delivery loses to the constraint, silently.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(lambda: _enqueue_pending(kind=kind, about=key, period=period))
    return len(rows)


@transaction.atomic
def deliver_message(*, recipient, message, kind: str, about: str) -> Delivery:
    """Record an already rendered account mail (from allauth) and send it after commit."""
    html = next(
        (
            content
            for content, mimetype in getattr(message, "alternatives", [])
            if mimetype == "text/html"
        ),
        None,
    )
    delivery = Delivery.objects.create(
        recipient=recipient,
        kind=kind,
        about=about,
        list_id=ACCOUNT_LIST,
        to_email=message.to[0],
        subject=message.subject[:255],
        body_text=message.body,
        body_html=html
        or render_to_string("mail/email/layout.html", {"text_body": message.body, "list_name": ""}),
    )
    transaction.on_commit(lambda: enqueue_deliveries([delivery.pk]))
    return delivery


def _enqueue_pending(*, kind: str, about: str, period: str) -> None:
    ids = list(
        Delivery.objects.filter(
            kind=kind, about=about, period=period, state=Delivery.State.PENDING
        ).values_list("pk", flat=True)
    )
    enqueue_deliveries(ids)


def enqueue_deliveries(ids: list[int]) -> None:
    """Hand deliveries to Celery; if the broker is down they stay pending for the sweep."""
    from mail.tasks import send_delivery

    if not ids:
        return
    Delivery.objects.filter(pk__in=ids).update(queued_at=timezone.now())
    for pk in ids:
        try:
            send_delivery.delay(pk)
        except Exception:
            logger.warning("Broker unavailable; delivery %s waits for the sweep", pk, exc_info=True)
            return


def build_message(delivery: Delivery) -> EmailMultiAlternatives:
    headers = {"X-Portal-Delivery": str(delivery.pk)}
    if delivery.list_id != ACCOUNT_LIST:
        link = unsubscribe_url(user_id=delivery.recipient_id, list_id=delivery.list_id)
        headers.update(
            {
                "List-Id": f"<{delivery.list_id}.{settings.MAIL_LIST_ID_DOMAIN}>",
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        )
    message = EmailMultiAlternatives(
        subject=delivery.subject,
        body=delivery.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.to_email],
        reply_to=[delivery.reply_to] if delivery.reply_to else None,
        headers=headers,
    )
    message.attach_alternative(delivery.body_html, "text/html")
    return message


def delivery_send(*, delivery_id: int) -> str:
    """Send one pending delivery (idempotent: a sent, failed or skipped one is left alone).

    Raises TransientMailError after a failed attempt that may be retried; the attempt and
    its error are saved first (outside the rolled-back part).
    """
    error = None
    with transaction.atomic():
        # The row lock makes a second task for the same delivery wait, then see it sent.
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.state != Delivery.State.PENDING:
            return delivery.state if delivery else "missing"
        if (
            delivery.list_id != ACCOUNT_LIST
            and Unsubscription.objects.filter(
                user_id=delivery.recipient_id, list_id=delivery.list_id
            ).exists()
        ):
            delivery.state = Delivery.State.SKIPPED
            delivery.save(update_fields=["state"])
            return delivery.state
        delivery.attempts += 1
        try:
            get_connection().send_messages([build_message(delivery)])
        except Exception as exc:
            error = exc
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = Delivery.State.FAILED
                logger.error("Delivery %s failed for good: %s", delivery.pk, delivery.last_error)
        else:
            delivery.state = Delivery.State.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(update_fields=["attempts", "state", "sent_at", "last_error"])
    if error is not None and delivery.state == Delivery.State.PENDING:
        raise TransientMailError(delivery.last_error) from error
    return delivery.state


def deliveries_requeue_stale(*, older_than: timedelta = STALE_AFTER, limit: int = 5000) -> int:
    """Re-enqueue pending deliveries nobody has picked up (e.g. the broker was down)."""
    cutoff = timezone.now() - older_than
    ids = list(
        Delivery.objects.filter(state=Delivery.State.PENDING)
        .filter(models.Q(queued_at__isnull=True) | models.Q(queued_at__lt=cutoff))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue_deliveries(ids)
    return len(ids)


@transaction.atomic
def unsubscribe(*, user_id: int, list_id: str) -> bool:
    """Stop every mail of ``list_id`` to the person, pending ones included; True if new."""
    _, created = Unsubscription.objects.get_or_create(user_id=user_id, list_id=list_id)
    Delivery.objects.filter(
        recipient_id=user_id, list_id=list_id, state=Delivery.State.PENDING
    ).update(state=Delivery.State.SKIPPED)
    return created
