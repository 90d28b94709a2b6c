"""Daily and weekly digests of the forums: one mail per person and list with everything new.

A run (mail's digest run, one per period: ``daily:2026-11-23``, ``weekly:2026-W48``)
fixes its window — from where the previous run of that mode ended until a few minutes ago
(:data:`SETTLE`) — and renders
the shared pieces once: per forum and per topic, per language. Then it walks the
subscribers in batches of a fixed number of queries, writes one Delivery per person and
list that names the pieces that person may see (``parts``), and hands each batch to one
task that sends it over one mail connection. The Delivery's unique constraint (recipient,
kind, about, period) makes a rerun of the same period send nothing twice.

Forums decides who gets which pieces; mail owns the run, its sections and deliveries and
writes them (``mail.services.digest_run_start``, ``digest_batch_record``). A run whose
building stopped (its worker killed) is handed back by mail's sweep to
``forums.tasks.resume_digest``, which goes on after the last person written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forums import permissions
from forums.models import Forum, Post, Subscription
from forums.notifications import LISTS, list_for_forum, reply_address, reply_keys_for_pairs
from mail import selectors as mail_selectors
from mail import services as mail

KIND = "forums.digest"
MODES = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
# A digest covers the posts created up to this long before it runs. A post's created_at is
# set when it is inserted, but its transaction commits later (it writes the notifications
# of its watchers first): a window ending at the run's own time would miss a post inserted
# just before and committed just after it, and the next window would start after it.
SETTLE = timedelta(minutes=5)
BATCH_SIZE = mail.BATCH_SIZE
RESUME_TASK = "forums.tasks.resume_digest"


def digest_period(mode: str, until: datetime) -> str:
    until = until.astimezone(UTC)
    if mode == "daily":
        return f"daily:{until.date().isoformat()}"
    year, week, _weekday = until.isocalendar()
    return f"weekly:{year}-W{week:02d}"


@dataclass
class Plan:
    """What a run contains: forums and topics with new posts, in the order mail shows them."""

    forums: list[int] = field(default_factory=list)
    topics: dict[int, list[int]] = field(default_factory=dict)  # forum id → topic ids
    lists: dict[int, str] = field(default_factory=dict)  # forum id → list id
    private: dict[int, list[int]] = field(default_factory=dict)  # forum id → reader ids
    subjects: dict[str, str] = field(default_factory=dict)  # "language list" → subject
    languages: list[str] = field(default_factory=list)

    def dumps(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def loads(cls, text: str) -> Plan:
        data = json.loads(text)
        return cls(
            forums=data["forums"],
            topics={int(k): v for k, v in data["topics"].items()},
            lists={int(k): v for k, v in data["lists"].items()},
            private={int(k): v for k, v in data["private"].items()},
            subjects=data["subjects"],
            languages=data["languages"],
        )

    @property
    def topic_ids(self) -> list[int]:
        return [t for ids in self.topics.values() for t in ids]


def _language(code: str) -> str:
    return code or settings.LANGUAGE_CODE


def _render_sections(
    mode: str, since: datetime, until: datetime, posts: list[Post], languages: set[str]
) -> tuple[Plan, list[tuple[str, str, str, str]]]:
    """Render every shared piece of the run in every language; return (plan, sections)."""
    plan = Plan()
    forums: dict[int, Forum] = {}
    by_topic: dict[int, list[Post]] = {}
    for post in posts:
        forum = post.topic.forum
        forums[forum.pk] = forum
        by_topic.setdefault(post.topic_id, []).append(post)
    ordered = sorted(forums.values(), key=lambda f: (f.position, f.name, f.pk))
    for forum in ordered:
        plan.forums.append(forum.pk)
        plan.lists[forum.pk] = list_for_forum(forum)
        plan.topics[forum.pk] = [
            topic_id for topic_id, items in by_topic.items() if items[0].topic.forum_id == forum.pk
        ]
    plan.private = {k: sorted(v) for k, v in permissions.private_forum_readers(ordered).items()}

    site_url = settings.SITE_URL.rstrip("/")
    sections: list[tuple[str, str, str, str]] = []

    def add(language: str, key: str, text: str, html: str) -> None:
        sections.append((language, key, text, html))

    plan.languages = sorted(languages)
    for language in plan.languages:
        with translation.override(language):
            for list_id in sorted(set(plan.lists.values())):
                list_name = str(mail.LIST_NAMES.get(list_id, list_id))
                if mode == "daily":
                    subject = _("Daily digest of %(list)s, %(date)s")
                else:
                    subject = _("Weekly digest of %(list)s, %(date)s")
                subject = subject % {
                    "list": list_name,
                    "date": (until + SETTLE).strftime("%Y-%m-%d"),  # the run's day
                }
                plan.subjects[f"{language} {list_id}"] = subject
                ctx = {
                    "language": language,
                    "list_name": list_name,
                    "since": since,
                    "site_url": site_url,
                    "subject": subject,
                    "recipient": mail.RECIPIENT_SLOT,
                    "unsubscribe_url": mail.UNSUBSCRIBE_SLOT,
                }
                for piece in ("head", "foot"):
                    add(
                        language,
                        f"_{piece}:{list_id}",
                        render_to_string(f"forums/email/digest_{piece}.txt", ctx),
                        render_to_string(f"forums/email/digest_{piece}.html", ctx),
                    )
            for forum in ordered:
                ctx = {"forum": forum, "site_url": site_url}
                head = (
                    render_to_string("forums/email/digest_forum.txt", ctx),
                    render_to_string("forums/email/digest_forum.html", ctx),
                )
                add(language, f"H{forum.pk}", *head)
                whole_text, whole_html = [head[0]], [head[1]]
                for topic_id in plan.topics[forum.pk]:
                    items = by_topic[topic_id]
                    ctx = {"topic": items[0].topic, "posts": items, "site_url": site_url}
                    text = render_to_string("forums/email/digest_topic.txt", ctx)
                    html = render_to_string("forums/email/digest_topic.html", ctx)
                    add(language, f"T{topic_id}", text, html)
                    whole_text.append(text)
                    whole_html.append(html)
                add(language, f"F{forum.pk}", "".join(whole_text), "".join(whole_html))
    return plan, sections


def digest_prepare(*, mode: str, now: datetime | None = None, kind: str = KIND):
    """Start (or find again) the run of this period; render its shared pieces once.

    Returns (run, plan).
    """
    if mode not in MODES:
        raise ValueError(f"unknown digest mode {mode!r}")
    now = now or timezone.now()
    period = digest_period(mode, now)
    until = now - SETTLE
    with transaction.atomic():
        found = mail_selectors.digest_run_find(kind=kind, period=period)
        if found is not None:
            run, plan = found
            return run, Plan.loads(plan)
        previous, later = mail_selectors.digest_run_neighbours(
            kind=kind, period_prefix=f"{mode}:", until=until
        )
        since = previous or until - MODES[mode]
        # A missed period run again after a later one (send_digests with ``now``): the later
        # run started where the one before this ended and has sent what it covered.
        end = min(until, later) if later is not None else until
        posts = list(
            Post.objects.filter(created_at__gte=since, created_at__lt=end, is_hidden=False)
            .select_related("topic__forum", "author")
            .order_by("created_at", "pk")
        )
        languages = {settings.LANGUAGE_CODE}
        if posts:
            languages |= {
                _language(code)
                for code in get_user_model()
                .objects.filter(forum_subscriptions__mode=mode)
                .values_list("language", flat=True)
                .distinct()
            }
        plan, sections = _render_sections(mode, since, until, posts, languages)
        run = mail.digest_run_start(
            kind=kind,
            period=period,
            since=since,
            until=until,
            plan=plan.dumps(),
            sections=sections,
            resume_task=RESUME_TASK,
        )
    return run, plan


def _subscriber_page(mode: str, plan: Plan, after: int, size: int) -> list[int]:
    return list(
        Subscription.objects.filter(mode=mode, user_id__gt=after)
        .filter(Q(forum_id__any=plan.forums) | Q(topic_id__any=plan.topic_ids))
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()[:size]
    )


def _parts_for(plan: Plan, mode: str, subs, user_id: int) -> dict[str, list]:
    """The section keys of one person's digests, per list (only what they may see)."""
    forums, topics, elsewhere = set(), set(), set()
    for forum_id, topic_id, sub_mode in subs:
        if forum_id is not None:
            if sub_mode == mode:
                forums.add(forum_id)
        elif sub_mode == mode:
            topics.add(topic_id)
        else:
            elsewhere.add(topic_id)  # a topic's own mode overrides its forum's
    parts: dict[str, list] = {}
    for forum_id in plan.forums:
        members = plan.private.get(forum_id)
        if members is not None and user_id not in members:
            continue
        topic_ids = plan.topics[forum_id]
        if forum_id in forums and not elsewhere.intersection(topic_ids):
            keys = [f"F{forum_id}"]
        else:
            chosen = [
                t for t in topic_ids if t not in elsewhere and (forum_id in forums or t in topics)
            ]
            if not chosen:
                continue
            keys = [f"H{forum_id}", *(f"T{t}" for t in chosen)]
        parts.setdefault(plan.lists[forum_id], []).extend(keys)
    return parts


