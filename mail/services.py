"""Mail delivery: every mail is a Delivery row written with the event, sent after commit.

    deliver(recipients=[...], kind="consortia.join_requested", about=membership,
            subject=_("New request to join %(name)s"), subject_params={"name": c.name},
            template="consortia/email/join_requested", context={...},
            list_id="consortia")

renders ``<template>.txt`` (and ``<template>.html`` when it exists, else the text part
wrapped in the mail layout) in each recipient's language, writes one Delivery per
recipient — a person who already has this delivery is skipped by the unique constraint —
and asks Celery to send once the transaction commits. If the broker is down the rows
wait; ``deliveries_requeue_stale`` (beat's sweep) hands them over when it is back, and
hands over again every delivery whose next attempt is due ("sending", below).
"""

from __future__ import annotations

import functools
import logging
import select
import smtplib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from email import charset as Charset
from functools import partial
from html import escape as html_escape

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT
from django.db import DatabaseError, models, transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from core.background import enqueue_on_commit, registered_task
from core.errors import InvalidInput, NotAllowed
from mail import signing as fast_signing
from mail.lists import settings_sections
from mail.models import BounceScore, Delivery, DigestRun, DigestSection, Unsubscription
from mail.permissions import can_enable_bouncing_address, can_resend_deliveries

logger = logging.getLogger(__name__)

# Settings (README, "Sending and retries"): 10 attempts, retries after 1, 5 and 15 min, 1,
# 4 and 12 h, then daily (about 3.7 days from the first to the last); the sweep takes back
# what a send task has held 5 min without settling it.
MAX_ATTEMPTS = settings.MAIL_MAX_ATTEMPTS
STALE_AFTER = timedelta(seconds=settings.MAIL_STALE_AFTER_SECONDS)
BOUNCE_THRESHOLD = settings.MAIL_BOUNCE_THRESHOLD
BOUNCE_STALE_DAYS = settings.MAIL_BOUNCE_STALE_DAYS
BATCH_SIZE = 1000  # deliveries sent over one connection by one task (README, Digests at scale)
# Deliveries sent and recorded in one transaction: what a worker killed in the middle of a
# batch may have sent without recording it, and so sends again (issue 22: at most 10).
SEND_CHUNK = 10
UNSUBSCRIBE_SALT = "mail.unsubscribe"
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 90  # a token in an old mail works for 90 days

# Human names of lists, shown on the unsubscribe page; apps add theirs in AppConfig.ready.
LIST_NAMES: dict[str, str] = {}
# Mail about a person's own account (address confirmation, password reset), and mail to an
# address that has no account (an invitation), is not list mail: it carries no List-*
# headers and an unsubscription cannot stop it.
ACCOUNT_LIST = "account"


def retry_delay(retries: int) -> float:
    """Seconds between a delivery's attempt number ``retries + 1`` and the next one."""
    schedule = settings.MAIL_RETRY_SCHEDULE
    return schedule[min(retries, len(schedule) - 1)]


def register_list(list_id: str, name) -> None:
    LIST_NAMES[list_id] = name


# Lists made at run time, one per object (``briefings-<group slug>``): an app registers the
# prefix and a function naming the list from the rest of its id (None: no such list).
LIST_FAMILIES: dict[str, Callable[[str], object]] = {}


def register_list_family(prefix: str, namer: Callable[[str], object]) -> None:
    LIST_FAMILIES[prefix] = namer


def list_name(list_id: str):
    """The human name of a list, for mail footers and the unsubscribe page."""
    if list_id in LIST_NAMES:
        return LIST_NAMES[list_id]
    for prefix, namer in LIST_FAMILIES.items():
        if list_id.startswith(prefix):
            name = namer(list_id[len(prefix) :])
            if name:
                return name
    return list_id


def about_key(about) -> str:
    if isinstance(about, str):
        return about
    return f"{about._meta.label_lower}:{about.pk}"


def unsubscribe_token(*, user_id: int, list_id: str) -> str:
    """The signed, timestamped token of a list's one-click unsubscribe link for a person."""
    return fast_signing.dumps({"u": user_id, "l": list_id}, salt=UNSUBSCRIBE_SALT)


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
        # The text part is drawn with autoescape off (it is plain text) and so comes back
        # marked safe: escape it once here, or user-written text would reach the HTML part
        # as markup.
        html = render_to_string(
            "mail/email/layout.html", {**context, "text_body": escape(str(text))}
        )
    else:
        html = html_template.render(context)
    subject_text = str(subject) % (subject_params or {}) if subject_params else str(subject)
    return " ".join(subject_text.split()), text, html


# No savepoint of its own: nobody goes on with a transaction in which writing mail failed,
# and a post's mail is written inside the post's own savepoint (two round trips a reply).
@transaction.atomic(savepoint=False)
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
    reply_to: str | Mapping[int, str] = "",
    headers: Mapping[str, str] | None = None,
    fresh: bool = False,
) -> int:
    """Write one delivery per recipient and send them after commit; return how many are new.

    ``reply_to`` is one address, or one per recipient ({user id: address}: a reply address
    that names the person); ``headers`` are more headers of every copy (threading).
    ``fresh``: ``about`` was made in this transaction, so nobody has its mail yet (who has
    it is not read; a row that stands all the same wins, as a concurrent writer's would).
    """
    key = about_key(about)
    people = {user.pk: user for user in recipients if user.is_active and user.email}
    if not people:
        return 0
    opted_out = set(
        Unsubscription.objects.filter(user_id__in=people, list_id=list_id).values_list(
            "user_id", flat=True
        )
    )
    already = set()
    if not fresh:
        already = set(
            Delivery.objects.filter(
                recipient_id__in=people, kind=kind, about=key, period=period
            ).values_list("recipient_id", flat=True)
        )
    name = list_name(list_id)  # lazy where it must be translated per recipient
    now = timezone.now()
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
                "list_name": name,
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
                reply_to=reply_to if isinstance(reply_to, str) else reply_to.get(user.pk, ""),
                headers=dict(headers) if headers else None,
                state=Delivery.State.SKIPPED if user.pk in opted_out else Delivery.State.PENDING,
                # Handed to the send task right after commit (no second write of the row);
                # should the process die before, the sweep takes it after
                # MAIL_STALE_AFTER_SECONDS.
                queued_at=None if user.pk in opted_out else now,
            )
        )
    # A concurrent writer of the same delivery wins: its row stands as it wrote it (the
    # "update" sets a key column to its own value) and comes back with its id, like ours.
    Delivery.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["recipient", "kind", "about", "period"],
        update_fields=["about"],
    )
    pending = [row.pk for row in rows if row.state == Delivery.State.PENDING]
    # The send task claims only what is still pending: a row of a concurrent writer's
    # handed over twice is sent once.
    transaction.on_commit(partial(enqueue_batch, pending, mark_queued=False))
    return len(rows)


