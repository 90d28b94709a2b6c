"""Mail of the forums for the people who watch them: a mail per new post (mode "each").

Digests (modes "daily" and "weekly") are in ``forums/digests.py``. Two lists: the ORCID
API Users list (its forum) and the forums and topics people watch; one click in any of
their mails unsubscribes from that list.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from forums import permissions
from forums.models import Forum, Post, Subscription

LIST_API_USERS = "api-users"
LIST_WATCHED = "forum-watch"
LISTS = (LIST_API_USERS, LIST_WATCHED)


def list_for_forum(forum: Forum) -> str:
    return LIST_API_USERS if forum.kind == Forum.Kind.API_USERS else LIST_WATCHED


def reply_address(topic_id: int) -> str:
    """Reply-To of a topic's mail.

    No inbound-mail gateway exists yet: this address is the hook for one (route
    ``topic-<id>@MAIL_LIST_ID_DOMAIN`` to a reply on the topic). The mail's first line
    links to the topic, where people reply today.
    """
    return f"topic-{topic_id}@{settings.MAIL_LIST_ID_DOMAIN}"


def effective_modes(subscriptions) -> dict[int, str]:
    """Per person, the mode that applies: a topic's subscription overrides its forum's."""
    modes: dict[int, str] = {}
    for user_id, topic_id, mode in subscriptions:
        if topic_id is not None:
            modes[user_id] = mode
        else:
            modes.setdefault(user_id, mode)
    return modes


def post_notify(*, post: Post) -> int:
    """Write a mail of a new post for each person watching it in mode "each" (not its author).

    Called by the post-creating services inside their transaction: the deliveries commit
    with the post, and are sent after commit.
    """
    from mail.services import deliver

    topic = post.topic
    forum = topic.forum
    rows = Subscription.objects.filter(Q(topic=topic) | Q(forum=forum)).values_list(
        "user_id", "topic_id", "mode"
    )
    wanted = [
        user_id
        for user_id, mode in effective_modes(rows).items()
        if mode == Subscription.Mode.EACH and user_id != post.author_id
    ]
    if not wanted:
        return 0
    people = list(get_user_model().objects.filter(pk__in=wanted, is_active=True))
    if forum.is_private:
        members = permissions.private_forum_readers([forum])[forum.pk]
        people = [p for p in people if p.pk in members]
    # Replies carry "Re:" so mail programs thread them under the topic's first mail.
    subject = _("[%(forum)s] %(title)s") if post.is_first else _("Re: [%(forum)s] %(title)s")
    return deliver(
        recipients=people,
        kind="forums.post",
        about=post,
        subject=subject,
        subject_params={"forum": forum.name, "title": topic.title},
        template="forums/email/post",
        context={"post": post, "topic": topic, "forum": forum, "author": post.author},
        list_id=list_for_forum(forum),
        reply_to=reply_address(topic.pk),
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