def digest_batch_write(*, run, plan: Plan, mode: str, user_ids: list[int]) -> int:
    """Write the deliveries of a batch of people (a fixed number of queries); send on commit.

    ``user_ids`` in id order. The batch's ids go to the database as one array each
    (``__any``, see core.lookups).
    """
    subs: dict[int, list] = {}
    for user_id, forum_id, topic_id, sub_mode in (
        Subscription.objects.filter(user_id__any=user_ids)
        .filter(Q(forum_id__any=plan.forums) | Q(topic_id__any=plan.topic_ids))
        .values_list("user_id", "forum_id", "topic_id", "mode")
    ):
        subs.setdefault(user_id, []).append((forum_id, topic_id, sub_mode))
    people = (
        get_user_model()
        .objects.filter(pk__any=user_ids, is_active=True)
        .exclude(email="")
        .values_list("pk", "email", "language")
    )
    opted_out = mail_selectors.unsubscribed(user_ids=user_ids, list_ids=LISTS)
    rows, one_topic = [], {}
    for user_id, email, language in people:
        language = _language(language)
        if language not in plan.languages:
            language = settings.LANGUAGE_CODE  # chose a language after the run started
        for list_id, keys in _parts_for(plan, mode, subs.get(user_id, ()), user_id).items():
            if (user_id, list_id) in opted_out:
                continue
            parts = mail.digest_parts(
                language=language, keys=[f"_head:{list_id}", *keys, f"_foot:{list_id}"]
            )
            subject = plan.subjects[f"{language} {list_id}"][:255]
            rows.append([user_id, list_id, email, subject, parts, ""])
            topics = _topics_of(plan, keys)
            if len(topics) == 1:
                one_topic[len(rows) - 1] = (topics.pop(), user_id)
    # A digest of one topic answers like the topic's own mail: Reply-To names the person and
    # the topic (a reply key), and a reply becomes their post there. A digest of several
    # topics has no one topic a reply could go to: replies are made on the site.
    keys = reply_keys_for_pairs(one_topic.values())
    for index, pair in one_topic.items():
        rows[index][5] = reply_address(keys[pair]) if pair in keys else ""
    return mail.digest_batch_record(run=run, recipients=user_ids, rows=[tuple(r) for r in rows])


