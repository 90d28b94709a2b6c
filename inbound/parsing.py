"""Reading a received mail: no database, no settings beyond the list domain.

What a mail program sends as a reply is its new text on top of quoted text, an "On …
wrote:" line and a signature; ``mail-parser-reply`` (a maintained successor of GitHub's
email_reply_parser, with headers in several languages) keeps the new text only. HTML-only
mail is turned into plain text here (quoted ``<blockquote>`` left out); the post is then
rendered by ``core.markdown`` like any other, so nothing of the HTML reaches a page.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage as ReplyText

# Reply headers ("On … wrote:") of these languages are recognised (the library has no
# Portuguese or Russian ones yet; English covers most mail programs set to them).
REPLY_LANGUAGES = ["en", "es", "zh", "de", "fr"]

# RFC 3834 and the de-facto headers of autoresponders and bulk mail.
_BULK_PRECEDENCE = {"bulk", "junk", "auto_reply"}


@dataclass
class Received:
    """What the processing needs of one mail."""

    message: EmailMessage
    message_id: str
    from_address: str
    subject: str
    text: str  # the new text of the mail, quotes and signature stripped
    attachments: list[str] = field(default_factory=list)
    # The Message-IDs the mail answers, nearest first (In-Reply-To, then References from
    # the last): how a reply without a reply address finds its topic.
    references: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=1024)
def _parsed_header(name: str, value: str):
    return policy.default.header_fetch_parse(name, value)


class _Policy(EmailPolicy):
    """``policy.default``, parsing each header value once. The email package parses a
    header again at every look-up (a part's Content-Type a dozen times while its text is
    read); the parsed headers are immutable, so one parse serves every look-up."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name") or len(value) > _CACHED_HEADER_MAX:
            return super().header_fetch_parse(name, value)
        return _parsed_header(name, value)


_CACHED_HEADER_MAX = 1000  # longer values (a long References) are parsed each time
_POLICY = _Policy()


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=_POLICY).parsebytes(raw)


def header(message: EmailMessage, name: str) -> str:
    """A header as text; a malformed one as its raw value, never an exception."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - the email package raises many kinds on bad headers
        value = message.get_all(name, [""])[0] if hasattr(message, "get_all") else ""
    return " ".join(str(value or "").split())


def message_id_of(message: EmailMessage, raw: bytes) -> str:
    """The Message-ID, or for a mail without one a stand-in made of its bytes (so the
    same mail delivered twice is still one)."""
    mid = header(message, "Message-ID").strip()
    if mid:
        return mid[:255]
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@inbound.invalid>"


def from_address_of(message: EmailMessage) -> str:
    """The one From address, lower-cased; empty when there is none or several."""
    addresses = [a for _n, a in getaddresses([header(message, "From")]) if a]
    if len(addresses) != 1 or "@" not in addresses[0]:
        return ""
    return parseaddr(addresses[0])[1].strip().lower()


def loop_reason(message: EmailMessage, *, list_domain: str) -> str:
    """Why this mail must be dropped unanswered (an autoresponder, bulk mail, our own mail
    coming back), or "" when it may be processed."""
    auto = header(message, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return "auto-submitted"
    if header(message, "Precedence").lower() in _BULK_PRECEDENCE:
        return "precedence"
    if header(message, "X-Autoreply") or header(message, "X-Autorespond"):
        return "autoreply"
    domain = list_domain.lower()
    if domain and any(
        domain in value.lower() for value in (message.get_all("X-Loop") or []) if value
    ):
        return "x-loop"
    list_id = header(message, "List-Id").lower()
    if domain and list_id.rstrip(">").endswith("." + domain):
        return "list-id"
    return ""


class _TextOfHTML(HTMLParser):
    """HTML to plain text: block elements break lines, quoted text and scripts are left
    out, links keep their address."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"}
    SKIP = {"script", "style", "head", "title", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.href: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li" and not self.skipping:
            self.parts.append("- ")
        if tag == "a":
            self.href.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in {"p", "div", "ul", "ol"}:
            self.parts.append("\n")
        if tag == "a" and self.href:
            href = self.href.pop()
            if href.startswith(("http://", "https://")) and not self.skipping:
                self.parts.append(f" <{href}>")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(" ".join(data.split(" ")))

    def text(self) -> str:
        text = "".join(self.parts).replace("\xa0", " ")
        lines = [line.strip() for line in text.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _TextOfHTML()
    parser.feed(html)
    parser.close()
    return parser.text()


def _decoded(part) -> str:
    try:
        return part.get_content()
    except Exception:  # noqa: BLE001 - an unknown charset: read it as UTF-8, replacing
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def text_and_attachments(message: EmailMessage) -> tuple[str, list[str]]:
    """The mail's text (its plain part, else its HTML part as text) and the names of what
    it carried besides (attachments, inline images): those are never posted."""
    plain = html = None
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        if part.get_content_disposition() == "attachment" or filename:
            attachments.append(filename or ctype)
        elif ctype == "text/plain" and plain is None:
            plain = _decoded(part)
        elif ctype == "text/html" and html is None:
            html = _decoded(part)
        elif not ctype.startswith("text/"):
            attachments.append(ctype)
    if plain is not None and plain.strip():
        return plain, attachments
    if html is not None:
        return html_to_text(html), attachments
    return plain or "", attachments


def strip_reply(text: str) -> str:
    """The new text of a reply: quoted text, reply headers and signature left out."""
    text = text.replace("\r\n", "\n").replace("\x00", "")
    try:
        # Lines starting "- " are a list in a post (Markdown), not a signature.
        parsed = ReplyText(
            text=text, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True
        ).read()
        body = parsed.replies[0].body if parsed.replies else text
    except Exception:  # noqa: BLE001 - a parser failure must not lose the mail's text
        body = text
    # What the parser leaves of a bottom-quoted reply: lines quoted with ">".
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def read(raw: bytes) -> Received:
    message = parse(raw)
    text, attachments = text_and_attachments(message)
    return Received(
        message=message,
        message_id=message_id_of(message, raw),
        from_address=from_address_of(message),
        subject=header(message, "Subject"),
        text=strip_reply(text),
        attachments=attachments,
        references=thread_references(message),
    )


_SUBJECT_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|vs)\s*:\s*)+", re.IGNORECASE)


