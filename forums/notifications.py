"""Mail of the forums for the people who watch them: a mail per new post (mode "each").

Digests (modes "daily" and "weekly") are in ``forums/digests.py``. Two lists: the ORCID
API Users list (its forum) and the forums and topics people watch; one click in any of
their mails unsubscribes from that list.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from core.i18n import read_when_shown
from forums import permissions
from forums.models import Forum, Post, ReplyKey, Subscription, Topic

LIST_API_USERS = "api-users"
LIST_WATCHED = "forum-watch"
LISTS = (LIST_API_USERS, LIST_WATCHED)


def list_for_forum(forum: Forum) -> str:
    return LIST_API_USERS if forum.kind == Forum.Kind.API_USERS else LIST_WATCHED


# --- reply addresses and threading --------------------------------------------------------
# A mail about a topic is answered to ``reply+<key>@MAIL_LIST_ID_DOMAIN``: the key, random
# and stored (ReplyKey), names the person and the topic; the inbound gateway (``inbound``)
# turns a reply to it into a post. Each post's mail is ``<post-<id>@MAIL_LIST_ID_DOMAIN>``,
# answering its topic's first post, so mail programs thread a topic as the forum does.

REPLY_PREFIX = "reply+"
KEY_BYTES = 15  # 120 random bits, 24 characters of base32


def new_reply_key() -> str:
    # Lower-case base32: no case for a mail server to fold, no "+" or "/" in a local part.
    return base64.b32encode(secrets.token_bytes(KEY_BYTES)).decode().lower()


def reply_address(key: str) -> str:
    return f"{REPLY_PREFIX}{key}@{settings.MAIL_LIST_ID_DOMAIN}"


def reply_keys_for(topic: Topic, user_ids) -> dict[int, str]:
    """The live reply key of each of these people for ``topic``, made for those without
    one: three queries at most whatever their number."""
    keys = reply_keys_for_pairs((topic.pk, user_id) for user_id in user_ids)
    return {user_id: key for (_topic_id, user_id), key in keys.items()}


def _live_reply_keys(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    topics, people = {t for t, _u in wanted}, {u for _t, u in wanted}
    return {
        (topic_id, user_id): key
        for topic_id, user_id, key in ReplyKey.objects.filter(
            topic_id__any=list(topics), user_id__any=list(people), revoked_at__isnull=True
        ).values_list("topic_id", "user_id", "key")
        if (topic_id, user_id) in wanted
    }


def reply_keys_for_pairs(pairs) -> dict[tuple[int, int], str]:
    """The live reply key of each (topic id, person id) pair, made for those without one:
    three queries at most whatever their number (a digest batch's one-topic digests)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    keys = _live_reply_keys(pairs)
    keys.update(reply_keys_make(pairs - set(keys)))
    return keys


def reply_keys_make(pairs) -> dict[tuple[int, int], str]:
    """Make the reply keys of (topic id, person id) pairs read without one: an insert and
    the read of what stands (a concurrent writer of the same person's key wins)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    ReplyKey.objects.bulk_create(
        [ReplyKey(key=new_reply_key(), topic_id=t, user_id=u) for t, u in pairs],
        ignore_conflicts=True,
    )
    return _live_reply_keys(pairs)


def post_message_id(post_id: int) -> str:
    return f"<post-{post_id}@{settings.MAIL_LIST_ID_DOMAIN}>"


_MESSAGE_ID = re.compile(r"<post-(\d{1,18})@([^>\s]+)>")


def post_ids_in(header: str) -> list[int]:
    """The ids of our posts named in a References or In-Reply-To header, in order."""
    domain = settings.MAIL_LIST_ID_DOMAIN.lower()
    return [int(pk) for pk, host in _MESSAGE_ID.findall(header or "") if host.lower() == domain]


def with_first_post(topics: QuerySet[Topic]) -> QuerySet[Topic]:
    """``topics`` with the id of their first post (``first_post_pk``), which the threading
    headers of their mail name: a column of the query that reads the topic anyway."""
    # Unordered: a topic has one first post, and Post's default order costs a sort.
    first = Post.objects.filter(topic_id=OuterRef("pk"), is_first=True).order_by().values("pk")[:1]
    return topics.annotate(first_post_pk=Subquery(first))


def topic_thread_headers(topic: Topic) -> dict[str, str]:
    """A notice about a topic (not a post of it) answers the topic's first post."""
    if "first_post_pk" in topic.__dict__:  # read with the topic (with_first_post)
        first = topic.first_post_pk
    else:
        first = (
            Post.objects.filter(topic_id=topic.pk, is_first=True)
            .values_list("pk", flat=True)
            .first()
        )
    if first is None:
        return {}
    return {"In-Reply-To": post_message_id(first), "References": post_message_id(first)}


def thread_headers(post: Post) -> dict[str, str]:
    """Message-ID of a post's mail, and for a reply the topic's first post it answers."""
    headers = {"Message-ID": post_message_id(post.pk)}
    if not post.is_first:
        headers.update(topic_thread_headers(post.topic))
    return headers


def effective_modes(subscriptions) -> dict[int, str]:
    """Per person, the mode that applies: a topic's subscription overrides its forum's."""
    modes: dict[int, str] = {}
    for user_id, topic_id, mode in subscriptions:
        if topic_id is not None:
            modes[user_id] = mode
        else:
            modes.setdefault(user_id, mode)
    return modes


def post_notify(*, post: Post, new: bool = False) -> int:
    """Write a mail of a new post for each person watching it in mode "each" (not its author).

    Called by the post-creating services inside their transaction: the deliveries commit
    with the post, and are sent after commit. ``new``: the post was made in this
    transaction, so nobody has its mail yet (one query fewer).
    """
    from mail.services import deliver

    topic = post.topic
    forum = topic.forum
    each = Subscription.Mode.EACH
    # With their people and their live reply keys for the topic, in one query: the forum's
    # subscriptions in mode "each" and every subscription to the topic (whose mode
    # overrides the forum's); never the forum's digest readers, who may be thousands.
    key = ReplyKey.objects.filter(topic_id=topic.pk, user_id=OuterRef("user_id"))
    subscriptions = list(
        Subscription.objects.filter(Q(topic=topic) | Q(forum=forum, mode=each))
        .select_related("user")
        .annotate(reply_key=Subquery(key.filter(revoked_at__isnull=True).values("key")[:1]))
    )
    watchers = {sub.user_id: sub.user for sub in subscriptions}
    modes = effective_modes((sub.user_id, sub.topic_id, sub.mode) for sub in subscriptions)
    people = sorted(
        (
            watchers[user_id]
            for user_id, mode in modes.items()
            if mode == each and user_id != post.author_id and watchers[user_id].is_active
        ),
        key=lambda person: person.pk,
    )
    if not people:
        return 0
    if forum.is_private:
        members = permissions.private_forum_readers([forum])[forum.pk]
        people = [p for p in people if p.pk in members]
    keys = {sub.user_id: sub.reply_key for sub in subscriptions if sub.reply_key}
    made = reply_keys_make((topic.pk, p.pk) for p in people if p.email and p.pk not in keys)
    keys.update({user_id: key for (_topic_id, user_id), key in made.items()})
    # Replies carry "Re:" so mail programs thread them under the topic's first mail.
    subject = _("[%(forum)s] %(title)s") if post.is_first else _("Re: [%(forum)s] %(title)s")
    return deliver(
        recipients=people,
        kind="forums.post",
        about=post,
        subject=subject,
        subject_params={"forum": read_when_shown(forum, "name"), "title": topic.title},
        template="forums/email/post",
        context={"post": post, "topic": topic, "forum": forum, "author": post.author},
        list_id=list_for_forum(forum),
        reply_to={pk: reply_address(key) for pk, key in keys.items()},
        headers=thread_headers(post),
        fresh=new,
    )


@dataclass
class Watched:
    """One forum or topic a person watches, as the mail settings page shows it."""

    kind: str  # "forum" or "topic"
    pk: int
    name: str
    url: str
    forum_name: str
    mode: str
    list_id: str
    left: bool = False  # the person unsubscribed from its list: nothing is mailed


@dataclass
class MailSettings:
    api_forum: Forum | None
    api_mode: str  # "" when not subscribed
    watched: list[Watched]
    lists: tuple[str, ...] = LISTS


def mail_settings_of(user) -> MailSettings:
    """The API users list subscription and every other watched forum and topic of ``user``.

    A fixed number of queries; what the person may no longer see is left out.
    """
    visible = set(permissions.visible_forums(user).values_list("pk", flat=True))
    api_forum = Forum.objects.filter(kind=Forum.Kind.API_USERS).first()
    api_mode = ""
    watched = []
    subscriptions = (
        Subscription.objects.filter(user=user)
        .select_related("forum", "topic__forum")
        .order_by("forum__position", "forum__name", "topic__title", "pk")
    )
    for sub in subscriptions:
        forum = sub.forum or sub.topic.forum
        if forum.pk not in visible:
            continue
        if sub.forum_id and api_forum is not None and sub.forum_id == api_forum.pk:
            api_mode = sub.mode
            continue
        target = sub.forum or sub.topic
        watched.append(
            Watched(
                kind="forum" if sub.forum_id else "topic",
                pk=target.pk,
                name=target.name if sub.forum_id else target.title,
                url=target.get_absolute_url(),
                forum_name=forum.name,
                mode=sub.mode,
                list_id=list_for_forum(forum),
            )
        )
    return MailSettings(api_forum=api_forum, api_mode=api_mode, watched=watched)