def _topics_of(plan: Plan, keys: list[str]) -> set[int]:
    """The topics a digest's section keys cover (a forum's section: all its topics)."""
    topics: set[int] = set()
    for key in keys:
        if key[0] == "F":
            topics.update(plan.topics[int(key[1:])])
        elif key[0] == "T":
            topics.add(int(key[1:]))
    return topics


def _build(run, plan: Plan, mode: str, batch_size: int | None, *, after: int = 0):
    """Write the run's deliveries batch by batch, for the people after the id ``after``."""
    batch_size = batch_size or BATCH_SIZE
    while plan.forums:
        with transaction.atomic():
            user_ids = _subscriber_page(mode, plan, after, batch_size)
            if not user_ids:
                break
            digest_batch_write(run=run, plan=plan, mode=mode, user_ids=user_ids)
        after = user_ids[-1]
    return mail.digest_run_built(run=run)


def digest_send(
    *, mode: str, now: datetime | None = None, batch_size: int | None = None, kind: str = KIND
):
    """Run the digest of this period: each subscriber with something new gets one mail a list.

    ``kind`` other than the default keeps a benchmark's run apart from the real ones.
    A rerun of the period goes through everybody again: who subscribed since gets the
    digest, nobody gets it twice. Returns the run.
    """
    run, plan = digest_prepare(mode=mode, now=now, kind=kind)
    return _build(run, plan, mode, batch_size)


def digest_resume(*, run_id: int, batch_size: int | None = None):
    """Go on building a run whose building stopped, after the last person it wrote.

    What mail's sweep asks for (``RESUME_TASK``); a run already built is left as it is.
    Returns the run, or None if there is no such run.
    """
    found = mail_selectors.digest_run_find(pk=run_id)
    if found is None:
        return None
    run, plan = found
    if run.built_at is not None:
        return run
    mode = run.period.partition(":")[0]
    return _build(run, Plan.loads(plan), mode, batch_size, after=run.cursor)
