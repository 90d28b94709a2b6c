"""Importing a mailing list's history: an mbox archive (the API Users Google group's
export) becomes topics and posts of a forum, through the forums' import services.

    mbox_import(forum=forum, path="api-users.mbox", by=None)

- **Threads**: a mail answering another (``In-Reply-To``, then ``References`` from the
  nearest) joins its topic, whether that mail came in this run or an earlier one. A mail
  whose parents are not in the archive, with a reply subject ("Re: …") or with references,
  joins the imported topic of the same subject (prefixes and ``[list]`` tags left out,
  case folded); any other mail starts a topic.
- **Dates** are the mails' own; mails are imported oldest first, so a topic's first post
  is its oldest mail.
- **Authors**: the person one of whose verified addresses sent the mail, else the name
  the mail gave (never the address) as an outside author.
- **Text** as the mail had it, quoted text and signature included (an HTML-only mail as
  text, attachments left out and named).
- **Once per Message-ID**: a mail imported before (in any forum) is skipped, so a second
  run imports nothing. A mail without a usable date, sender or text is skipped too.
- **Quiet**: no mail to watchers, no subscriptions, no rate limit; pages are invalidated
  as for any write (the database hook of ``core.cache``).
"""

from __future__ import annotations

import logging
import mailbox
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.selectors import person_by_verified_email
from core.errors import DomainError
from forums import selectors as forum_selectors
from forums import services as forum_services
from inbound import parsing

logger = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    messages: int = 0
    topics: int = 0
    posts: int = 0
    duplicates: int = 0
    malformed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.duplicates + self.malformed

    def as_json(self) -> dict[str, int]:
        return {
            "messages": self.messages,
            "topics": self.topics,
            "posts": self.posts,
            "skipped": self.skipped,
        }


@dataclass
class _Mail:
    key: str
    message_id: str
    date: datetime
    parents: list[str]  # the Message-IDs it answers, nearest first


class _Malformed(Exception):
    pass


def _date_of(message) -> datetime:
    value = parsing.header(message, "Date")
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as error:
        raise _Malformed(f"no usable Date ({value!r})") from error
    if date.tzinfo is None:  # "-0000": the zone is unknown; RFC 5322 says read it as UTC
        date = date.replace(tzinfo=UTC)
    if date > timezone.now():
        raise _Malformed(f"a Date in the future ({value!r})")
    return date


def _sender(message) -> tuple[str, str]:
    """The sender's address (lower-cased) and name; an archive's From may be a
    Google Groups rewrite ("Name via API Users <list@…>"): the name stays the person's."""
    pairs = [(n, a) for n, a in getaddresses([parsing.header(message, "From")]) if a]
    if len(pairs) != 1 or "@" not in pairs[0][1]:
        raise _Malformed("no single From address")
    name, address = pairs[0]
    name = " ".join(name.split())
    if " via " in name:
        # Google Groups sent it From the group's address; the author's is kept aside.
        name = name.split(" via ")[0].rstrip(" (")
        original = getaddresses([parsing.header(message, "X-Original-Sender")])
        if original and "@" in original[0][1]:
            address = original[0][1]
    return address.strip().lower(), name.strip("\"' ")


def _body(message) -> str:
    text, attachments = parsing.text_and_attachments(message)
    body = parsing.mail_text_as_markdown(text.replace("\x00", ""))
    if not body.strip():
        raise _Malformed("no text")
    if attachments:
        # The portal's language, as for mail received now: the post is read by everyone.
        with translation.override(settings.LANGUAGE_CODE):
            note = _("(An attachment was left out: %(names)s. Mail attachments are not posted.)")
        names = parsing.mail_text_as_markdown(", ".join(attachments))
        body = f"{body}\n\n_{note % {'names': names}}_"
    return body


def _scan(box: mailbox.mbox, summary: ImportSummary) -> list[_Mail]:
    """Every mail's key, Message-ID and date, oldest first (an export is not always in
    order); mails that cannot be read are counted and left out."""
    mails = []
    for key in box.iterkeys():
        summary.messages += 1
        try:
            raw = box.get_bytes(key)
            message = parsing.parse(raw)
            mails.append(
                _Mail(
                    key,
                    parsing.message_id_of(message, raw),
                    _date_of(message),
                    parsing.thread_references(message),
                )
            )
        except _Malformed as error:
            summary.malformed += 1
            summary.problems.append(f"message {summary.messages}: {error}")
        except Exception as error:  # noqa: BLE001 - one unreadable mail must not stop the rest
            summary.malformed += 1
            summary.problems.append(f"message {summary.messages}: unreadable ({error})")
    mails.sort(key=lambda mail: (mail.date, mail.key))
    return _parents_first(mails)


