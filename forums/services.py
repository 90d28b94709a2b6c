"""Every state change of the forums: atomic, keyword-only, and the one home of each rule."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.staff import has_staff_powers
from contributors.selectors import has_verified_contribution
from core.errors import InvalidInput, NotAllowed, RuleViolation, full_clean
from core.markdown import render_markdown
from forums import permissions
from forums.models import (
    RESERVED_SLUGS,
    Flag,
    Forum,
    IdeaStatus,
    IdeaStatusChange,
    ModerationAction,
    Post,
    PostRevision,
    ReplyKey,
    Subscription,
    Topic,
    TrustedPoster,
    Vote,
)
from forums.notifications import (
    list_for_forum,
    post_notify,
    reply_address,
    reply_keys_for,
    topic_thread_headers,
    with_first_post,
)
from mail.services import deliver, resubscribe

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MAX = 50_000
NEW_ACCOUNT_AGE = timedelta(days=1)
NEW_USER_POSTS_PER_HOUR = 5
FLAGS_TO_HIDE = 3
SEARCH_CONFIG = "english"


class RateLimited(RuleViolation):
    status_code = 429
    default_message = _("You are posting too fast. Please wait a little.")


# --- rules ---------------------------------------------------------------------------------


# NUL, and the private-use characters the search marks its matches with (selectors).
_UNWANTED = str.maketrans("", "", "\x00\ue000\ue001")


def _clean_title(title: str) -> str:
    title = " ".join((title or "").translate(_UNWANTED).split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise InvalidInput(
            _("A title has between %(min)d and %(max)d characters.")
            % {"min": TITLE_MIN, "max": TITLE_MAX}
        )
    return title


def _clean_body(body: str) -> str:
    body = (body or "").translate(_UNWANTED).strip()
    if not body:
        raise InvalidInput(_("Write a message."))
    if len(body) > BODY_MAX:
        raise InvalidInput(_("A message has at most %(max)d characters.") % {"max": BODY_MAX})
    return body


def is_new_user(user) -> bool:
    """No verified contribution and an account younger than a day (staff never are)."""
    # The account's age first: it costs no query, and most people posting are not new.
    if user.date_joined and timezone.now() - user.date_joined >= NEW_ACCOUNT_AGE:
        return False
    if has_staff_powers(user):
        return False
    return not has_verified_contribution(user)


def _check_rate_limit(user) -> None:
    if not is_new_user(user):
        return
    # Serialize this person's posting so two quick requests cannot both pass the count.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    since = timezone.now() - timedelta(hours=1)
    recent = Post.objects.filter(author=user, created_at__gte=since)
    if recent.count() >= NEW_USER_POSTS_PER_HOUR:
        oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
        minutes = max(
            1, int((oldest + timedelta(hours=1) - timezone.now()).total_seconds() // 60) + 1
        )
        raise RateLimited(
            _(
                "New accounts can post %(limit)d messages an hour. "
                "You can post again in %(minutes)d minutes."
            )
            % {"limit": NEW_USER_POSTS_PER_HOUR, "minutes": minutes}
        )


def _require_moderator(user, forum: Forum) -> None:
    if not permissions.can_moderate(user, forum):
        raise NotAllowed(_("Only moderators of this forum can do this."))


def _log(actor, action: str, *, topic=None, post=None, note: str = "") -> ModerationAction:
    return ModerationAction.objects.create(
        actor=actor, action=action, topic=topic, post=post, note=note
    )


def _search_vector(body, title: str = ""):
    vector = SearchVector(body, weight="B", config=SEARCH_CONFIG)
    if title:
        vector = SearchVector(Value(title), weight="A", config=SEARCH_CONFIG) + vector
    return vector


def post_index(post: Post, title: str = "") -> None:
    """PostgreSQL keeps a stored tsvector per post (the topic's title weighs more)."""
    if connection.vendor != "postgresql":
        return
    Post.objects.filter(pk=post.pk).update(search_vector=_search_vector("body", title))


def _indexed(body: str, title: str = "") -> dict:
    """The search vector of a new post, written by its INSERT (no second statement)."""
    if connection.vendor != "postgresql":
        return {}
    return {"search_vector": _search_vector(Value(body), title)}


def _new_post(**fields) -> Post:
    post = Post.objects.create(**fields)
    # The instance would keep the expression: leave the field unloaded, as pages do.
    post.__dict__.pop("search_vector", None)
    return post


def _count_shown_post(topic: Topic, post: Post, *, new_topic: bool = False) -> None:
    """A post just shown in ``topic`` (locked by the caller): its topic's and forum's
    counters move by one, as ``topic_refresh`` and ``forum_refresh`` would count them,
    without recounting the whole forum (whose posts may be tens of thousands)."""
    if not new_topic:
        topic.reply_count += 1
        topic.last_post_at = post.created_at
        topic.last_post_author_id, topic.last_post_author_name = post.author_id, post.author_name
        Topic.objects.filter(pk=topic.pk).update(
            reply_count=F("reply_count") + 1,
            last_post_at=post.created_at,
            last_post_author_id=post.author_id,
            last_post_author_name=post.author_name,
        )
    if topic.is_held or topic.merged_into_id:
        return  # the forum counts only shown topics
    at = Value(topic.last_post_at)
    Forum.objects.filter(pk=topic.forum_id).update(
        topic_count=F("topic_count") + (1 if new_topic else 0),
        post_count=F("post_count") + 1,
        last_post_at=Greatest(Coalesce("last_post_at", at), at),
    )


def topic_refresh(topic: Topic) -> None:
    """Recount a topic's replies and last post from its visible posts."""
    visible = Post.objects.filter(topic=topic, is_hidden=False)
    stats = visible.aggregate(n=Count("pk"), last=Max("created_at"))
    last = visible.order_by("-created_at", "-pk").values_list("author_id", "author_name").first()
    topic.reply_count = max(0, stats["n"] - 1)
    topic.last_post_at = stats["last"] or topic.created_at or timezone.now()
    topic.last_post_author_id, topic.last_post_author_name = last or (None, "")
    Topic.objects.filter(pk=topic.pk).update(
        reply_count=topic.reply_count,
        last_post_at=topic.last_post_at,
        last_post_author_id=topic.last_post_author_id,
        last_post_author_name=topic.last_post_author_name,
    )


def forum_refresh(forum: Forum) -> None:
    """Recount a forum's topics, posts and last post."""
    topics = Topic.objects.filter(forum=forum, merged_into__isnull=True, is_held=False)
    stats = topics.aggregate(
        n=Count("pk", distinct=True), replies=Count("posts", filter=Q(posts__is_hidden=False))
    )
    last = topics.aggregate(last=Max("last_post_at"))["last"]
    Forum.objects.filter(pk=forum.pk).update(
        topic_count=stats["n"], post_count=stats["replies"], last_post_at=last
    )


# --- forums --------------------------------------------------------------------------------


# A forum's words in the other languages (django-modeltranslation); ``name`` and
# ``description`` are English, the language every forum has.
FORUM_TRANSLATION_FIELDS = frozenset(
    f"{field}_{code.replace('-', '_')}"
    for field in ("name", "description")
    for code, _label in settings.LANGUAGES
    if code != settings.MODELTRANSLATION_DEFAULT_LANGUAGE
)


@transaction.atomic
def forum_create(
    *,
    slug: str,
    name: str,
    kind: str = Forum.Kind.GENERAL,
    description: str = "",
    is_private: bool = False,
    position: int = 0,
    group=None,
    translations: dict[str, str] | None = None,
) -> Forum:
    """Create a forum (the admin creates every forum, a group's too, through this);
    ``translations`` names the other languages' words (``{"name_ru": …}``)."""
    if slug in RESERVED_SLUGS:
        raise InvalidInput(_("This address is reserved; choose another slug."))
    unknown = set(translations or {}) - FORUM_TRANSLATION_FIELDS
    if unknown:
        raise InvalidInput(_("Unknown translated field: %(field)s.") % {"field": min(unknown)})
    forum = Forum(
        slug=slug,
        name_en=name,
        kind=kind,
        description_en=description,
        is_private=is_private,
        position=position,
        **{field: text for field, text in (translations or {}).items() if text},
    )
    if group is not None:
        forum.group = group
    full_clean(forum)
    forum.save()
    return forum


# --- topics and posts ----------------------------------------------------------------------


def _held(held: bool) -> dict:
    """The fields of a new post, held for a moderator or not."""
    if held:
        return {"is_hidden": True, "hidden_reason": Post.HiddenReason.HELD}
    return {}


@transaction.atomic
def topic_create(*, forum: Forum, by, title: str, body: str, from_address: str = "") -> Topic:
    """Start a topic (an idea in the iDeas forum); its author watches it. A new person's
    topic in the API Users list waits for a moderator (``from_address``: the sender of a
    topic that came by mail)."""
    if not permissions.can_post_in(by, forum):
        raise NotAllowed(_("You cannot post in this forum."))
    title, body = _clean_title(title), _clean_body(body)
    _check_rate_limit(by)
    held = permissions.post_is_held(by, forum, from_address=from_address)
    now = timezone.now()
    topic = Topic.objects.create(
        forum=forum,
        title=title,
        author=by,
        last_post_at=now,
        last_post_author=by,
        status=IdeaStatus.NEW if forum.is_ideas else "",
        is_held=held,
    )
    post = _new_post(
        topic=topic,
        author=by,
        body=body,
        body_html=render_markdown(body),
        is_first=True,
        from_address=from_address[:320],
        **_held(held),
        **_indexed(body, title),
    )
    # A topic made now has no watcher yet: its author is the first.
    Subscription.objects.create(user=by, topic=topic)
    if not held:
        _count_shown_post(topic, post, new_topic=True)
        post_notify(post=post, new=True)  # mail of its watchers in mode "each", with it
    return topic


@transaction.atomic
def post_create(*, topic: Topic, by, body: str, from_address: str = "") -> Post:
    """Reply to a topic. A new person's reply in the API Users list waits for a moderator
    (``from_address``: the sender of a reply that came by mail)."""
    return _reply(topic.pk, by=by, body=body, from_address=from_address)


# No savepoint of its own: the mail gateway's transaction (inbound.services) is rolled back
# whole when a rule refuses the reply, and the refusal written in a transaction of its own.
@transaction.atomic(savepoint=False)
def reply_by_mail(*, key: ReplyKey, body: str, from_address: str) -> Post:
    """A mail to a reply address: a reply of the key's person in the key's topic, by every
    rule of ``post_create`` (the topic is read here, locked: not with the key)."""
    return _reply(key.topic_id, by=key.user, body=body, from_address=from_address)


def _reply(topic_id: int, *, by, body: str, from_address: str) -> Post:
    # Lock the topic row: a lock or a move by a moderator cannot cross a reply.
    topic = with_first_post(
        Topic.objects.select_for_update(of=("self",)).select_related("forum")
    ).get(pk=topic_id)
    if not permissions.can_post_in(by, topic.forum):
        raise NotAllowed(_("You cannot post in this forum."))
    if topic.is_locked and not permissions.can_moderate(by, topic.forum):
        raise RuleViolation(_("This topic is locked: it takes no more replies."))
    if topic.merged_into_id:
        raise RuleViolation(_("This idea was merged into another one; reply there."))
    body = _clean_body(body)
    _check_rate_limit(by)
    held = permissions.post_is_held(by, topic.forum, from_address=from_address)
    post = _new_post(
        topic=topic,
        author=by,
        body=body,
        body_html=render_markdown(body),
        from_address=from_address[:320],
        **_held(held),
        **_indexed(body),
    )
    if not held:  # a held post counts nowhere until it is approved
        _count_shown_post(topic, post)
        post_notify(post=post, new=True)  # mail of its watchers in mode "each", with it
    return post


@transaction.atomic
def post_edit(*, post: Post, by, body: str) -> Post:
    """Edit a post; the previous version is kept and the post marked as edited."""
    post = (
        Post.objects.select_for_update(of=("self",)).select_related("topic__forum").get(pk=post.pk)
    )
    if not permissions.can_edit_post(by, post):
        raise NotAllowed(_("You cannot edit this post."))
    body = _clean_body(body)
    if body == post.body:
        return post
    PostRevision.objects.create(post=post, body=post.body, edited_by=by)
    post.body = body
    post.body_html = render_markdown(body)
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    post_index(post, post.topic.title if post.is_first else "")
    return post


@transaction.atomic
def answer_accept(*, post: Post, by) -> Topic:
    """Mark a reply as the accepted answer of its topic."""
    topic = (
        Topic.objects.select_for_update(of=("self",)).select_related("forum").get(pk=post.topic_id)
    )
    if not permissions.can_accept_answer(by, topic):
        raise NotAllowed(_("Only the topic's author or a moderator can accept an answer."))
    if post.is_first:
        raise RuleViolation(_("The question itself cannot be its answer; accept a reply."))
    if post.is_hidden:
        raise RuleViolation(_("A hidden post cannot be the accepted answer."))
    topic.accepted_post = post
    topic.save(update_fields=["accepted_post"])
    return topic


@transaction.atomic
def answer_unaccept(*, topic: Topic, by) -> Topic:
    """Remove the accepted answer of a topic."""
    if not permissions.can_accept_answer(by, topic):
        raise NotAllowed(_("Only the topic's author or a moderator can change the answer."))
    Topic.objects.filter(pk=topic.pk).update(accepted_post=None)
    topic.accepted_post = None
    return topic


# --- the list's archive --------------------------------------------------------------------
# ``import_mbox`` (inbound) brings the API Users list's history in through these two: the
# original dates and authors are kept, and nothing is news: no mail to watchers, no
# subscriptions, no rate limit (the authors are not posting now).


class AlreadyImported(RuleViolation):
    default_message = _("This message was imported already.")


def _require_importer(by, forum: Forum) -> None:
    # The portal itself (by=None: the command) or a moderator of the forum.
    if by is not None:
        _require_moderator(by, forum)


def _import_author(author, author_name: str) -> str:
    if author is not None:
        return ""
    return " ".join((author_name or "").translate(_UNWANTED).split())[:200]


def _claim_message_id(message_id: str) -> str:
    message_id = (message_id or "").strip()[:255]
    if not message_id:
        raise InvalidInput(_("An imported message needs its Message-ID."))
    if Post.objects.filter(message_id=message_id).exists():
        raise AlreadyImported()
    return message_id


def _imported_post(
    *,
    topic: Topic,
    author,
    author_name: str,
    body: str,
    message_id: str,
    created_at,
    is_first: bool,
) -> Post:
    post = Post.objects.create(
        topic=topic,
        author=author,
        author_name=author_name,
        message_id=message_id,
        body=body,
        body_html=render_markdown(body),
        is_first=is_first,
    )
    # created_at is auto_now_add: the mail's date is written after the insert.
    Post.objects.filter(pk=post.pk).update(created_at=created_at)
    post.created_at = created_at
    return post


@transaction.atomic
def topic_import(
    *,
    forum: Forum,
    by,
    title: str,
    body: str,
    created_at,
    message_id: str,
    author=None,
    author_name: str = "",
) -> Topic:
    """Start a topic from a mail of the list's archive, dated as the mail; by a person
    (``author``) or, without an account, by the name the mail gave (``author_name``)."""
    _require_importer(by, forum)
    if forum.is_ideas:
        raise RuleViolation(_("A mail archive cannot be imported into the iDeas forum."))
    title, body = _clean_title(title), _clean_body(body)
    message_id = _claim_message_id(message_id)
    author_name = _import_author(author, author_name)
    topic = Topic.objects.create(
        forum=forum,
        title=title,
        author=author,
        author_name=author_name,
        last_post_at=created_at,
        last_post_author=author,
        last_post_author_name=author_name,
    )
    Topic.objects.filter(pk=topic.pk).update(created_at=created_at)
    topic.created_at = created_at
    post = _imported_post(
        topic=topic,
        author=author,
        author_name=author_name,
        body=body,
        message_id=message_id,
        created_at=created_at,
        is_first=True,
    )
    post_index(post, title)
    topic_refresh(topic)
    forum_refresh(forum)
    return topic


@transaction.atomic
def post_import(
    *,
    topic: Topic,
    by,
    body: str,
    created_at,
    message_id: str,
    author=None,
    author_name: str = "",
) -> Post:
    """Add a reply from a mail of the list's archive to ``topic``, dated as the mail (a
    locked topic takes it: this is history, not a new reply)."""
    topic = Topic.objects.select_for_update(of=("self",)).select_related("forum").get(pk=topic.pk)
    _require_importer(by, topic.forum)
    body = _clean_body(body)
    message_id = _claim_message_id(message_id)
    post = _imported_post(
        topic=topic,
        author=author,
        author_name=_import_author(author, author_name),
        body=body,
        message_id=message_id,
        created_at=created_at,
        is_first=False,
    )
    post_index(post)
    topic_refresh(topic)
    forum_refresh(topic.forum)
    return post


# --- moderation ----------------------------------------------------------------------------


@transaction.atomic
def post_hide(*, post: Post, by, note: str = "") -> Post:
    """Hide a post (a moderator's decision: open flags on it are upheld)."""
    post = (
        Post.objects.select_for_update(of=("self",)).select_related("topic__forum").get(pk=post.pk)
    )
    _require_moderator(by, post.topic.forum)
    _refuse_held(post)
    _hide(post, Post.HiddenReason.MODERATOR)
    _resolve_flags(post, by, Flag.Resolution.UPHELD)
    _log(by, "hide", topic=post.topic, post=post, note=note)
    return post


def _hide(post: Post, reason: str) -> None:
    """Hide a locked post, whoever decided it (a moderator or three flags): a hidden post is
    no longer its topic's accepted answer, and the counts follow."""
    post.is_hidden, post.hidden_reason = True, reason
    post.save(update_fields=["is_hidden", "hidden_reason"])
    if post.topic.accepted_post_id == post.pk:
        Topic.objects.filter(pk=post.topic_id).update(accepted_post=None)
        post.topic.accepted_post = None
    topic_refresh(post.topic)
    forum_refresh(post.topic.forum)


@transaction.atomic
def post_restore(*, post: Post, by, note: str = "") -> Post:
    """Show a hidden post again (open flags on it are dismissed)."""
    post = (
        Post.objects.select_for_update(of=("self",)).select_related("topic__forum").get(pk=post.pk)
    )
    _require_moderator(by, post.topic.forum)
    _refuse_held(post)
    post.is_hidden, post.hidden_reason = False, Post.HiddenReason.NOT_HIDDEN
    post.save(update_fields=["is_hidden", "hidden_reason"])
    _resolve_flags(post, by, Flag.Resolution.DISMISSED)
    topic_refresh(post.topic)
    forum_refresh(post.topic.forum)
    _log(by, "restore", topic=post.topic, post=post, note=note)
    return post


def _refuse_held(post: Post) -> None:
    # A held post is approved (and mailed) or rejected (and its author told), never merely
    # shown or hidden.
    if post.hidden_reason == Post.HiddenReason.HELD:
        raise RuleViolation(_("This post awaits moderation: approve or reject it."))


def _lock_held(post: Post, by) -> Post:
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("topic__forum", "author")
        .get(pk=post.pk)
    )
    _require_moderator(by, post.topic.forum)
    if post.hidden_reason != Post.HiddenReason.HELD:
        raise RuleViolation(_("This post does not await moderation."))
    return post