@transaction.atomic
def deliver_to_address(
    *,
    email: str,
    kind: str,
    about,
    subject,
    template: str,
    context: dict | None = None,
    subject_params: dict | None = None,
    language: str = "",
    headers: Mapping[str, str] | None = None,
) -> int:
    """Write one delivery to an email address, whoever owns it, and send it after commit.

    For mail whose sender must not learn whether the address has an account (an
    invitation): the row, the mail and the answer are the same either way. It is not list
    mail; once per address, kind and subject (``about``); return 1 if written, else 0.
    """
    key = about_key(about)
    address = email.strip().lower()
    if Delivery.objects.filter(
        recipient__isnull=True, to_email=address, kind=kind, about=key, period=""
    ).exists():
        return 0
    with translation.override(language or settings.LANGUAGE_CODE):
        ctx = {**(context or {}), "site_url": settings.SITE_URL.rstrip("/"), "list_name": ""}
        subject_text, text, html = _render(template, ctx, subject, subject_params)
    delivery = Delivery(
        recipient=None,
        kind=kind,
        about=key,
        list_id=ACCOUNT_LIST,
        to_email=address,
        subject=subject_text[:255],
        body_text=text,
        body_html=html,
        headers=dict(headers) if headers else None,
    )
    # A concurrent writer of the same delivery loses to the constraint, silently.
    Delivery.objects.bulk_create([delivery], ignore_conflicts=True)
    transaction.on_commit(partial(_enqueue_pending, address=address, kind=kind, about=key))
    return 1


@transaction.atomic
def deliver_message(*, recipient=None, message, kind: str, about: str) -> Delivery:
    """Record an already rendered account mail (from allauth) and send it after commit.

    ``recipient`` is the person whose account the mail is about; None for an address
    without an account (the delivery is then unique per address, kind and ``about``).
    """
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


def _enqueue_pending(*, address: str, kind: str, about: str) -> None:
    """After commit: hand an address's pending delivery (``deliver_to_address``) to a send
    task. Its INSERT cannot answer with its id (a concurrent writer's row is skipped, and
    the address's unique constraint is partial), so it is looked up by that constraint's
    index; the state is checked here."""
    try:
        ids = [
            pk
            for pk, state in Delivery.objects.filter(
                recipient__isnull=True, to_email=address, kind=kind, about=about, period=""
            )
            .order_by()
            .values_list("pk", "state")
            if state == Delivery.State.PENDING
        ]
    except Exception:  # after commit: the rows are written, the sweep finds them
        logger.warning("Could not look up the deliveries of %s", about, exc_info=True)
        return
    enqueue_batch(ids)


def enqueue_deliveries(ids: list[int]) -> None:
    """Hand deliveries to Celery; if the broker is down they stay pending for the sweep.

    Runs after commit: whatever fails is logged, never raised into the request.
    """
    if not ids:
        return
    try:
        send_delivery = registered_task("mail.tasks.send_delivery")
        Delivery.objects.filter(pk__any=list(ids)).update(queued_at=timezone.now())
    except Exception:
        logger.warning("Could not queue %d deliveries", len(ids), exc_info=True)
        _not_queued(ids)
        return
    for n, pk in enumerate(ids):
        try:
            send_delivery.delay(pk)
        except Exception:
            logger.warning("Broker unavailable; delivery %s waits for the sweep", pk, exc_info=True)
            _not_queued(ids[n:])
            return


# --- digests: bodies assembled from shared sections ------------------------------------
# The placeholders of a digest's head and foot sections (rendered from our templates only,
# never from what people wrote), filled in per recipient at send time.
RECIPIENT_SLOT = "@@recipient@@"
UNSUBSCRIBE_SLOT = "@@unsubscribe@@"
# {run id: {(language, key): (text, html, text's line state, html's line state)}}
_SECTIONS: OrderedDict[int, dict[tuple[str, str], tuple[str, str, str, str]]] = OrderedDict()
_SECTIONS_KEPT = 4  # runs whose sections a process keeps in memory
PLAN_KEY = "_plan"  # the section that holds the builder's plan of the run (no language)


def digest_sections(run_ids: Iterable[int]) -> dict[int, dict]:
    """The sections of these runs, {(language, key): (text, html, text's line state, html's
    line state)}, loaded once a process."""
    missing = [pk for pk in set(run_ids) if pk not in _SECTIONS]
    if missing:
        loaded: dict[int, dict] = {pk: {} for pk in missing}
        for run_id, language, key, text, html in DigestSection.objects.filter(
            run_id__in=missing
        ).values_list("run_id", "language", "key", "text", "html"):
            loaded[run_id][(language, key)] = (text, html, _line_state(text), _line_state(html))
        for pk, sections in loaded.items():
            _SECTIONS[pk] = sections
        while len(_SECTIONS) > _SECTIONS_KEPT:
            _SECTIONS.popitem(last=False)
    return {pk: _SECTIONS[pk] for pk in set(run_ids)}


def digest_sections_forget() -> None:
    _SECTIONS.clear()


def digest_parts(*, language: str, keys: Sequence[str]) -> str:
    """What a digest delivery stores instead of its body: its language and section keys."""
    return " ".join([language, *keys])


@transaction.atomic
def digest_run_start(
    *,
    kind: str,
    period: str,
    since: datetime,
    until: datetime,
    plan: str,
    sections: Iterable[tuple[str, str, str, str]],
    resume_task: str,
) -> DigestRun:
    """Start a digest run with its shared sections, (language, key, text, html).

    ``plan`` is the builder's own record of what the run contains (kept as a section,
    read back by :func:`mail.selectors.digest_run_find`); ``resume_task`` names the task
    that goes on building the run, given its id, once its building stalled.
    """
    run = DigestRun.objects.create(
        kind=kind,
        period=period,
        since=since,
        until=until,
        resume_task=resume_task,
        progressed_at=timezone.now(),
    )
    rows = [DigestSection(run=run, language="", key=PLAN_KEY, text=plan, html="")]
    rows += [
        DigestSection(run=run, language=language, key=key, text=text, html=html)
        for language, key, text, html in sections
    ]
    DigestSection.objects.bulk_create(rows, batch_size=500)
    return run


def digest_batch_record(
    *,
    run: DigestRun,
    recipients: Sequence[int],
    rows: Sequence[tuple[int, str, str, str, str, str]],
) -> int:
    """Write the deliveries of one batch of a run's recipients and send them after commit.

    ``recipients`` are the batch's people, in id order (the run's cursor moves to the
    last); ``rows`` their digests, (recipient id, list id, address, subject, parts from
    :func:`digest_parts`, reply-to address or ""). Call it inside the batch's transaction. A delivery written
    before (a rerun, a resumed run, a concurrent one) is skipped by the unique constraint
    and not counted; its pending ones are sent along. Returns how many are new.
    """
    written = digest_deliveries_write(run=run, rows=rows)
    # Pending ones of an earlier, interrupted attempt are sent along. Looked up by
    # (recipient, kind, period), the start of the unique constraint's index, the state
    # checked here: with digest_run or state in the query, the planner, whose statistics
    # lag behind a table that grows by 20,000 rows a run, scanned the whole run each batch.
    pending = [
        pk
        for pk, state in Delivery.objects.filter(
            recipient_id__any=list(recipients), kind=run.kind, period=run.period
        )
        .order_by()
        .values_list("pk", "state")
        if state == Delivery.State.PENDING
    ]
    DigestRun.objects.filter(pk=run.pk).update(
        total=F("total") + written, cursor=recipients[-1], progressed_at=timezone.now()
    )
    transaction.on_commit(functools.partial(enqueue_batch, pending, mark_queued=False))
    return written