def _parents_first(mails: list[_Mail]) -> list[_Mail]:
    """Oldest first, except that a mail comes after the mail it answers when that one is
    in the archive too (a sender's clock may be wrong): a thread stays one topic."""
    by_id = {mail.message_id: mail for mail in mails}
    placed: set[str] = set()
    ordered: list[_Mail] = []
    for mail in mails:
        chain: list[_Mail] = []
        seen: set[str] = set()
        current: _Mail | None = mail
        while (
            current is not None
            and current.message_id not in placed
            and current.message_id not in seen
        ):
            seen.add(current.message_id)
            chain.append(current)
            current = next((by_id[p] for p in current.parents if p in by_id), None)
        for link in reversed(chain):
            placed.add(link.message_id)
            ordered.append(link)
    return ordered


def mbox_import(
    *,
    forum,
    path: str,
    by=None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Import the mbox archive at ``path`` into ``forum`` (idempotent per Message-ID);
    ``by`` is the person importing (None: the portal itself); ``progress(done, total)`` is
    called as the mails go in."""
    summary = ImportSummary()
    box = mailbox.mbox(path, create=False)
    try:
        mails = _scan(box, summary)
        topic_of, titles = forum_selectors.imported_topics(forum)
        by_subject = {parsing.subject_key(title): pk for pk, title in sorted(titles.items())}
        done_before = forum_selectors.imported_message_ids([m.message_id for m in mails])
        people: dict[str, object] = {}  # address → person (or None), one query each
        topics: dict[int, object] = {}
        unreadable = summary.messages - len(mails)
        for done, mail in enumerate(mails, start=unreadable + 1):
            if mail.message_id in done_before or mail.message_id in topic_of:
                summary.duplicates += 1
            else:
                _import_one(box, mail, forum, by, summary, topic_of, by_subject, people, topics)
            if progress is not None:
                progress(done, summary.messages)
    finally:
        box.close()
    return summary


def _import_one(box, mail: _Mail, forum, by, summary, topic_of, by_subject, people, topics):
    message = parsing.parse(box.get_bytes(mail.key))
    try:
        address, name = _sender(message)
        body = _body(message)
    except _Malformed as error:
        summary.malformed += 1
        summary.problems.append(f"{mail.message_id}: {error}")
        return
    if address not in people:
        people[address] = person_by_verified_email(address)
    author = people[address]
    subject = parsing.header(message, "Subject")
    key = parsing.subject_key(subject)
    references = parsing.thread_references(message)
    topic_id = next((topic_of[ref] for ref in references if ref in topic_of), None)
    if topic_id is None and key and (references or parsing.is_reply_subject(subject)):
        topic_id = by_subject.get(key)
    fields = {
        "by": by,
        "body": body,
        "created_at": mail.date,
        "message_id": mail.message_id,
        "author": author,
        "author_name": "" if author else name,
    }
    try:
        if topic_id is not None:
            if topic_id not in topics:
                topics[topic_id] = forum_selectors.topic_by_pk(topic_id)
            forum_services.post_import(topic=topics[topic_id], **fields)
            summary.posts += 1
        else:
            title = parsing.clean_subject(subject)[: forum_services.TITLE_MAX]
            if len(title) < forum_services.TITLE_MIN:
                with translation.override(settings.LANGUAGE_CODE):
                    title = _("(no subject)")
            topic = forum_services.topic_import(forum=forum, title=title, **fields)
            topic_id = topic.pk
            topics[topic_id] = topic
            if key:
                by_subject.setdefault(key, topic_id)
            summary.topics += 1
            summary.posts += 1
    except forum_services.AlreadyImported:
        summary.duplicates += 1
        return
    except DomainError as error:
        summary.malformed += 1
        summary.problems.append(f"{mail.message_id}: {error.message}")
        return
    topic_of[mail.message_id] = topic_id