@transaction.atomic
def post_approve(*, post: Post, by, trust: bool = False) -> Post:
    """Approve a held post: it is shown and mailed to the watchers, once. With ``trust``,
    its author's later posts are never held (one action: "approve and trust")."""
    post = _lock_held(post, by)
    topic = post.topic
    if not post.is_first and topic.is_held:
        raise RuleViolation(_("Approve the topic's first post first."))
    post.is_hidden, post.hidden_reason = False, Post.HiddenReason.NOT_HIDDEN
    # Published now, as a list distributes a held message when it is approved: it takes
    # its place after what others posted meanwhile, and the digests find it in their next
    # period (they take the posts created in it).
    post.created_at = timezone.now()
    post.save(update_fields=["is_hidden", "hidden_reason", "created_at"])
    if post.is_first and topic.is_held:
        topic.is_held = False
        Topic.objects.filter(pk=topic.pk).update(is_held=False)
    topic_refresh(topic)
    forum_refresh(topic.forum)
    _log(by, "approve", topic=topic, post=post)
    if trust and post.author is not None:
        TrustedPoster.objects.get_or_create(user=post.author, defaults={"trusted_by": by})
        _log(by, "trust", topic=topic, post=post)
    post_notify(post=post)  # the mail the hold kept back, sent after commit
    return post


