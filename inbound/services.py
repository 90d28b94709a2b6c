"""Mail in: a received mail becomes a post, a new topic, or nothing (with its reason).

    message_receive(raw=b"...", recipient="reply+k3y@community.orcid.example")

is the one path of every received mail: the LMTP gateway (``inbound/lmtp.py``) and
``manage.py receive_mail`` both call it. The forums' services post, so every rule of the
web holds at receipt (may the person still post in that forum, is the topic locked, the
new accounts' rate limit). The addresses, all at ``MAIL_LIST_ID_DOMAIN``:

- ``reply+<key>@``: a reply key (forums.ReplyKey) names a person and a topic; the From
  address must be one of that person's verified addresses.
- ``<forum slug>@``: a forum's posting address. The sender must be a verified address of
  a person and the mail must pass DMARC (``inbound.authentication``); a mail answering one
  of our post mails (In-Reply-To/References ``<post-<id>@…>``) or a mail of the list's
  imported archive is a reply in that topic, any other a new topic.
- ``bounces+<delivery>-<mac>@``: the envelope sender of every mail we send (VERP). A
  bounce (an RFC 3464 report or one of the common other kinds, read by flufl.bounce)
  counts against the delivery's address (``mail.services.bounce_record``).
"""

from __future__ import annotations

import email
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from flufl.bounce import all_failures

from accounts.selectors import person_by_verified_email
from core.errors import DomainError
from forums import permissions as forum_permissions
from forums import selectors as forum_selectors
from forums import services as forum_services
from forums.notifications import REPLY_PREFIX
from inbound import parsing
from inbound.authentication import authenticate
from inbound.models import InboundMessage
from mail.services import BOUNCE_PREFIX, bounce_delivery_id, bounce_record, deliver_to_address

logger = logging.getLogger(__name__)

Outcome = InboundMessage.Outcome


@dataclass(frozen=True)
class Target:
    """What an address of ours names: a reply key, a forum, or the bounce hook."""

    kind: str  # "reply", "forum" or "bounce"
    reply_key: object = None
    forum: object = None
    delivery_id: int | None = None


@dataclass(frozen=True)
class Result:
    outcome: str  # an InboundMessage.Outcome, or "duplicate"
    reason: str = ""
    post_id: int | None = None


def recipient_target(address: str, *, sender: str | None = None) -> Target | None:
    """What ``address`` names, or None for an address we do not receive for (the gateway
    answers 550 at RCPT). Raises the database's error while it cannot be reached. With
    ``sender`` (the mail's From), a reply key says whether it is its person's address."""
    local, _at, domain = (address or "").strip().strip("<>").rpartition("@")
    if not local or domain.lower() != settings.MAIL_LIST_ID_DOMAIN.lower():
        return None
    local = local.lower()
    if local.startswith(REPLY_PREFIX):
        key = forum_selectors.reply_key_find(local[len(REPLY_PREFIX) :], sender=sender)
        return Target("reply", reply_key=key) if key is not None else None
    if local.startswith(BOUNCE_PREFIX):
        delivery_id = bounce_delivery_id(local)
        return Target("bounce", delivery_id=delivery_id) if delivery_id is not None else None
    forum = forum_selectors.forum_by_posting_address(local)
    return Target("forum", forum=forum) if forum is not None else None


# What a person is told when their mail was not posted (one mail a day per address).
REASONS = {
    "unknown_sender": gettext_lazy(
        "The address %(address)s is not a verified address of any account of the portal. "
        "Sign in, add and verify this address in your account, then send your message again."
    ),
    "not_the_recipient": gettext_lazy(
        "This reply address was made for another person's copy of the mail: reply from the "
        "address the mail was sent to, or post on the portal."
    ),
}