def digest_run_built(*, run: DigestRun) -> DigestRun:
    """Record that every delivery of the run is written; the run, fresh from the database."""
    DigestRun.objects.filter(pk=run.pk, built_at__isnull=True).update(built_at=timezone.now())
    run.refresh_from_db()
    return run


def digest_runs_resume_stalled(*, older_than: timedelta = STALE_AFTER) -> int:
    """Hand each run whose building stopped moving (its worker died) back to its builder.

    Beat runs this every MAIL_SWEEP_SECONDS: a crash delays a digest by
    MAIL_STALE_AFTER_SECONDS and a sweep, not by the broker's visibility timeout. A run is
    claimed (its progress set to now) before its task is asked for, so the next sweeps
    leave it alone unless it stalls again; if the broker is down, it is claimed again then.
    Returns how many runs were handed back.
    """
    cutoff = timezone.now() - older_than
    stalled = (
        DigestRun.objects.filter(built_at__isnull=True, progressed_at__lt=cutoff)
        .exclude(resume_task="")
        .values_list("pk", "resume_task")
    )
    resumed = 0
    for pk, task in stalled:
        with transaction.atomic():
            claimed = DigestRun.objects.filter(
                pk=pk, built_at__isnull=True, progressed_at__lt=cutoff
            ).update(progressed_at=timezone.now())
            if claimed:
                logger.warning("Digest run %s stalled; %s resumes it", pk, task)
                enqueue_on_commit(task, pk)
                resumed += 1
    return resumed


def digest_deliveries_write(
    *, run: DigestRun, rows: Sequence[tuple[int, str, str, str, str, str]]
) -> int:
    """Write a digest batch's deliveries, already queued; return how many are new.

    ``rows`` are (recipient id, list id, address, subject, parts, reply-to or ""). A delivery written
    before (a rerun, or a concurrent run of the same batch) is skipped by the unique
    constraint, silently, and not counted.
    """
    if not rows:
        return 0
    now = timezone.now()
    fixed = {
        "kind": run.kind,
        "period": run.period,
        "body_text": "",
        "body_html": "",
        "digest_run": run.pk,
        "state": Delivery.State.PENDING,
        "attempts": 0,
        "last_error": "",
        "created_at": now,
        # Queued: the send task gets them when the writing transaction commits; if the
        # broker is down then, the sweep finds them like any other delivery.
        "queued_at": now,
    }
    about = f"{run.kind}:"
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        return digest_insert_postgresql(connection, fixed, about, rows)
    return digest_insert_portable(run, fixed, about, rows)