@transaction.atomic
def trusted_poster_remove(*, by, user) -> bool:
    """Stop trusting a person: their later posts in the API Users list are held again
    when the hold's rules say so. Logged; True if they were trusted."""
    if by is not None and not permissions.can_manage_trusted_posters(by):
        raise NotAllowed(_("Only the moderators of every forum can stop trusting someone."))
    removed, _rows = TrustedPoster.objects.filter(user_id=user.pk).delete()
    if removed:
        _log(by, "untrust", note=f"user {user.pk}")
    return bool(removed)


REJECT_REASON_MAX = 2000


@transaction.atomic
def post_reject(*, post: Post, by, reason: str) -> Post:
    """Reject a held post: it stays hidden and its author is mailed the moderator's reason."""
    post = _lock_held(post, by)
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise InvalidInput(_("Tell the author why their message is rejected."))
    if len(reason) > REJECT_REASON_MAX:
        raise InvalidInput(
            _("A reason has at most %(max)d characters.") % {"max": REJECT_REASON_MAX}
        )
    post.hidden_reason = Post.HiddenReason.MODERATOR
    post.save(update_fields=["hidden_reason"])
    action = _log(by, "reject", topic=post.topic, post=post, note=reason)
    if post.author is not None:
        deliver(
            recipients=[post.author],
            kind="forums.post_rejected",
            about=post,
            period=str(action.pk),
            subject=_("Your message “%(title)s” was not published"),
            subject_params={"title": post.topic.title},
            template="forums/email/post_rejected",
            context={"post": post, "topic": post.topic, "reason": reason},
            list_id="forums",
        )
    return post