def _explain(received: parsing.Received, *, reason: str, detail: str = "", person=None) -> None:
    """Tell the sender once a day why their mail was not posted (never an automatic mail:
    those are dropped before)."""
    address = received.from_address
    if not address:
        return
    language = getattr(person, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        why = detail or str(REASONS[reason] % {"address": address})
    deliver_to_address(
        email=address,
        kind="inbound.refused",
        about=f"inbound.refused:{timezone.localdate().isoformat()}",
        subject=gettext_lazy("Your message to %(list)s was not posted"),
        subject_params={"list": settings.MAIL_LIST_ID_DOMAIN},
        template="inbound/email/refused",
        context={"why": why, "subject": received.subject},
        language=language,
        headers={
            # RFC 3834: an automatic answer, so that an autoresponder answers it not.
            "Auto-Submitted": "auto-replied",
            "In-Reply-To": received.message_id,
        },
    )


class _Refused(Exception):
    """The mail is not posted, for ``reason`` (answered to its sender when ``explain``)."""

    def __init__(self, reason: str, *, explain: bool = False, detail: str = ""):
        super().__init__(reason)
        self.reason, self.explain, self.detail = reason, explain, detail


def _body(received: parsing.Received) -> str:
    body = received.text
    if received.attachments:
        # Written in the portal's language: the post is read by everyone.
        with translation.override(settings.LANGUAGE_CODE):
            note = _("(An attachment was left out: %(names)s. Mail attachments are not posted.)")
        body = f"{body}\n\n_{note % {'names': ', '.join(received.attachments)}}_".strip()
    return body


def _post(received: parsing.Received, target: Target, record: InboundMessage, raw: bytes):
    """Post the mail as what its address names; return (post, person) or raise
    _Refused / DomainError."""
    if target.kind == "reply":
        key = target.reply_key
        if not key.sent_by_its_person:  # owns_verified_email, asked with the key
            raise _Refused("not_the_recipient", explain=True)
        return forum_services.reply_by_mail(
            key=key, body=_body(received), from_address=received.from_address
        ), key.user
    forum = target.forum
    verdict = authenticate(
        received.message,
        raw,
        received.from_address,
        trusted=settings.INBOUND_TRUSTED_AUTHSERV_IDS,
    )
    if not verdict.passed:
        # Never answered: the From address may be forged, and an answer would go to it.
        raise _Refused("not_authenticated", detail=verdict.how)
    person = person_by_verified_email(received.from_address)
    if person is None:
        raise _Refused("unknown_sender", explain=True)
    record.user = person
    # A reply to one of our post mails, or to a mail of the list's imported archive, joins
    # its topic: one of this forum's that the person may see (a held one is not theirs to
    # answer unless they wrote it).
    topic = forum_selectors.topic_answered(received.references)
    if (
        topic is not None
        and topic.forum_id == forum.pk
        and forum_permissions.can_see_held_topic(person, topic)
    ):
        post = forum_services.post_create(
            topic=topic, by=person, body=_body(received), from_address=received.from_address
        )
        return post, person
    title = parsing.topic_title(received.subject, forum_name=forum.name)
    created = forum_services.topic_create(
        forum=forum,
        by=person,
        title=title,
        body=_body(received),
        from_address=received.from_address,
    )
    return created.posts.get(is_first=True), person


def bounce_kind(raw: bytes) -> tuple[bool, str]:
    """Whether a bounce is permanent (hard), and why, as far as the report says: flufl.bounce
    (Mailman's detector) finds the failed addresses of RFC 3464 reports and of the common
    other formats, temporary or permanent. A bounce it cannot read came back to a VERP
    address all the same: it counts as hard, like any bounce in Mailman."""
    message = email.message_from_bytes(raw)  # flufl.bounce reads the classic API
    temporary, permanent = all_failures(message)
    status = ""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload() or []:
                status = status or str(block.get("Diagnostic-Code", "") or block.get("Status", ""))
    if permanent or not temporary:
        return True, status or "permanent failure"
    return False, status or "temporary failure"


class _Duplicate(Exception):
    """The mail's Message-ID was received already: what this delivery did is undone."""


class _RuleBroken(Exception):
    """A rule of the forums refused the post: the attempt is rolled back whole, and the
    refusal written on its own (``_refuse``)."""

    def __init__(self, record: InboundMessage, error: DomainError):
        super().__init__(error)
        self.record, self.error = record, error


def message_receive(*, raw: bytes, recipient: str, envelope_from: str | None = None) -> Result:
    """Process one received mail for one of our addresses (idempotent per Message-ID).

    ``envelope_from``: the SMTP sender; "" is the null sender of bounces and automatic
    notices (dropped), None when unknown (``receive_mail``).
    """
    if len(raw) > settings.INBOUND_MAX_BYTES:
        return Result(Outcome.REFUSED, "too_large")
    received = parsing.read(raw)
    try:
        try:
            record = _receive(received, raw=raw, recipient=recipient, envelope_from=envelope_from)
        except _RuleBroken as broken:
            record = _refuse(received, broken.record, broken.error)
    except _Duplicate:
        return Result("duplicate")
    logger.info("mail %s to %s: %s %s", record.message_id, recipient, record.outcome, record.reason)
    return Result(record.outcome, record.reason, record.post_id)


@transaction.atomic
def _receive(
    received: parsing.Received, *, raw: bytes, recipient: str, envelope_from: str | None
) -> InboundMessage:
    record = InboundMessage(
        message_id=received.message_id,
        recipient=recipient[:320],
        envelope_from=(envelope_from or "")[:320],
        from_address=received.from_address[:320],
        subject=received.subject[:255],
        raw=raw,
        outcome=Outcome.REFUSED,
    )
    target = recipient_target(recipient, sender=received.from_address)
    if target is not None and target.kind == "bounce":
        # Before the loop checks: a bounce comes from the null sender, often auto-submitted.
        permanent, reason = bounce_kind(raw)
        bounce_record(delivery_id=target.delivery_id, permanent=permanent, reason=reason)
        record.outcome, record.reason = Outcome.BOUNCE, "hard" if permanent else "soft"
        return _claim(record)
    loop = parsing.loop_reason(received.message, list_domain=settings.MAIL_LIST_ID_DOMAIN)
    if envelope_from == "" and not loop:
        loop = "null-sender"  # RFC 3834: never answer (nor post) a mail from <>
    if loop:
        record.outcome, record.reason = Outcome.DROPPED, loop
    elif target is None:
        record.reason = "unknown_address"
    else:
        try:
            post, person = _post(received, target, record, raw)
        except _Refused as refused:
            record.reason, record.detail = refused.reason, refused.detail
            if refused.explain:
                _explain(received, reason=refused.reason)
        except DomainError as error:
            # A reply by mail has no savepoint of its own (forums.services.reply_by_mail):
            # leaving this block rolls back everything the attempt wrote.
            record.user = record.user or getattr(target.reply_key, "user", None)
            raise _RuleBroken(record, error) from error
        else:
            record.outcome, record.post, record.user = Outcome.POSTED, post, person
    return _claim(record)


@transaction.atomic
def _refuse(received: parsing.Received, record: InboundMessage, error: DomainError):
    """Write the mail's row refused by a rule of the forums, and tell its sender why."""
    person = record.user
    language = getattr(person, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        message = str(error.message)
    record.reason, record.detail = "rule", message
    _explain(received, reason="rule", detail=message, person=person)
    return _claim(record)


def _claim(record: InboundMessage) -> InboundMessage:
    """Write the mail's row, unique per Message-ID, last in the transaction that did its
    work: a second delivery of the mail, even a concurrent one (which waits here for the
    first to commit), fails on it, and everything it did is rolled back with it."""
    try:
        record.save()
    except IntegrityError:
        raise _Duplicate from None
    return record