def topic_title(subject: str, *, forum_name: str = "") -> str:
    """A new topic's title from its mail's subject (reply prefixes and our "[Forum]" tag
    left out)."""
    title = _SUBJECT_PREFIX.sub("", subject or "")
    if forum_name:
        title = title.replace(f"[{forum_name}]", "")
    return _SUBJECT_PREFIX.sub("", title).strip()


# A list's subject tags and reply prefixes, any number in any order: "Re: [api-users] Fwd:".
_SUBJECT_NOISE = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|sv|vs|antw|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*|\[[^\]]*\]\s*)+",
    re.IGNORECASE,
)


def subject_key(subject: str) -> str:
    """A subject as threads compare it: without reply prefixes and list tags, case and
    spacing folded ("Re: [api-users] Token  expiry" and "token expiry" are one)."""
    return " ".join(_SUBJECT_NOISE.sub("", subject or "").split()).casefold()


def is_reply_subject(subject: str) -> bool:
    """Whether the subject says the mail answers another ("Re:" after any list tag)."""
    stripped = re.sub(r"^\s*(\[[^\]]*\]\s*)+", "", subject or "")
    return bool(re.match(r"\s*(re|aw|sv|vs|antw)\s*(\[\d+\])?\s*:", stripped, re.IGNORECASE))


def clean_subject(subject: str) -> str:
    """A topic's title from an archived mail's subject: prefixes and list tags left out."""
    return " ".join(_SUBJECT_NOISE.sub("", subject or "").split())


def thread_references(message: EmailMessage) -> list[str]:
    """The Message-IDs a mail answers, nearest first: In-Reply-To, then References from
    the last (its parent) to the first (the thread's start)."""
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        found = re.findall(r"<[^<>\s]+>", header(message, name))
        ids.extend(found if name == "In-Reply-To" else reversed(found))
    seen: set[str] = set()
    return [i for i in ids if not (i in seen or seen.add(i))]


# Markdown that a plain-text mail must not turn on by accident: inline marks anywhere,
# block marks (headings, lists, rules, setext underlines such as a "-- " signature line)
# at a line's start. A ">" at a line's start is the mail's own quoting: kept as a quote.
_INLINE_MARKS = re.compile(r"([\\`*_\[\]<>|~#!&])")
_LINE_START_MARK = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")


def mail_text_as_markdown(text: str) -> str:
    """A plain-text mail written as Markdown that shows it as it was: its line breaks,
    its quoted lines (as quotes) and its characters, none read as Markdown."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        quote = re.match(r"^((?:\s{0,3}>)+ ?)", line)
        prefix = quote.group(1).replace(" ", "") + " " if quote else ""
        rest = line[quote.end() :] if quote else line
        rest = _INLINE_MARKS.sub(r"\\\1", rest.rstrip())
        rest = _LINE_START_MARK.sub(r"\1\\\2", rest)
        # Indentation stays indentation (never a code block, where escapes would show).
        indent = len(rest) - len(rest.lstrip(" \t"))
        rest = rest[:indent].replace("\t", "    ").replace(" ", "&nbsp;") + rest[indent:]
        out.append((prefix + rest).rstrip())
    # A line break in a mail is a line break on the page: a backslash ends the line, except
    # before a blank line or a change of quoting (where Markdown breaks anyway).
    lines = []
    for i, line in enumerate(out):
        following = out[i + 1] if i + 1 < len(out) else ""
        depth = len(line) - len(line.lstrip(">"))
        next_depth = len(following) - len(following.lstrip(">"))
        content = line.lstrip("> ")
        if content and following.lstrip("> ") and depth == next_depth:
            line += "\\"
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