def _resolve_flags(post: Post, moderator, resolution: str) -> None:
    Flag.objects.filter(post=post, resolution="").update(
        resolution=resolution, resolved_at=timezone.now(), resolved_by=moderator
    )


@transaction.atomic
def topic_lock(*, topic: Topic, by, locked: bool) -> Topic:
    """Lock a topic (no more replies) or unlock it."""
    _require_moderator(by, topic.forum)
    Topic.objects.filter(pk=topic.pk).update(is_locked=locked)
    topic.is_locked = locked
    _log(by, "lock" if locked else "unlock", topic=topic)
    return topic


@transaction.atomic
def topic_pin(*, topic: Topic, by, pinned: bool) -> Topic:
    """Pin a topic to the top of its forum, or unpin it."""
    _require_moderator(by, topic.forum)
    Topic.objects.filter(pk=topic.pk).update(is_pinned=pinned)
    topic.is_pinned = pinned
    _log(by, "pin" if pinned else "unpin", topic=topic)
    return topic


@transaction.atomic
def topic_move(*, topic: Topic, by, forum: Forum) -> Topic:
    """Move a topic to another forum the moderator also moderates."""
    topic = Topic.objects.select_for_update(of=("self",)).select_related("forum").get(pk=topic.pk)
    source = topic.forum
    _require_moderator(by, source)
    _require_moderator(by, forum)
    if forum.pk == source.pk:
        raise RuleViolation(_("The topic is already in this forum."))
    if forum.is_ideas or source.is_ideas:
        raise RuleViolation(_("Ideas stay in the iDeas forum; topics cannot move in or out."))
    topic.forum = forum
    topic.save(update_fields=["forum"])
    forum_refresh(source)
    forum_refresh(forum)
    _log(by, "move", topic=topic, note=f"{source.slug} → {forum.slug}")
    return topic


