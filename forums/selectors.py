"""Read queries of the forums: each page runs a fixed number of queries."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.selectors import owns_verified_email_column
from forums import permissions
from forums.models import (
    Flag,
    Forum,
    IdeaStatus,
    IdeaStatusChange,
    Post,
    ReplyKey,
    Subscription,
    Topic,
    Vote,
)
from forums.notifications import post_ids_in
from forums.services import SEARCH_CONFIG

TOPICS_PER_PAGE = 30
POSTS_PER_PAGE = 20
RESULTS_PER_PAGE = 20
QUERY_MAX = 200
RANK_WINDOW = 1000


def _page(queryset, number, per_page: int) -> Page:
    # get_page: a page number that is not a number or out of range gives a valid page.
    return Paginator(queryset, per_page).get_page(number)


# --- forums and topics ---------------------------------------------------------------------


def forum_index(user) -> list[Forum]:
    return list(permissions.visible_forums(user).order_by("position", "name"))


def forum_topics(forum: Forum, *, page=1) -> Page:
    topics = (
        Topic.objects.filter(forum=forum, merged_into__isnull=True, is_held=False)
        .select_related("author", "last_post_author")
        .order_by("-is_pinned", "-last_post_at", "-pk")
    )
    return _page(topics, page, TOPICS_PER_PAGE)


def latest_topics(forum: Forum, *, limit: int) -> list[Topic]:
    """The topics of ``forum`` with the latest posts, pinned or not (the home page)."""
    return list(
        Topic.objects.filter(forum=forum, merged_into__isnull=True, is_held=False)
        .select_related("author", "last_post_author")
        .order_by("-last_post_at", "-pk")[:limit]
    )


def page_of_post(post: Post) -> int:
    before = Post.objects.filter(topic_id=post.topic_id).filter(
        Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, pk__lt=post.pk)
    )
    return before.count() // POSTS_PER_PAGE + 1


@dataclass
class TopicPage:
    topic: Topic
    page: Page
    can_moderate: bool
    can_accept: bool
    flagged_ids: set[int] = field(default_factory=set)
    subscription: Subscription | None = None
    has_voted: bool = False
    status_changes: list = field(default_factory=list)


def topic_page(topic: Topic, user, *, page=1) -> TopicPage:
    can_moderate = permissions.can_moderate(user, topic.forum)

    def posts_page() -> Page:
        posts = Post.objects.filter(topic=topic).select_related("author")
        paged = _page(posts.order_by("created_at", "pk"), page, POSTS_PER_PAGE)
        for post in paged.object_list:
            post.show_body = (
                not post.is_hidden
                or can_moderate
                or (user.is_authenticated and post.author_id == user.pk)
            )
            post.can_edit = permissions.edits_post(user, post, topic=topic, moderates=can_moderate)
        return paged

    paged = posts_page()
    result = TopicPage(
        topic=topic,
        page=paged,
        can_moderate=can_moderate,
        can_accept=permissions.can_accept_answer(user, topic) if user.is_authenticated else False,
    )
    if user.is_authenticated:
        result.flagged_ids = set(
            Flag.objects.filter(
                user=user, post_id__in=[p.pk for p in paged.object_list]
            ).values_list("post_id", flat=True)
        )
        result.subscription = Subscription.objects.filter(user=user, topic=topic).first()
    if topic.forum.is_ideas:
        if user.is_authenticated:
            result.has_voted = Vote.objects.filter(idea=topic, user=user).exists()
        result.status_changes = list(topic.status_changes.select_related("changed_by"))
    return result


# --- ideas ---------------------------------------------------------------------------------

IDEA_SORTS = ("votes", "newest", "status")
_STATUS_ORDER = Case(
    *[When(status=s, then=Value(i)) for i, s in enumerate(IdeaStatus.values)],
    default=Value(99),
    output_field=IntegerField(),
)


def ideas_forum() -> Forum | None:
    return Forum.objects.filter(kind=Forum.Kind.IDEAS).first()


def ideas_list(forum: Forum, user, *, sort: str = "votes", status: str = "", page=1):
    ideas = Topic.objects.filter(forum=forum, merged_into__isnull=True).select_related("author")
    if status in IdeaStatus.values:
        ideas = ideas.filter(status=status)
    if sort == "newest":
        ideas = ideas.order_by("-created_at", "-pk")
    elif sort == "status":
        ideas = ideas.annotate(status_order=_STATUS_ORDER).order_by(
            "status_order", "-vote_count", "-pk"
        )
    else:
        ideas = ideas.order_by("-vote_count", "-created_at", "-pk")
    paged = _page(ideas, page, TOPICS_PER_PAGE)
    voted: set[int] = set()
    if user.is_authenticated:
        voted = set(
            Vote.objects.filter(
                user=user, idea_id__in=[t.pk for t in paged.object_list]
            ).values_list("idea_id", flat=True)
        )
    for idea in paged.object_list:
        idea.has_voted = idea.pk in voted
    return paged


def idea_status_changes(forum: Forum, *, limit: int = 30) -> list[IdeaStatusChange]:
    """The newest status changes of the iDeas forum's ideas (its Atom feed)."""
    return list(
        IdeaStatusChange.objects.filter(idea__forum=forum)
        .select_related("idea", "changed_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def public_idea(forum: Forum, idea_id: int) -> Topic | None:
    """An idea of ``forum`` by id (merged ones too: they say where they went)."""
    return (
        Topic.objects.filter(forum=forum, pk=idea_id)
        .select_related("author", "merged_into")
        .first()
    )


# --- moderation ----------------------------------------------------------------------------


def moderated_forums(user) -> list[Forum]:
    return list(permissions.moderated_forums(user))


_TO_REVIEW = (Post.HiddenReason.FLAGS, Post.HiddenReason.HELD)


def moderation_queue(user) -> list[Post]:
    """Posts with open flags, hidden after flags, or awaiting moderation (the hold of new
    people's posts) in the forums ``user`` moderates."""
    forums = moderated_forums(user)
    return list(
        Post.objects.filter(topic__forum__in=forums)
        .filter(Q(flags__resolution="") | Q(hidden_reason__in=_TO_REVIEW))
        .annotate(open_flags=Count("flags", filter=Q(flags__resolution=""), distinct=True))
        .select_related("topic", "topic__forum", "author")
        .prefetch_related("flags")
        .distinct()
        .order_by("-open_flags", "-created_at")[:200]
    )


def posts_to_moderate(user) -> QuerySet[Post]:
    """What moderation_queue shows, as a query set for the to-do page: posts with open
    flags, hidden after flags, or awaiting moderation, in the forums ``user`` moderates;
    the oldest first."""
    open_flags = Flag.objects.filter(post=OuterRef("pk"), resolution=Flag.Resolution.OPEN)
    return (
        Post.objects.filter(topic__forum__in=permissions.moderated_forums(user))
        .filter(Q(Exists(open_flags)) | Q(hidden_reason__in=_TO_REVIEW))
        .select_related("topic", "topic__forum", "author")
        .order_by("created_at", "pk")
    )


# --- search --------------------------------------------------------------------------------

_START, _STOP = "\ue000", "\ue001"  # private-use characters: services strip them from posts
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


_INTRAWORD_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


def clean_query(q: str | None) -> str:
    """Hostile input is tamed here: control bytes go, whitespace folds, length is capped."""
    q = _CONTROL.sub(" ", q or "")
    q = q.replace(_START, " ").replace(_STOP, " ")
    return " ".join(q.split())[:QUERY_MAX]


# Tags that end a line of text become a space; the others (strong, a, code…) vanish.
_BLOCK_TAGS = (
    r"</?(?:p|div|br|hr|li|ul|ol|h[1-6]|pre|blockquote|table|thead|tbody|tr|td|th)\b[^>]*>"
)
_ANY_TAG = r"<[^>]*>"


def _plain_text_sql(field: str) -> Func:
    """The text of the sanitized HTML ``field``, as PostgreSQL sees it: tags out, entities
    kept (``plain_text`` and ``html.unescape`` undo them once the excerpt is cut)."""
    text = TextField()
    blocks = Func(
        F(field),
        Value(_BLOCK_TAGS),
        Value(" "),
        Value("g"),
        function="REGEXP_REPLACE",
        output_field=text,
    )
    return Func(
        blocks,
        Value(_ANY_TAG),
        Value(""),
        Value("g"),
        function="REGEXP_REPLACE",
        output_field=text,
    )


def plain_text(body_html: str) -> str:
    """A post's sanitized HTML as plain text: what a reader sees, without markup."""
    text = re.sub(_ANY_TAG, "", re.sub(_BLOCK_TAGS, " ", body_html))
    return " ".join(html.unescape(text).split())


def _highlight(text: str) -> SafeString:
    return mark_safe(  # noqa: S308 - escaped first, then our own markers become <mark>
        escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    )


def _excerpt(body: str, terms: list[str], width: int = 240) -> str:
    lower = body.lower()
    positions = [lower.find(t.lower()) for t in terms if t]
    positions = [p for p in positions if p >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    snippet = body[start : start + width]
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        snippet = re.sub(
            re.escape(term), lambda m: _START + m.group(0) + _STOP, snippet, flags=re.I
        )
    return ("…" if start else "") + snippet + ("…" if start + width < len(body) else "")


@dataclass
class SearchResults:
    results: list[Post]
    page: int
    has_next: bool


def search_posts(
    user,
    q: str,
    *,
    forum: Forum | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
) -> SearchResults:
    """Posts matching ``q`` in the forums ``user`` may see, best first, with excerpts."""
    q = clean_query(q)
    page = max(1, min(page, 50))
    if not q:
        return SearchResults([], page, False)
    posts = Post.objects.filter(is_hidden=False, topic__forum__in=permissions.visible_forums(user))
    if forum is not None:
        posts = posts.filter(topic__forum=forum)
    if since:
        posts = posts.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=UTC))
    if until and until < date.max:  # until the last day there is: the end stays open
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
        posts = posts.filter(created_at__lt=end)
    terms = q.split()[:10]
    if connection.vendor == "postgresql":
        # "read-public" would become a phrase query ('read-public' <-> 'read' <-> 'public')
        # that PostgreSQL checks row by row (~400 ms at 200,000 posts); as separate words
        # it is an index lookup, and the ranking still favours posts with the compound.
        query = SearchQuery(
            _INTRAWORD_HYPHEN.sub(" ", q), search_type="websearch", config=SEARCH_CONFIG
        )
        rank = SearchRank(F("search_vector"), query)
        # Rank only the most recent RANK_WINDOW matches: a word found in half the posts
        # would otherwise rank 100,000 rows per search. The inner query walks the
        # created_at index for frequent words and the GIN index for rare ones.
        window = posts.filter(search_vector=query).order_by("-created_at")[:RANK_WINDOW]
        # One result per topic: its best post (the newest of equally good ones).
        best = (
            Post.objects.filter(pk__in=window.values("pk"))
            .annotate(rank=rank)
            .order_by("topic_id", "-rank", "-created_at")
            .distinct("topic_id")
        )
        posts = (
            Post.objects.filter(pk__in=best.values("pk"))
            .annotate(
                rank=rank,
                # The excerpt is of the post as read (its sanitized HTML without tags, see
                # _plain_text_sql), never of its Markdown source.
                excerpt_raw=SearchHeadline(
                    _plain_text_sql("body_html"),
                    query,
                    config=SEARCH_CONFIG,
                    start_sel=_START,
                    stop_sel=_STOP,
                    max_words=40,
                    min_words=15,
                    max_fragments=2,
                ),
            )
            .order_by("-rank", "-created_at")
        )
        posts = posts.defer("body_html")
    else:
        # SQLite (make run): every word must appear in the post or its topic's title; one
        # result per topic, its newest matching post.
        for term in terms:
            posts = posts.filter(Q(body__icontains=term) | Q(topic__title__icontains=term))
        newest = posts.values("topic_id").annotate(newest=Max("pk")).values("newest")
        posts = Post.objects.filter(pk__in=newest).order_by("-created_at")
    offset = (page - 1) * RESULTS_PER_PAGE
    rows = list(
        posts.select_related("topic", "topic__forum", "author").defer("search_vector")[
            offset : offset + RESULTS_PER_PAGE + 1
        ]
    )
    for post in rows:
        raw = getattr(post, "excerpt_raw", None)
        if raw is not None:
            excerpt = html.unescape(raw)  # entities of the HTML the excerpt was cut from
        else:
            excerpt = _excerpt(plain_text(post.body_html), terms)
        post.excerpt = _highlight(excerpt)
        post.title_html = _highlight(_excerpt(post.topic.title, terms, width=200))
    return SearchResults(rows[:RESULTS_PER_PAGE], page, len(rows) > RESULTS_PER_PAGE)


# --- activity for contributors' pages (registered in ForumsConfig.ready) -----------------


def activity_counts(user_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per person: visible posts, topics started, accepted answers and ideas (3 queries)."""
    ids = list(user_ids)
    counts = {uid: {"posts": 0, "topics": 0, "accepted_answers": 0, "ideas": 0} for uid in ids}
    if not ids:
        return counts
    for row in (
        Post.objects.filter(author_id__in=ids, is_hidden=False)
        .values("author_id")
        .annotate(n=Count("pk"))
    ):
        counts[row["author_id"]]["posts"] = row["n"]
    for row in (
        Topic.objects.filter(author_id__in=ids)
        .values("author_id")
        .annotate(
            topics=Count("pk"),
            ideas=Count("pk", filter=Q(forum__kind=Forum.Kind.IDEAS)),
        )
    ):
        counts[row["author_id"]]["topics"] = row["topics"]
        counts[row["author_id"]]["ideas"] = row["ideas"]
    for row in (
        Topic.objects.filter(accepted_post__author_id__in=ids, accepted_post__is_hidden=False)
        .values("accepted_post__author_id")
        .annotate(n=Count("pk"))
    ):
        counts[row["accepted_post__author_id"]]["accepted_answers"] = row["n"]
    return counts


# --- mail in (the inbound gateway asks these) ----------------------------------------------


def reply_key_find(key: str, *, sender: str | None = None) -> ReplyKey | None:
    """The live reply key ``key`` with its person; None if unknown or revoked. (Posting
    reads the topic and its forum, locked: they are not joined here.) With
    ``sender``, the key tells whether that address is one of its person's verified ones
    (``sent_by_its_person``), in the same query."""
    if not key or len(key) > 32:
        return None
    keys = ReplyKey.objects.select_related("user")
    if sender is not None:
        keys = keys.annotate(
            sent_by_its_person=owns_verified_email_column(OuterRef("user_id"), sender)
        )
    # The key is unique: no ORDER BY for first().
    return next(iter(keys.filter(key=key.lower(), revoked_at__isnull=True)[:1]), None)


def forum_by_posting_address(local_part: str) -> Forum | None:
    """The forum whose posting address is ``<slug>@MAIL_LIST_ID_DOMAIN``."""
    return Forum.objects.filter(slug=local_part.lower()).first() if local_part else None


def topic_answered(message_ids: list[str]) -> Topic | None:
    """The topic of the nearest mail of ``message_ids`` (a reply's In-Reply-To, then its
    References from the last) that the forums know: the mail of one of our posts
    (``<post-<id>@MAIL_LIST_ID_DOMAIN>``) or a mail imported from the list's archive
    (``Post.message_id``); with its forum. Two queries."""
    nearest = message_ids[:20]
    if not nearest:
        return None
    ours = {mid: ids[0] for mid in nearest if (ids := post_ids_in(mid))}
    imported = [mid for mid in nearest if mid not in ours]
    found = Post.objects.filter(
        Q(pk__in=ours.values()) | (Q(message_id__in=imported) & ~Q(message_id=""))
    ).values_list("pk", "message_id", "topic_id")
    by_pk, by_message_id = {}, {}
    for pk, message_id, topic_id in found:
        by_pk[pk] = topic_id
        if message_id:
            by_message_id[message_id] = topic_id
    for mid in nearest:
        topic_id = by_pk.get(ours[mid]) if mid in ours else by_message_id.get(mid)
        if topic_id is not None:
            return Topic.objects.select_related("forum").filter(pk=topic_id).first()
    return None


def topic_by_pk(pk: int) -> Topic | None:
    return Topic.objects.select_related("forum").filter(pk=pk).first()


def forum_by_slug(slug: str) -> Forum | None:
    return Forum.objects.filter(slug=slug).first() if slug else None


def imported_topics(forum: Forum) -> tuple[dict[str, int], dict[int, str]]:
    """What an archive import of ``forum`` finds already there, in two queries: the topic
    of every imported Message-ID, and the title of every topic begun by an imported mail."""
    by_message = dict(
        Post.objects.filter(topic__forum=forum)
        .exclude(message_id="")
        .values_list("message_id", "topic_id")
    )
    titles = dict(
        Topic.objects.filter(
            forum=forum, posts__is_first=True, posts__message_id__gt=""
        ).values_list("pk", "title")
    )
    return by_message, titles


def imported_message_ids(message_ids: list[str]) -> set[str]:
    """Which of these Message-IDs were imported already (into any forum)."""
    return set(Post.objects.filter(message_id__in=message_ids).values_list("message_id", flat=True))


def person_export(user) -> dict:
    """A person's part of the forums for the export of their data: the topics they
    started, their posts with their earlier versions, their idea votes, the posts they
    flagged and what they watch. Only what they wrote or chose; never another's text."""
    posts = []
    for post in (
        Post.objects.filter(author=user)
        .select_related("topic__forum")
        .prefetch_related("revisions")
        .order_by("created_at", "pk")
    ):
        posts.append(
            {
                "id": post.pk,
                "topic": post.topic.title,
                "forum": post.topic.forum.name,
                "created_at": post.created_at.isoformat(),
                "edited_at": post.edited_at.isoformat() if post.edited_at else None,
                "hidden": post.is_hidden,
                "body": post.body,
                # Earlier versions of the person's own post (whoever edited it).
                "revisions": [
                    {"created_at": r.created_at.isoformat(), "body": r.body}
                    for r in post.revisions.all()
                ],
            }
        )
    topics = [
        {
            "title": t.title,
            "forum": t.forum.name,
            "created_at": t.created_at.isoformat(),
            "status": t.status,
        }
        for t in Topic.objects.filter(author=user).select_related("forum").order_by("pk")
    ]
    votes = [
        {"idea": v.idea.title, "voted_at": v.created_at.isoformat()}
        for v in Vote.objects.filter(user=user).select_related("idea").order_by("pk")
    ]
    flags = [
        {
            "post": f.post_id,
            "reason": f.reason,
            "note": f.note,
            "created_at": f.created_at.isoformat(),
            "resolution": f.resolution,
        }
        for f in Flag.objects.filter(user=user).order_by("pk")
    ]
    subscriptions = [
        {
            "forum": s.forum.name if s.forum_id else None,
            "topic": s.topic.title if s.topic_id else None,
            "mode": s.mode,
        }
        for s in Subscription.objects.filter(user=user).select_related("forum", "topic")
    ]
    return {
        "topics": topics,
        "posts": posts,
        "idea_votes": votes,
        "flags": flags,
        "subscriptions": subscriptions,
    }
