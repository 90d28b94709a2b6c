"""What waits for a signed-in person: the to-do page, its part of the home page and the
count in the header.

It reads every app, so it lives in the project app, the one layer allowed to import them
all (pyproject.toml, import-linter). Each app answers through a selector with a query set
of the objects the person may act on — its permission rules are in that query — and this
module turns them into entries, each linking to the page where the work is done.

The page runs one query per source whatever their sizes (each list is cut at
:data:`LIMIT`, with a link to the full queue); the header's count is one query for all
sources together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consortia import selectors as consortia_selectors
from contributors import selectors as contributors_selectors
from events import selectors as events_selectors
from forums import selectors as forums_selectors

# Entries shown per list; past it, the list links to its queue.
LIMIT = 20


@dataclass(frozen=True)
class Entry:
    text: str
    url: str
    # What the date is ("requested", "votes close", …) and the date itself.
    when_label: str = ""
    when: datetime | None = None


@dataclass
class Section:
    key: str
    title: str
    entries: list[Entry]
    # The full queue, linked when the list was cut at LIMIT.
    more_url: str = ""
    more: bool = False


@dataclass
class Todo:
    # Work that waits for the person: the header counts these.
    to_do: list[Section] = field(default_factory=list)
    # Their own requests and registrations, waiting for others or coming up.
    waiting: list[Section] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.to_do and not self.waiting


@dataclass(frozen=True)
class _Source:
    key: str
    title: object  # a lazy translation: the module is imported before a language is active
    queryset: Callable[..., QuerySet]
    entry: Callable[[object], Entry]
    more_url: Callable[[], str] = lambda: ""


def _join_request(membership) -> Entry:
    return Entry(
        text=_("%(organization)s asks to join %(consortium)s")
        % {
            "organization": membership.organization.name,
            "consortium": membership.consortium.name,
        },
        url=reverse("consortia:manage_requests", args=[membership.consortium.slug]),
        when_label=_("requested"),
        when=membership.created_at,
    )


def _contact_request(asked) -> Entry:
    return Entry(
        text=_("%(person)s asks to act for %(organization)s")
        % {"person": asked.user.display_name, "organization": asked.organization.name},
        url=reverse("consortia:mine") + "#decide-title",
        when_label=_("requested"),
        when=asked.created_at,
    )


def _vote(nomination) -> Entry:
    return Entry(
        text=_("Vote on the OST nomination of %(name)s")
        % {"name": nomination.nominee.display_name},
        url=nomination.get_absolute_url(),
        when_label=_("votes close"),
        when=nomination.deadline,
    )


def _flagged_post(post) -> Entry:
    return Entry(
        text=_("A post by %(author)s in “%(topic)s” (%(forum)s)")
        % {
            "author": post.author.display_name if post.author else _("someone"),
            "topic": post.topic.title,
            "forum": post.topic.forum.name,
        },
        url=reverse("forums:moderation") + f"#q-{post.pk}",
        when_label=_("posted"),
        when=post.created_at,
    )


def _proposal(session) -> Entry:
    return Entry(
        text=_("Review the proposal “%(title)s” for %(meeting)s")
        % {"title": session.title, "meeting": session.meeting.title},
        url=reverse("events:proposal_review", args=[session.meeting.slug, session.pk]),
        when_label=_("proposed"),
        when=session.proposed_at,
    )


def _to_sign(nomination) -> Entry:
    return Entry(
        text=_("Sign the OST agreement: the steering group approved your nomination"),
        url=reverse("contributors:agreement"),
        when_label=_("approved"),
        when=nomination.decided_at,
    )


def _own_request(membership) -> Entry:
    return Entry(
        text=_("%(organization)s asked to join %(consortium)s: waiting for the lead contacts")
        % {
            "organization": membership.organization.name,
            "consortium": membership.consortium.name,
        },
        url=reverse("consortia:mine") + "#requests-title",
        when_label=_("requested"),
        when=membership.created_at,
    )


def _own_contact_request(asked) -> Entry:
    return Entry(
        text=_("You asked to act for %(organization)s: waiting for an answer")
        % {"organization": asked.organization.name},
        url=reverse("consortia:mine") + "#asked-title",
        when_label=_("requested"),
        when=asked.created_at,
    )


def _registration(registration) -> Entry:
    text = (
        _("You are on the waiting list for %(meeting)s")
        if registration.state == registration.State.WAITING
        else _("You are registered for %(meeting)s")
    )
    return Entry(
        text=text % {"meeting": registration.meeting.title},
        url=registration.meeting.get_absolute_url(),
        when_label=_("starts"),
        when=registration.meeting.starts_at,
    )


# What waits for the person, in the order the page shows it.
TO_DO = (
    _Source(
        "votes",
        gettext_lazy("Votes on nominations"),
        contributors_selectors.nominations_to_vote,
        _vote,
        lambda: reverse("contributors:review"),
    ),
    _Source(
        "agreement",
        gettext_lazy("The OST agreement"),
        lambda user, now: contributors_selectors.nominations_to_sign(user),
        _to_sign,
    ),
    _Source(
        "join-requests",
        gettext_lazy("Requests to join your consortia"),
        lambda user, now: consortia_selectors.join_requests_to_decide(user),
        _join_request,
        lambda: reverse("consortia:mine"),
    ),
    _Source(
        "contact-requests",
        gettext_lazy("Requests to act for your organizations"),
        lambda user, now: consortia_selectors.contact_requests_to_decide(user),
        _contact_request,
        lambda: reverse("consortia:mine") + "#decide-title",
    ),
    _Source(
        "flags",
        gettext_lazy("Flagged posts"),
        lambda user, now: forums_selectors.posts_to_moderate(user),
        _flagged_post,
        lambda: reverse("forums:moderation"),
    ),
    _Source(
        "proposals",
        gettext_lazy("Session proposals to review"),
        events_selectors.proposals_to_review,
        _proposal,
    ),
)
# The person's own requests and registrations: not counted in the header.
WAITING = (
    _Source(
        "own-requests",
        gettext_lazy("Your requests to join a consortium"),
        lambda user, now: consortia_selectors.own_pending_requests(user),
        _own_request,
        lambda: reverse("consortia:mine") + "#requests-title",
    ),
    _Source(
        "own-contact-requests",
        gettext_lazy("Your requests to act for an organization"),
        lambda user, now: consortia_selectors.own_pending_contact_requests(user),
        _own_contact_request,
        lambda: reverse("consortia:mine") + "#asked-title",
    ),
    _Source(
        "registrations",
        gettext_lazy("Your registrations"),
        events_selectors.own_registrations,
        _registration,
        lambda: reverse("events:list"),
    ),
)


def _sections(sources, user, now: datetime) -> list[Section]:
    sections = []
    for source in sources:
        rows = list(source.queryset(user, now)[: LIMIT + 1])
        if rows:
            sections.append(
                Section(
                    key=source.key,
                    title=str(source.title),
                    entries=[source.entry(row) for row in rows[:LIMIT]],
                    more_url=source.more_url(),
                    more=len(rows) > LIMIT,
                )
            )
    return sections


def for_person(user, now: datetime | None = None) -> Todo:
    """What waits for ``user``: one query per source."""
    if not getattr(user, "is_authenticated", False):
        return Todo()
    now = now or timezone.now()
    return Todo(to_do=_sections(TO_DO, user, now), waiting=_sections(WAITING, user, now))


def count(user, now: datetime | None = None) -> int:
    """How many entries of the to-do list wait for ``user``'s action (the header's number):
    one query, the sources counted together."""
    if not getattr(user, "is_authenticated", False):
        return 0
    now = now or timezone.now()
    first, *others = [
        source.queryset(user, now).order_by().values_list("pk", flat=True) for source in TO_DO
    ]
    return first.union(*others, all=True).count()