@transaction.atomic
def post_flag(*, post: Post, by, reason: str, note: str = "") -> Flag:
    """Flag a post; three different people flagging it hide it until a moderator decides."""
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("topic__forum", "author")
        .get(pk=post.pk)
    )
    if not by.is_authenticated or not permissions.can_see_forum(by, post.topic.forum):
        raise NotAllowed(_("Sign in to flag a post."))
    if post.author_id == by.pk:
        raise RuleViolation(_("You cannot flag your own post."))
    if post.is_hidden:
        raise RuleViolation(_("This post is already hidden."))
    if reason not in Flag.Reason.values:
        raise InvalidInput(_("Choose a reason for the flag."))
    note = (note or "").replace("\x00", "").strip()[:500]
    if reason == Flag.Reason.OTHER and not note:
        raise InvalidInput(_("Tell the moderators what is wrong with this post."))
    try:
        with transaction.atomic():
            flag = Flag.objects.create(post=post, user=by, reason=reason, note=note)
    except IntegrityError:
        raise RuleViolation(_("You have already flagged this post.")) from None
    flaggers = Flag.objects.filter(post=post, resolution="").values("user").distinct().count()
    if flaggers >= FLAGS_TO_HIDE:
        _hide(post, Post.HiddenReason.FLAGS)
        action = _log(None, "hide_after_flags", topic=post.topic, post=post)
        _tell_author_hidden(post, action)
    return flag