# Two ways to insert a digest batch, both tested on PostgreSQL in `make test`
# (tests/mail/test_digests.py): the ORM one for SQLite, and one statement for PostgreSQL,
# three times as fast there as the ORM's (README, Digests at scale).
def digest_insert_portable(run: DigestRun, fixed: dict, about: str, rows) -> int:
    """Any database: skip the rows written before, insert the rest through the ORM."""
    written = set(
        Delivery.objects.filter(
            recipient_id__any=[row[0] for row in rows], kind=run.kind, period=run.period
        ).values_list("recipient_id", "list_id")
    )
    new = [
        Delivery(
            recipient_id=user_id,
            about=about + list_id,
            list_id=list_id,
            to_email=email,
            subject=subject,
            parts=parts,
            reply_to=reply_to,
            **{("digest_run_id" if k == "digest_run" else k): v for k, v in fixed.items()},
        )
        for user_id, list_id, email, subject, parts, reply_to in rows
        if (user_id, list_id) not in written
    ]
    Delivery.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def digest_insert_postgresql(connection, fixed: dict, about: str, rows) -> int:
    """PostgreSQL: one INSERT of seven arrays, the fixed columns once.

    Through the ORM, the same batch was 18 arrays of 500 values, each value prepared by
    its field in Python: a third of the time of the whole digest.
    """
    field = Delivery._meta.get_field
    varying = ["recipient", "about", "list_id", "to_email", "subject", "parts", "reply_to"]
    columns = ", ".join(connection.ops.quote_name(field(n).column) for n in [*varying, *fixed])
    arrays = ", ".join(f"%s::{field(n).db_type(connection).split('(')[0]}[]" for n in varying)
    values = ", ".join(["%s"] * len(fixed))
    table = connection.ops.quote_name(Delivery._meta.db_table)
    recipients, lists, emails, subjects, parts, reply_tos = (
        list(column) for column in zip(*rows, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            # Table and column names come from the model, never from input.
            f"INSERT INTO {table} ({columns}) SELECT rows.*, {values} "
            f"FROM unnest({arrays}) AS rows ON CONFLICT DO NOTHING",
            [
                *fixed.values(),
                recipients,
                [about + list_id for list_id in lists],
                lists,
                emails,
                subjects,
                parts,
                reply_tos,
            ],
        )
        return cursor.rowcount


def digest_bodies(
    delivery: Delivery, sections: dict | None = None, *, unsubscribe: str = ""
) -> tuple[str, str]:
    """Assemble a digest's text and HTML parts for its recipient: string joins only."""
    name = delivery.recipient.name or delivery.recipient.email
    text, html, _text_long, _html_long = _digest_assemble(delivery, sections, unsubscribe, name)
    return text, html


def _digest_assemble(delivery: Delivery, sections: dict | None, unsubscribe: str, name: str):
    """The digest's text and HTML parts, and whether each has a line too long for mail.

    Only the head and foot sections (``_``-prefixed keys) carry the recipient's slots; the
    large shared sections are joined as they are, their line lengths known from loading
    (:func:`_line_state`). Whether a part has a long line is True, False, or None when the
    joins leave it unknown.
    """
    if sections is None:
        sections = digest_sections([delivery.digest_run_id])[delivery.digest_run_id]
    language, *keys = delivery.parts.split()
    link = unsubscribe or unsubscribe_url(user_id=delivery.recipient_id, list_id=delivery.list_id)
    # The standard library's escape: Django's is the same, wrapped for lazy strings and
    # marked safe, and costs more than the rest of this function.
    html_name, html_link = html_escape(name), html_escape(link)
    texts, htmls, text_states, html_states = [], [], [], []
    for key in keys:
        text, html, text_state, html_state = sections[(language, key)]
        if key[0] == "_":
            text = text.replace(RECIPIENT_SLOT, name).replace(UNSUBSCRIBE_SLOT, link)
            html = html.replace(RECIPIENT_SLOT, html_name).replace(UNSUBSCRIBE_SLOT, html_link)
            text_state, html_state = _line_state(text), _line_state(html)
        texts.append(text)
        htmls.append(html)
        text_states.append(text_state)
        html_states.append(html_state)
    return "".join(texts), "".join(htmls), _joined_long(text_states), _joined_long(html_states)


# Whether a mail part has a line longer than RFC 5322 allows decides its transfer encoding
# (Django's SafeMIMEText: quoted-printable if so, else 8bit), and Django finds out by
# encoding every line of every part: for a digest, the same 20 KB of shared sections again
# for each of 20,000 people, the largest single cost of its mail. A section's lines are
# measured once, when it is loaded; a digest whose sections all end with a line break has
# a long line exactly when one of them has.
_LONG, _CLOSED, _OPEN = "long", "closed", "open"  # open: no line break at its end


def _line_state(value: str) -> str:
    lines = value.splitlines()
    # A line passes the limit in bytes only if it has more than a quarter of it in
    # characters (UTF-8: four bytes at most): a check in C before measuring bytes.
    if (
        lines
        and max(map(len, lines)) * 4 > RFC5322_EMAIL_LINE_LENGTH_LIMIT
        and any(
            len(line.encode(errors="surrogateescape")) > RFC5322_EMAIL_LINE_LENGTH_LIMIT
            for line in lines
        )
    ):
        return _LONG
    return _CLOSED if value.endswith("\n") else _OPEN


def _joined_long(states: Sequence[str]) -> bool | None:
    if _LONG in states:
        return True
    if _OPEN in states[:-1]:  # a line may run on into the next section: unknown
        return None
    return False


def _utf8(body_encoding) -> Charset.Charset:
    charset = Charset.Charset("utf-8")
    charset.body_encoding = body_encoding
    return charset


# What Django's SafeMIMEText picks for a UTF-8 part, given as the message's encoding when
# the parts' line lengths are known (a Charset, so Django does not measure them again).
_UTF8_8BIT, _UTF8_QP = _utf8(None), _utf8(Charset.QP)


def build_message(
    delivery: Delivery, sections: dict | None = None, *, name: str = ""
) -> EmailMultiAlternatives:
    """A delivery's mail; ``name`` greets its recipient in a digest (else their address)."""
    # X-Loop: the inbound gateway drops a mail that carries ours (an autoresponder's copy).
    headers = {
        **(delivery.headers or {}),
        "X-Portal-Delivery": str(delivery.pk),
        "X-Loop": settings.MAIL_LIST_ID_DOMAIN,
    }
    link = ""
    if delivery.list_id != ACCOUNT_LIST:
        link = unsubscribe_url(user_id=delivery.recipient_id, list_id=delivery.list_id)
        headers.update(
            {
                "List-Id": f"<{delivery.list_id}.{settings.MAIL_LIST_ID_DOMAIN}>",
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        )
    encoding = None
    if delivery.digest_run_id:
        body_text, body_html, text_long, html_long = _digest_assemble(
            delivery, sections, link, name or delivery.to_email
        )
        if text_long is not None and text_long == html_long:
            encoding = _UTF8_QP if text_long else _UTF8_8BIT
    else:
        body_text, body_html = delivery.body_text, delivery.body_html
    # VERP: the envelope sender names this delivery, so a bounce says whose mail came back
    # (README, "Bounces"); the From header stays the portal's.
    headers["From"] = settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(
        subject=delivery.subject,
        body=body_text,
        from_email=bounce_address(delivery.pk),
        to=[delivery.to_email],
        reply_to=[delivery.reply_to] if delivery.reply_to else None,
        headers=headers,
    )
    if encoding is not None and settings.DEFAULT_CHARSET.lower() == "utf-8":
        message.encoding = encoding
    message.attach_alternative(body_html, "text/html")
    return message


# What sending needs of a delivery and its recipient: loading whole rows (three dates to
# parse, the whole user) for a batch of deliveries costs more than building their mail.
_SEND_FIELDS = (
    "recipient_id",
    "list_id",
    "to_email",
    "subject",
    "body_text",
    "body_html",
    "reply_to",
    "headers",
    "digest_run_id",
    "parts",
    "state",
    "attempts",
)


# --- sending: one state machine for the single and the batch send ---------------------
#
# A pending delivery is handed to a send task (``queued_at``), which claims it (state
# "sending", in one short transaction per batch), sends it in a chunk of at most
# SEND_CHUNK and records the chunk's outcome with one update. Each outcome is one move of
# the state machine below: sent; skipped (unsubscribed meanwhile); an attempt that failed
# (counted, its error kept, back to pending with the next attempt scheduled by
# MAIL_RETRY_SCHEDULE, or failed for good after MAIL_MAX_ATTEMPTS or a permanent refusal);
# or not tried (the connection to the mail server never opened: no attempt is counted).
# A worker killed mid-batch leaves its claimed rows "sending": the sweep takes them back
# after MAIL_STALE_AFTER_SECONDS, and only the chunk in flight can have gone out already
# (at most SEND_CHUNK mails sent twice per pool process). Retries are the sweep's too: it
# hands over again every pending delivery whose next attempt time has come, so a retry
# hours or days later is a row in the database, not a task waiting in the broker.


def describe(error: BaseException) -> str:
    """An error as a delivery keeps it (``last_error``)."""
    return f"{type(error).__name__}: {error}"[:2000]


def is_permanent(error: BaseException) -> bool:
    """Whether the mail server refused this message for good (a 5xx for its recipient, or
    for the message itself): an MTA would bounce it, trying again cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


def is_connection_lost(error: BaseException) -> bool:
    """Whether the connection is gone (the rest of the batch cannot go over it)."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def attempt_failed(delivery: Delivery, error: BaseException, *, now) -> None:
    """An attempt to send ``delivery`` failed: count it, keep its error, and schedule the
    next one, or end the delivery failed (a permanent refusal, or its last attempt)."""
    delivery.attempts += 1
    delivery.last_error = describe(error)
    delivery.queued_at = None
    if is_permanent(error) or delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = Delivery.State.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.state = Delivery.State.PENDING
        delivery.next_attempt_at = now + timedelta(seconds=retry_delay(delivery.attempts - 1))


def not_tried(delivery: Delivery, error: BaseException, *, now) -> None:
    """The mail server could not be reached, so ``delivery`` was not tried: no attempt is
    counted; the sweep hands it over again after the schedule's first delay."""
    delivery.state = Delivery.State.PENDING
    delivery.last_error = describe(error)
    delivery.queued_at = None
    delivery.next_attempt_at = now + timedelta(seconds=retry_delay(0))


_SETTLE_FIELDS = ["state", "attempts", "last_error", "queued_at", "next_attempt_at"]


def delivery_send(*, delivery_id: int) -> str:
    """Send one pending delivery; return its state ("missing" if there is no such row).

    Idempotent: a sent, failed or skipped delivery is left alone. A second task for the
    same delivery waits for the first one's lock, then finds it sent.
    """
    outcome = _send(delivery_ids=[delivery_id], wait=True)
    for state, ids in (
        ("sent", outcome["sent"]),
        ("skipped", outcome["skipped"]),
        ("failed", outcome["failed"]),
        ("pending", outcome["retry"]),
    ):
        if delivery_id in ids:
            return state
    state = Delivery.objects.filter(pk=delivery_id).values_list("state", flat=True).first()
    return state or "missing"


def deliveries_send_batch(*, delivery_ids: Sequence[int]) -> dict[str, list[int]]:
    """Send pending deliveries over one mail connection; each at most once.

    The batch's pending rows are claimed at once (state "sending"; rows another task has
    are left to it), then sent in chunks of :data:`SEND_CHUNK` (10), each recorded by one
    update as soon as it is sent: a worker killed in the middle of a batch leaves at most
    one chunk's sent mails unrecorded (they go again: SMTP gives no way to know), so at
    most 10 per pool process. A fixed number of queries per batch (the claim, the
    recipients, the unsubscriptions, once a process the digest sections) and one per chunk
    (more only for failed attempts), each with the ids as one array (``__any``). Returns
    the ids by outcome; ``retry`` are the ones left pending for a later attempt.
    """
    return _send(delivery_ids=delivery_ids, wait=False)


def _send(*, delivery_ids: Sequence[int], wait: bool) -> dict[str, list[int]]:
    outcome: dict[str, list[int]] = {"sent": [], "skipped": [], "failed": [], "retry": []}
    ids = sorted(set(delivery_ids))
    if not ids:
        return outcome
    rows = _claim(ids, wait=wait)
    if not rows:
        return outcome
    claimed_at = time.monotonic()
    # Once a batch: who the mails go to (names for the greeting; the address is the
    # delivery's own) and who left which list. Read apart from the deliveries: joined to
    # them, the planner may hash the whole user table.
    recipient_ids = {d.recipient_id for d in rows if d.recipient_id is not None}
    names = {
        pk: name or email
        for pk, name, email in get_user_model()
        .objects.filter(pk__any=list(recipient_ids))
        .values_list("pk", "name", "email")
    }
    opted_out = set(
        Unsubscription.objects.filter(user_id__any=list(recipient_ids)).values_list(
            "user_id", "list_id"
        )
    )
    # List mail to an address whose bounces stopped it (bounce_record) is skipped too.
    list_addresses = {d.to_email.lower() for d in rows if d.list_id != ACCOUNT_LIST}
    stopped = (
        set(
            BounceScore.objects.filter(
                email__any=list(list_addresses), disabled_at__isnull=False
            ).values_list("email", flat=True)
        )
        if list_addresses
        else set()
    )
    skipped = [
        d.pk
        for d in rows
        if d.list_id != ACCOUNT_LIST
        and ((d.recipient_id, d.list_id) in opted_out or d.to_email.lower() in stopped)
    ]
    if skipped:
        Delivery.objects.filter(pk__any=skipped).update(state=Delivery.State.SKIPPED)
        outcome["skipped"].extend(skipped)
        left_out = set(skipped)
        rows = [d for d in rows if d.pk not in left_out]
    runs = {d.digest_run_id for d in rows if d.digest_run_id}
    sections = digest_sections(runs) if runs else {}
    mailer = _Mailer()
    progress: dict[int, int] = {}  # digest run → mails of this batch sent
    unsettled = [d.pk for d in rows]
    records = None
    try:
        records = _SentRecords()
        with _commits_without_waiting_for_disk():
            for start in range(0, len(rows), SEND_CHUNK):
                if mailer.broken is not None:  # the rest is not tried: one update
                    outcome["retry"].extend(_not_tried(unsettled, mailer.broken))
                    unsettled = []
                    break
                if time.monotonic() - claimed_at > STALE_AFTER.total_seconds() / 2:
                    # A slow mail server: renew the claim before the sweep takes it back.
                    Delivery.objects.filter(pk__any=unsettled, state=Delivery.State.SENDING).update(
                        queued_at=timezone.now()
                    )
                    claimed_at = time.monotonic()
                chunk = rows[start : start + SEND_CHUNK]
                _send_chunk(
                    chunk,
                    mailer,
                    outcome,
                    sections=sections,
                    names=names,
                    progress=progress,
                    records=records,
                )
                unsettled = unsettled[len(chunk) :]
            records.wait()
    finally:
        mailer.close()
        if records is not None:
            records.close()
        if unsettled:  # an error stopped the batch: what it never tried goes back at once
            _give_back(unsettled[SEND_CHUNK:])
        # A digest run's progress (what its admin page shows), once a batch: a worker killed
        # mid-batch leaves it short by that batch, never the deliveries themselves.
        for run_id, count in progress.items():
            DigestRun.objects.filter(pk=run_id).update(sent=F("sent") + count)
    return outcome


def _claim(ids: Sequence[int], *, wait: bool) -> list[Delivery]:
    """Take the pending ones of ``ids`` for this task (state "sending"), in one short
    transaction: a concurrent task skips them (``wait``: waits, then finds them taken)."""
    with transaction.atomic():
        # Selected by primary key alone (the state is checked here): with the state in the
        # query, stale statistics let the planner walk every pending row of the table.
        rows = [
            delivery
            for delivery in Delivery.objects.select_for_update(skip_locked=not wait)
            .only(*_SEND_FIELDS)
            .filter(pk__any=list(ids))
            .order_by("pk")
            if delivery.state == Delivery.State.PENDING
        ]
        if rows:
            Delivery.objects.filter(pk__any=[d.pk for d in rows]).update(
                state=Delivery.State.SENDING, queued_at=timezone.now()
            )
    for delivery in rows:
        delivery.state = Delivery.State.SENDING
    return rows


def _give_back(ids: Sequence[int]) -> None:
    """Return claimed deliveries that were never tried to the sweep (best effort: if the
    database is gone too, the sweep takes them back after MAIL_STALE_AFTER_SECONDS)."""
    if not ids:
        return
    try:
        Delivery.objects.filter(pk__any=list(ids), state=Delivery.State.SENDING).update(
            state=Delivery.State.PENDING, queued_at=None
        )
    except Exception:
        logger.warning("Could not give back %d claimed deliveries", len(ids), exc_info=True)


def _not_tried(ids: Sequence[int], error: BaseException) -> list[int]:
    """:func:`not_tried` for many claimed deliveries at once (the same values for each)."""
    template = Delivery()
    not_tried(template, error, now=timezone.now())
    ids = list(ids)
    Delivery.objects.filter(pk__any=ids, state=Delivery.State.SENDING).update(
        state=template.state,
        last_error=template.last_error,
        queued_at=template.queued_at,
        next_attempt_at=template.next_attempt_at,
    )
    return ids


class _Mailer:
    """The batch's one mail connection, opened on first use; ``broken`` once it would not
    open, or was lost."""

    def __init__(self) -> None:
        self.connection = None
        self.broken: BaseException | None = None

    def ready(self) -> bool:
        """Open the connection if it is not; whether it is open."""
        if self.connection is None and self.broken is None:
            connection = get_connection()
            try:
                _open(connection)
            except Exception as exc:  # the rest of the batch waits; no attempt is counted
                self.broken = exc
                _close(connection)
            else:
                self.connection = connection
        return self.broken is None

    def lose(self, error: BaseException) -> None:
        self.broken = error
        self.close()

    def close(self) -> None:
        if self.connection is not None:
            _close(self.connection)
            self.connection = None


def _open(connection) -> None:
    """Open a mail connection as far as the server's greeting, EHLO and sign-in: a failure
    up to there is a server that could not be reached, not an attempt of any message."""
    connection.open()
    smtp = getattr(connection, "connection", None)  # smtplib.SMTP for the SMTP backend
    if smtp is not None and hasattr(smtp, "ehlo_or_helo_if_needed"):
        smtp.ehlo_or_helo_if_needed()


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:
        logger.warning("Closing the mail connection failed", exc_info=True)


def mail_server_answers() -> bool:
    """Whether a connection to the mail server opens now (the sweep asks before handing
    over what is due, so an outage costs one connection a sweep, not one a batch)."""
    connection = get_connection()
    try:
        _open(connection)
    except Exception as exc:
        logger.warning("The mail server cannot be reached: %s", describe(exc))
        return False
    finally:
        _close(connection)
    return True


@contextmanager
def _commits_without_waiting_for_disk():
    """The chunks' records of what was sent commit without waiting for PostgreSQL's disk
    flush (``synchronous_commit = off`` for this connection while the batch is sent).

    Small chunks bound what a killed worker sends twice (SEND_CHUNK), but a flush per chunk
    made the digest far slower. A failure to reset the setting afterwards (a broken
    connection, which Django then discards) is logged, never raised over the batch's own
    error. Without it a crash of PostgreSQL itself (not of a worker)
    may lose the last fraction of a second of records, whose mails then go once more: the
    same bound, for a rarer failure. Nothing is written out of order.
    """
    database = transaction.get_connection()
    if database.vendor != "postgresql":
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        try:
            with database.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:
            logger.warning("Could not reset synchronous_commit", exc_info=True)


def _send_chunk(
    rows: Sequence[Delivery],
    mailer: _Mailer,
    outcome: dict[str, list[int]],
    *,
    sections: dict,
    names: dict[int, str],
    progress: dict[int, int],
    records: _SentRecords,
) -> None:
    """Send up to SEND_CHUNK claimed deliveries, then record them: one update for the sent
    ones (no transaction around the sending, so no round trips to begin and commit)."""
    sent: list[int] = []
    tried: dict[int, BaseException] = {}  # failed attempts
    untried: list[int] = []
    for delivery in rows:
        if not mailer.ready():
            untried.append(delivery.pk)
            continue
        try:
            message = build_message(
                delivery,
                sections.get(delivery.digest_run_id),
                name=names.get(delivery.recipient_id, ""),
            )
            mailer.connection.send_messages([message])
        except Exception as exc:
            tried[delivery.pk] = exc
            if is_connection_lost(exc):
                mailer.lose(exc)
        else:
            sent.append(delivery.pk)
            if delivery.digest_run_id:
                progress[delivery.digest_run_id] = progress.get(delivery.digest_run_id, 0) + 1
    _settle(rows, outcome, sent=sent, tried=tried, untried=untried, mailer=mailer, records=records)


class _SentRecords:
    """Where a batch records its sent chunks (``record``), one update a chunk.

    On PostgreSQL, outside a transaction (a worker, the bench; not a test's transaction,
    whose rows another connection cannot see), the updates go over a connection of the
    batch's own without waiting for the answer, read while the next chunk is sent: once
    an update has left for the server, PostgreSQL commits it even if this worker is
    killed the next moment, so the bound on duplicates stays one chunk. Waiting for each
    answer before sending on cost a 20,000-person digest a tenth of its time. An update
    that failed (PostgreSQL itself went away) is raised when the next one is recorded or
    the batch ends; its chunk is then sent again by the sweep, like the one in flight.
    Elsewhere each record is an update that waits (:func:`_record_sent`).
    """

    def __init__(self) -> None:
        self.connection = None
        self.waiting = False
        database = transaction.get_connection()
        if database.vendor == "postgresql" and not database.in_atomic_block:
            # Imported here: the driver is only there on PostgreSQL.
            import psycopg

            self.connection = psycopg.connect(**database.get_connection_params())
            self.connection.autocommit = True
            self.connection.execute("SET synchronous_commit = off")  # as the batch's own
            self.pgconn = self.connection.pgconn
            self.command_ok = psycopg.pq.ExecStatus.COMMAND_OK

    def record(self, ids: list[int], now) -> None:
        if self.connection is None:
            _record_sent(ids, now)
            return
        self.wait()
        params = [
            Delivery.State.SENT.encode(),
            now.isoformat().encode(),
            ("{" + ",".join(str(int(pk)) for pk in ids) + "}").encode(),
        ]
        self.pgconn.send_query_params(_SENT_SQL_NUMBERED, params)
        while self.pgconn.flush():  # the rest waits for the socket to take it
            select.select([], [self.pgconn.socket], [])
        self.waiting = True

    def wait(self) -> None:
        """Read the answer to the update in flight; raise if it failed."""
        if not self.waiting:
            return
        self.waiting = False
        error = None
        while True:
            while self.pgconn.is_busy():
                select.select([self.pgconn.socket], [], [])
                self.pgconn.consume_input()
            result = self.pgconn.get_result()
            if result is None:
                break
            if result.status != self.command_ok and error is None:
                error = (result.error_message or b"").decode(errors="replace")
        if error is not None:
            raise DatabaseError(f"Recording sent deliveries failed: {error}")

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            self.wait()
        except Exception:
            logger.warning(
                "The last chunk's record failed; the sweep sends it again", exc_info=True
            )
        finally:
            self.connection.close()


def _record_sent(ids: list[int], now) -> None:
    """Mark sent deliveries sent: the one update a chunk costs, on the batch's connection
    (SQLite, or inside a transaction; a worker on PostgreSQL uses :class:`_SentRecords`)."""
    Delivery.objects.filter(pk__any=ids).update(
        state=Delivery.State.SENT,
        sent_at=now,
        attempts=F("attempts") + 1,
        last_error="",
        queued_at=None,
        next_attempt_at=None,
    )


# _record_sent's update as _SentRecords sends it, in libpq's own parameters ($1…).
_SENT_SQL_NUMBERED = (
    f'UPDATE "{Delivery._meta.db_table}" SET "state" = $1, "sent_at" = $2, '
    '"attempts" = "attempts" + 1, "last_error" = \'\', "queued_at" = NULL, '
    '"next_attempt_at" = NULL WHERE "id" = ANY($3::bigint[])'
).encode()


def _settle(rows, outcome, *, sent, tried, untried, mailer, records) -> None:
    """Record a chunk's outcomes: one update per outcome."""
    now = timezone.now()
    if sent:
        records.record(sent, now)
    changed = []
    for delivery in rows:
        if delivery.pk in tried:
            attempt_failed(delivery, tried[delivery.pk], now=now)
            if delivery.state == Delivery.State.FAILED:
                outcome["failed"].append(delivery.pk)
                logger.error("Delivery %s failed for good: %s", delivery.pk, delivery.last_error)
            else:
                outcome["retry"].append(delivery.pk)
            changed.append(delivery)
    if untried:
        outcome["retry"].extend(_not_tried(untried, mailer.broken))
    if changed:
        Delivery.objects.bulk_update(changed, _SETTLE_FIELDS)
    outcome["sent"].extend(sent)


def deliveries_requeue_stale(*, older_than: timedelta = STALE_AFTER, limit: int = 5000) -> int:
    """The sweep (beat, every MAIL_SWEEP_SECONDS): hand over every pending delivery that is
    due and that no send task holds, and return how many. Deliveries a dead worker had
    claimed (``sending`` for longer than ``older_than``) are pending again first.

    Due: its next attempt time has come (a retry), or it has none (new). Not held: it was
    never handed over (the broker was down, or the request's process died after commit), an
    attempt has given it back, or it was handed over more than ``older_than`` ago (the
    broker lost the task, or the worker died with it). Nothing is handed over while the
    mail server cannot be reached.
    """
    now = timezone.now()
    # Claimed by a send task that has not settled them since: its worker died (a live one
    # renews its claim). Only the chunk it had in flight can have gone out.
    Delivery.objects.filter(state=Delivery.State.SENDING, queued_at__lt=now - older_than).update(
        state=Delivery.State.PENDING
    )
    ids = list(
        Delivery.objects.filter(state=Delivery.State.PENDING)
        .filter(models.Q(queued_at__isnull=True) | models.Q(queued_at__lt=now - older_than))
        .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids or not mail_server_answers():
        return 0
    for start in range(0, len(ids), BATCH_SIZE):
        enqueue_batch(ids[start : start + BATCH_SIZE])
    return len(ids)


def enqueue_batch(ids: list[int], *, mark_queued: bool = True) -> None:
    """Hand a batch of deliveries to one task; if the broker is down they wait for the sweep.

    ``mark_queued=False`` when the rows were written with ``queued_at`` already (a digest
    batch): updating them all once more would be a third write of each row. Runs after
    commit: whatever fails is logged, never raised into the request that wrote the mail.
    """
    if not ids:
        return
    try:
        send_delivery_batch = registered_task("mail.tasks.send_delivery_batch")
        if mark_queued:
            Delivery.objects.filter(pk__any=list(ids)).update(queued_at=timezone.now())
        send_delivery_batch.delay(list(ids))
    except Exception:
        logger.warning(
            "Broker unavailable; %d deliveries wait for the sweep", len(ids), exc_info=True
        )
        _not_queued(ids)


def _not_queued(ids: Sequence[int]) -> None:
    """Give deliveries whose task never reached the broker back to the sweep at once (not
    MAIL_STALE_AFTER_SECONDS later): mail written while the broker was down goes out at the
    sweep's first run after its return."""
    try:
        Delivery.objects.filter(pk__any=list(ids), state=Delivery.State.PENDING).update(
            queued_at=None
        )
    except Exception:
        logger.warning("Could not mark %d deliveries unqueued", len(ids), exc_info=True)


@transaction.atomic
def deliveries_resend(*, by, delivery_ids: Iterable[int]) -> int:
    """Send failed deliveries again from their first attempt (staff, from the admin);
    return how many. Deliveries in any other state are left alone."""
    if not can_resend_deliveries(by):
        raise NotAllowed(_("You are not allowed to send failed deliveries again."))
    ids = list(
        Delivery.objects.select_for_update()
        .filter(pk__any=list(delivery_ids), state=Delivery.State.FAILED)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Delivery.objects.filter(pk__any=ids).update(
        state=Delivery.State.PENDING, attempts=0, queued_at=None, next_attempt_at=None
    )
    logger.info("%s sent %d failed deliveries again", by, len(ids))
    for start in range(0, len(ids), BATCH_SIZE):
        transaction.on_commit(partial(enqueue_batch, ids[start : start + BATCH_SIZE]))
    return len(ids)


@transaction.atomic
def resubscribe(*, user_id: int, list_id: str) -> bool:
    """Receive a list's mail again (undo an unsubscription); True if there was one."""
    deleted, _ = Unsubscription.objects.filter(user_id=user_id, list_id=list_id).delete()
    return bool(deleted)


def _unsubscribe(*, user_id: int, list_id: str) -> tuple[bool, list[int]]:
    """Unsubscribe; return whether it is new and the pending deliveries it skipped."""
    if not get_user_model().objects.filter(pk=user_id).exists():
        return False, []
    _, created = Unsubscription.objects.get_or_create(user_id=user_id, list_id=list_id)
    pending = Delivery.objects.filter(
        recipient_id=user_id, list_id=list_id, state=Delivery.State.PENDING
    )
    skipped = list(pending.select_for_update().values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=skipped).update(state=Delivery.State.SKIPPED)
    return created, skipped


@transaction.atomic
def unsubscribe(*, user_id: int, list_id: str) -> bool:
    """Stop every mail of ``list_id`` to the person, pending ones included; True if new.

    A link of a deleted account (tokens live for months) has nothing left to stop.
    """
    created, _skipped = _unsubscribe(user_id=user_id, list_id=list_id)
    return created


# The undo of a one-click unsubscribe: a token naming exactly what the click stopped (the
# list and the pending deliveries it skipped), signed with a salt of its own so that an
# unsubscribe link cannot stand in for it, and only for a week.
UNDO_SALT = "mail.unsubscribe.undo"
UNDO_MAX_AGE = 60 * 60 * 24 * 7


@transaction.atomic
def unsubscribe_one_click(*, user_id: int, list_id: str) -> str:
    """Unsubscribe from a mail's link; return the token of its undo ("" if nothing changed:
    the person had left the list already, or has no account any more)."""
    created, skipped = _unsubscribe(user_id=user_id, list_id=list_id)
    if not created:
        return ""
    return signing.dumps({"u": user_id, "l": list_id, "d": skipped}, salt=UNDO_SALT)


def read_undo_token(token: str) -> tuple[int, str, list[int]]:
    """Return (user id, list id, skipped delivery ids); raise signing.BadSignature."""
    data = signing.loads(token, salt=UNDO_SALT, max_age=UNDO_MAX_AGE)
    if not isinstance(data, dict) or not {"u", "l", "d"} <= data.keys():
        raise signing.BadSignature("incomplete token")
    return int(data["u"]), str(data["l"]), [int(pk) for pk in data["d"]]


@transaction.atomic
def unsubscribe_undo(*, user_id: int, list_id: str, delivery_ids: Sequence[int]) -> int:
    """Undo a one-click unsubscribe: receive the list again and send the mails it skipped
    (those still skipped); return how many go out again."""
    resubscribe(user_id=user_id, list_id=list_id)
    ids = list(
        Delivery.objects.select_for_update()
        .filter(
            pk__in=list(delivery_ids),
            recipient_id=user_id,
            list_id=list_id,
            state=Delivery.State.SKIPPED,
        )
        .values_list("pk", flat=True)
    )
    if ids:
        Delivery.objects.filter(pk__in=ids).update(
            state=Delivery.State.PENDING, queued_at=None, next_attempt_at=None
        )
        for start in range(0, len(ids), BATCH_SIZE):
            transaction.on_commit(partial(enqueue_batch, ids[start : start + BATCH_SIZE]))
    return len(ids)


@transaction.atomic
def mail_settings_save(*, by, data) -> None:
    """Save the whole mail settings form at once: every section's rows, then the lists.

    ``data`` is the form's POST. One transaction: a refusal anywhere leaves everything as
    it was. A list's box is carried out only where it changed, so choosing a delivery for
    something of a list one had left (which subscribes again, the forums' rule) stands
    unless the same form also unticks the list.
    """
    before = set(Unsubscription.objects.filter(user=by).values_list("list_id", flat=True))
    for section in settings_sections():
        if section.save is not None:
            section.save(by, data)
    wanted = set(data.getlist("receive"))
    for list_id in data.getlist("list"):
        if list_id not in LIST_NAMES:
            raise InvalidInput(_("There is no such list."))
        if (list_id in wanted) == (list_id not in before):
            continue
        if list_id in wanted:
            resubscribe(user_id=by.pk, list_id=list_id)
        else:
            unsubscribe(user_id=by.pk, list_id=list_id)


# --- bounces ---------------------------------------------------------------------------
#
# Every mail's envelope sender is ``bounces+<delivery id>-<mac>@MAIL_LIST_ID_DOMAIN`` (VERP):
# a bounce comes back to the inbound gateway, which hands it to bounce_record with whether
# it was permanent. The MAC (an HMAC of the id) keeps the address from being made up.

BOUNCE_PREFIX = "bounces+"
_BOUNCE_SALT = "mail.bounce"


def _bounce_mac(delivery_id: int) -> str:
    return fast_signing.salted_hmac_digest(_BOUNCE_SALT, str(delivery_id)).hex()[:16]


def bounce_address(delivery_id: int) -> str:
    """The envelope sender of a delivery's mail."""
    return f"{BOUNCE_PREFIX}{delivery_id}-{_bounce_mac(delivery_id)}@{settings.MAIL_LIST_ID_DOMAIN}"


def bounce_delivery_id(local_part: str) -> int | None:
    """The delivery a bounce address's local part names, or None if it is not one of ours."""
    local = local_part.lower()
    if not local.startswith(BOUNCE_PREFIX):
        return None
    number, _dash, mac = local[len(BOUNCE_PREFIX) :].partition("-")
    if not number.isdigit() or not constant_time_compare(mac, _bounce_mac(int(number))):
        return None
    return int(number)


@transaction.atomic
def bounce_record(*, delivery_id: int, permanent: bool, reason: str = "") -> BounceScore | None:
    """Count a bounce of a delivery's mail against its address (Mailman's score).

    A hard (permanent) bounce counts 1, a soft one 0.5, at most one a day; a score with no
    bounce for MAIL_BOUNCE_STALE_DAYS starts from 0 again; at MAIL_BOUNCE_THRESHOLD list
    mail to the address stops. Returns the address's score (None: no such delivery).
    """
    address = (
        Delivery.objects.filter(pk=delivery_id).values_list("to_email", flat=True).first() or ""
    ).lower()
    if not address:
        return None
    now = timezone.now()
    score, created = BounceScore.objects.select_for_update().get_or_create(
        email=address, defaults={"last_bounce_at": now}
    )
    score.last_reason = reason[:255]
    if not created and timezone.localdate(score.last_bounce_at) == timezone.localdate(now):
        score.save(update_fields=["last_reason"])  # already counted today
        return score
    if not created and now - score.last_bounce_at > timedelta(days=BOUNCE_STALE_DAYS):
        score.score = 0
    score.score += 1 if permanent else 0.5
    score.bounces += 1
    score.last_bounce_at = now
    if score.score >= BOUNCE_THRESHOLD and score.disabled_at is None:
        score.disabled_at = now
        logger.warning("Mail to %s stopped after %s bounces", address, score.bounces)
    score.save()
    return score


@transaction.atomic
def bounce_enable(*, by, email: str) -> bool:
    """Turn list mail on again for an address whose bounces stopped it: its owner (one of
    their verified addresses) or staff with ``mail.enable_bouncing_address``. True if it
    was stopped."""
    if not can_enable_bouncing_address(by, email):
        raise NotAllowed(_("You may not turn mail on again for this address."))
    return bool(
        BounceScore.objects.filter(email=email.lower(), disabled_at__isnull=False).update(
            disabled_at=None, score=0
        )
    )


# --- A person's mail: forgetting it, and retention ----------------------------------------


def distinctive_name(name: str) -> str:
    """A person's name if it is distinctive enough to look for in others' text ("Lee" would
    match "sleep"): two words or six letters; else empty."""
    name = (name or "").strip()
    return name if (" " in name or len(name) >= 6) else ""


@transaction.atomic
def person_mail_forget(
    *, user_id: int, email: str, name: str = "", addresses: Iterable[str] = ()
) -> int:
    """Delete every delivery to, about or replying to a person whose account is deleted,
    and their unsubscriptions; returns how many deliveries went.

    Their own mail (recipient, or their address without an account: a password reset),
    mail to others that carries their address (Reply-To, or in the body: "X asked to
    join"), and mail to others that names them. Pending ones too: nothing goes out about
    a person who is gone. A digest's shared sections are built from posts, which stay.
    """
    matches = models.Q(recipient_id=user_id) | models.Q(to_email__iexact=email)
    for needle in (email, distinctive_name(name)):
        if needle:
            matches |= (
                models.Q(reply_to__iexact=needle)
                | models.Q(subject__icontains=needle)
                | models.Q(body_text__icontains=needle)
                | models.Q(body_html__icontains=needle)
            )
    deleted, _rows = Delivery.objects.filter(matches).delete()
    Unsubscription.objects.filter(user_id=user_id).delete()
    # The bounce scores of their addresses (stored in lower case).
    every = {a.lower() for a in (email, *addresses) if a}
    BounceScore.objects.filter(email__in=every).delete()
    return deleted


def deliveries_purge(*, older_than: datetime) -> int:
    """Delete the records of deliveries settled (sent, skipped or failed) before
    ``older_than`` (settings.RETENTION_DELIVERY_DAYS); pending ones are still mail to send.
    Returns how many went."""
    settled = [Delivery.State.SENT, Delivery.State.SKIPPED, Delivery.State.FAILED]
    old = Delivery.objects.filter(state__in=settled, created_at__lt=older_than)
    # A settled delivery of a digest keeps no body of its own; the run's sections stay
    # until no delivery points at them (the run is PROTECTed by its deliveries).
    deleted, _rows = old.delete()
    return deleted