def _tell_author_hidden(post: Post, action: ModerationAction) -> None:
    """Mail the author of a post the flags hid: once per hiding, however often asked."""
    if post.author is None:
        return
    deliver(
        recipients=[post.author],
        kind="forums.post_hidden",
        about=post,
        # One notice per hiding: a post hidden, restored and hidden again is told twice.
        period=str(action.pk),
        subject=_("Your post in “%(title)s” was hidden"),
        subject_params={"title": post.topic.title},
        template="forums/email/post_hidden",
        context={"post": post, "topic": post.topic, "flags": FLAGS_TO_HIDE},
        list_id="forums",
    )


# --- ideas ---------------------------------------------------------------------------------


def _require_idea(topic: Topic) -> None:
    if not topic.forum.is_ideas:
        raise InvalidInput(_("Only ideas take votes."))


def _recount_votes(idea: Topic) -> None:
    idea.vote_count = Vote.objects.filter(idea=idea).count()
    Topic.objects.filter(pk=idea.pk).update(vote_count=idea.vote_count)


@transaction.atomic
def idea_vote(*, idea: Topic, by) -> Topic:
    """Vote for an idea (once; a second vote changes nothing)."""
    idea = Topic.objects.select_for_update(of=("self",)).select_related("forum").get(pk=idea.pk)
    _require_idea(idea)
    if not permissions.can_post_in(by, idea.forum):
        raise NotAllowed(_("Sign in to vote."))
    if idea.merged_into_id:
        raise RuleViolation(_("This idea was merged into another one; vote there."))
    Vote.objects.get_or_create(idea=idea, user=by)
    _recount_votes(idea)
    return idea


@transaction.atomic
def idea_unvote(*, idea: Topic, by) -> Topic:
    """Withdraw one's vote for an idea."""
    idea = Topic.objects.select_for_update(of=("self",)).select_related("forum").get(pk=idea.pk)
    _require_idea(idea)
    if not by.is_authenticated or not permissions.can_see_forum(by, idea.forum):
        raise NotAllowed(_("Sign in to vote."))
    Vote.objects.filter(idea=idea, user=by).delete()
    _recount_votes(idea)
    return idea


@transaction.atomic
def idea_status_set(*, idea: Topic, by, status: str, note: str) -> IdeaStatusChange:
    """Set an idea's status with a note, shown on the idea and mailed to its voters."""
    idea = Topic.objects.select_for_update(of=("self",)).select_related("forum").get(pk=idea.pk)
    _require_idea(idea)
    if not permissions.can_set_idea_status(by):
        raise NotAllowed(_("Only staff and the steering group set the status of ideas."))
    if status not in IdeaStatus.values:
        raise InvalidInput(_("Choose one of the statuses."))
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise InvalidInput(_("Explain the status in a note: voters receive it."))
    if len(note) > 5000:
        raise InvalidInput(_("A note has at most 5000 characters."))
    change = IdeaStatusChange.objects.create(
        idea=idea, old_status=idea.status, new_status=status, note=note, changed_by=by
    )
    idea.status, idea.status_note = status, note
    idea.save(update_fields=["status", "status_note"])
    voters = list(
        get_user_model().objects.filter(pk__in=Vote.objects.filter(idea=idea).values("user"))
    )
    keys = reply_keys_for(idea, [voter.pk for voter in voters if voter.email])
    deliver(
        recipients=voters,
        kind="forums.idea_status",
        about=idea,
        period=str(change.pk),
        subject=_("The idea “%(title)s” is now %(status)s"),
        subject_params={"title": idea.title, "status": IdeaStatus(status).label},
        template="forums/email/idea_status",
        context={"idea": idea, "change": change, "status": IdeaStatus(status).label},
        list_id="ideas",
        # A voter answers the status in the idea's thread, by mail as on the page.
        reply_to={pk: reply_address(key) for pk, key in keys.items()},
        headers=topic_thread_headers(idea),
    )
    return change


@transaction.atomic
def idea_merge(*, duplicate: Topic, target: Topic, by) -> Topic:
    """Merge a duplicate idea into another: votes move over, nobody is counted twice."""
    ids = sorted([duplicate.pk, target.pk])
    locked = {
        t.pk: t
        for t in Topic.objects.select_for_update(of=("self",))
        .select_related("forum")
        .filter(pk__in=ids)
    }
    duplicate, target = locked[duplicate.pk], locked[target.pk]
    _require_idea(duplicate)
    _require_idea(target)
    if not permissions.can_set_idea_status(by):
        raise NotAllowed(_("Only staff and the steering group merge ideas."))
    if duplicate.pk == target.pk:
        raise RuleViolation(_("An idea cannot be merged into itself."))
    if duplicate.merged_into_id:
        raise RuleViolation(_("This idea was already merged."))
    if target.merged_into_id:
        raise RuleViolation(_("The target idea was itself merged; merge into its target."))
    already = Vote.objects.filter(idea=target).values("user")
    Vote.objects.filter(idea=duplicate).exclude(user__in=already).update(idea=target)
    Vote.objects.filter(idea=duplicate).delete()
    _recount_votes(target)
    _recount_votes(duplicate)
    # Watchers of the duplicate now watch the target too.
    watching = Subscription.objects.filter(topic=target).values("user")
    for sub in Subscription.objects.filter(topic=duplicate).exclude(user__in=watching):
        Subscription.objects.create(user_id=sub.user_id, topic=target, mode=sub.mode)
    duplicate.merged_into, duplicate.is_locked = target, True
    duplicate.save(update_fields=["merged_into", "is_locked"])
    forum_refresh(duplicate.forum)
    _log(by, "merge", topic=duplicate, note=f"→ {target.pk}")
    return target


# --- subscriptions -------------------------------------------------------------------------


@transaction.atomic
def subscription_set(*, by, mode: str, forum: Forum | None = None, topic: Topic | None = None):
    """Watch a forum or a topic with a delivery mode; ``mode=None`` stops watching."""
    if (forum is None) == (topic is None):
        raise InvalidInput(_("Watch either a forum or a topic."))
    where = permissions.visible_forums(by).filter(pk=(forum or topic.forum).pk)
    if not by.is_authenticated or not where.exists():
        raise NotAllowed(_("Sign in to watch."))
    lookup = {"forum": forum} if forum is not None else {"topic": topic}
    if mode in ("", None, "off"):
        Subscription.objects.filter(user=by, **lookup).delete()
        return None
    if mode not in Subscription.Mode.values:
        raise InvalidInput(_("Choose how you want to receive mail."))
    subscription, _created = Subscription.objects.update_or_create(
        user=by, **lookup, defaults={"mode": mode}
    )
    if mode != Subscription.Mode.NONE:
        # Asking for mail again undoes a one-click unsubscription of the list.
        resubscribe(user_id=by.pk, list_id=list_for_forum(forum or topic.forum))
    return subscription


# --- reply addresses -----------------------------------------------------------------------


@transaction.atomic
def reply_keys_revoke(*, by, user, topic: Topic | None = None) -> int:
    """Revoke a person's reply addresses (of one topic, or all): mail to them is refused.

    The person themselves, staff who moderate every forum, or the portal (``by=None``).
    """
    if by is not None and by.pk != user.pk and not permissions.moderates_every_forum(by):
        raise NotAllowed(_("Only the person or a moderator can revoke reply addresses."))
    keys = ReplyKey.objects.filter(user=user, revoked_at__isnull=True)
    if topic is not None:
        keys = keys.filter(topic=topic)
    return keys.update(revoked_at=timezone.now())


@transaction.atomic
def person_erase(user) -> None:
    """A person's account is deleted: their idea votes, flags and watches go; their posts
    and topics stay, shown by "a former member" (the account is emptied, not removed)."""
    idea_ids = list(Vote.objects.filter(user=user).values_list("idea_id", flat=True))
    Vote.objects.filter(user=user).delete()
    for idea in Topic.objects.filter(pk__in=idea_ids):
        _recount_votes(idea)
    Flag.objects.filter(user=user).delete()
    Subscription.objects.filter(user=user).delete()
    ReplyKey.objects.filter(user=user).delete()  # their reply-by-mail addresses
