"""Every access decision of the forums, in one place.

Group membership and chairs are the contributors app's business: we ask its selectors
(``current_group_roles``) and never decide who is in a group ourselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.selectors import people_with_permission
from accounts.staff import has_staff_powers, holds
from contributors.permissions import can_review_nominations
from contributors.selectors import (
    current_group_roles,
    current_member_ids,
    has_verified_contribution,
)
from core.cache import local_version
from forums.models import Forum, Post, Topic, TrustedPoster


def _group_of(forum: Forum):
    if not getattr(forum, "group_id", None):
        return None
    return forum.group


@dataclass(frozen=True)
class ViewerGroups:
    """The groups a person holds a current term in, and those of them they chair."""

    member: frozenset[int] = frozenset()
    chair: frozenset[int] = frozenset()


_NOBODY = ViewerGroups()
_MEMO = "_forums_viewer_groups"


def _current_terms(user) -> ViewerGroups:
    member, chair = set(), set()
    for group_id, role in current_group_roles(user):
        member.add(group_id)
        if role == "chair":
            chair.add(group_id)
    return ViewerGroups(frozenset(member), frozenset(chair))


def viewer_groups(user) -> ViewerGroups:
    """The group ids ``user`` is a member and a chair of: one query per user object.

    Every permission check of a page asks this, once per forum: the answer is kept on the
    user object (a new one each request) for as long as the day stays the same and this
    process changes no contributors data (core.cache.local_version: no round trip). A
    term that ends changes the day; a membership added, edited or removed in this request
    changes the version: neither is ever stale.
    """
    if not getattr(user, "is_authenticated", False):
        return _NOBODY
    stamp = (timezone.localdate(), local_version("contributors"))
    known = user.__dict__.get(_MEMO)
    if known is not None and known[0] == stamp:
        return known[1]
    groups = _current_terms(user)
    user.__dict__[_MEMO] = (stamp, groups)
    return groups


def is_group_member(user, forum: Forum) -> bool:
    group_id = getattr(forum, "group_id", None)
    return bool(group_id and group_id in viewer_groups(user).member)


def is_group_chair(user, forum: Forum) -> bool:
    group_id = getattr(forum, "group_id", None)
    return bool(group_id and group_id in viewer_groups(user).chair)


# The staff powers of the forums (accounts.staff), one rule each, used by the pages, the
# services, the mail and the digests alike.
MODERATE_FORUMS = "forums.moderate_forums"
READ_PRIVATE_FORUMS = "forums.read_private_forums"
SET_IDEA_STATUS = "forums.set_idea_status"


def reads_every_forum(user) -> bool:
    """Staff who read every private forum."""
    return holds(user, READ_PRIVATE_FORUMS)


def moderates_every_forum(user) -> bool:
    """Staff who moderate every forum."""
    return holds(user, MODERATE_FORUMS)


def can_see_forum(user, forum: Forum) -> bool:
    """Public forums for everyone; a private one for its group's members and the holders
    of forums.read_private_forums."""
    if not forum.is_private:
        return True
    if not user.is_authenticated:
        return False
    return is_group_member(user, forum) or reads_every_forum(user)


def can_moderate(user, forum: Forum) -> bool:
    """The chair of the group the forum belongs to, and holders of forums.moderate_forums
    (in the forums they may see)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_group_chair(user, forum):
        return True
    return moderates_every_forum(user) and can_see_forum(user, forum)


def can_post_in(user, forum: Forum) -> bool:
    return bool(user.is_authenticated and user.is_active and can_see_forum(user, forum))


# --- moderation hold: one helper per rule ---------------------------------------------------
# In the API Users list the posts of people the list does not know yet wait for a
# moderator (forums.services.post_approve); from the web and by mail alike.


def forum_holds_new_posts(forum: Forum) -> bool:
    """The forums with a moderation hold: the ORCID API Users list."""
    return forum.kind == Forum.Kind.API_USERS


def is_trusted_poster(user, forum: Forum) -> bool:
    """Staff, the forum's moderators and the people a moderator trusted are never held."""
    if has_staff_powers(user) or can_moderate(user, forum):
        return True
    return TrustedPoster.objects.filter(user_id=user.pk).exists()


def can_manage_trusted_posters(user) -> bool:
    """Who sees the people a moderator trusted (by whom, when) and stops trusting them: the
    holders of forums.moderate_forums, who trust people with "approve and trust"."""
    return bool(getattr(user, "is_active", False) and moderates_every_forum(user))


def is_new_poster(user) -> bool:
    """No verified contribution and an account younger than FORUMS_HOLD_NEW_ACCOUNT_DAYS."""
    age = timedelta(days=settings.FORUMS_HOLD_NEW_ACCOUNT_DAYS)
    if user.date_joined and timezone.now() - user.date_joined >= age:
        return False
    return not has_verified_contribution(user)


def is_first_mail_from(user, forum: Forum, address: str) -> bool:
    """A mail from an address none of ``user``'s shown posts in ``forum`` came from (asked
    only with FORUMS_HOLD_FIRST_MAIL)."""
    if not address or not settings.FORUMS_HOLD_FIRST_MAIL:
        return False
    return not Post.objects.filter(
        author_id=user.pk,
        topic__forum=forum,
        from_address__iexact=address,
        is_hidden=False,
    ).exists()


def post_is_held(user, forum: Forum, *, from_address: str = "") -> bool:
    """Whether a post of ``user`` in ``forum`` waits for a moderator before anyone else sees
    it or it is mailed (``from_address``: the sender of a post that came by mail)."""
    if not forum_holds_new_posts(forum):
        return False
    # The cheap questions first: an established person asks no more of the database.
    if not (is_new_poster(user) or is_first_mail_from(user, forum, from_address)):
        return False
    return not is_trusted_poster(user, forum)


def can_see_held_topic(user, topic: Topic) -> bool:
    """A topic awaiting moderation: its author and the forum's moderators."""
    if not topic.is_held:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return topic.author_id == user.pk or can_moderate(user, topic.forum)


def can_set_idea_status(user) -> bool:
    """Holders of forums.set_idea_status and steering-group members (asked of the
    contributors app)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if holds(user, SET_IDEA_STATUS):
        return True
    return bool(can_review_nominations(user))


# Authors keep no rights in a forum they can no longer see (a former member of a private
# group): every check on a post or topic asks can_see_forum first, whatever the caller did.


def edits_post(user, post: Post, *, topic: Topic, moderates: bool) -> bool:
    """The edit rule, for a forum the person sees: moderators edit every post; its author
    edits it while it is shown and its topic is open. ``moderates``: can_moderate's answer,
    which a page asks once for all its posts."""
    if not user.is_authenticated:
        return False
    return moderates or (post.author_id == user.pk and not post.is_hidden and not topic.is_locked)


def can_edit_post(user, post: Post) -> bool:
    if not user.is_authenticated or not can_see_forum(user, post.topic.forum):
        return False
    return edits_post(user, post, topic=post.topic, moderates=can_moderate(user, post.topic.forum))


def can_accept_answer(user, topic: Topic) -> bool:
    if not user.is_authenticated or not can_see_forum(user, topic.forum):
        return False
    return topic.author_id == user.pk or can_moderate(user, topic.forum)


def can_see_hidden_post(user, post: Post) -> bool:
    return bool(
        user.is_authenticated
        and can_see_forum(user, post.topic.forum)
        and (post.author_id == user.pk or can_moderate(user, post.topic.forum))
    )


def can_moderate_any(user, forums) -> bool:
    """Whether ``user`` moderates one of ``forums`` (looked at only for staff and chairs)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return any(can_moderate(user, forum) for forum in forums)


def visible_forums(user) -> QuerySet[Forum]:
    """The forums ``user`` may see: public ones, and private ones of their groups (all of
    them for holders of forums.read_private_forums)."""
    forums = Forum.objects.all()
    if reads_every_forum(user):
        return forums
    return forums.filter(Q(is_private=False) | Q(group_id__in=viewer_groups(user).member))


def moderated_forums(user) -> QuerySet[Forum]:
    """The forums ``user`` moderates: their groups' for chairs; every forum they may see
    for holders of forums.moderate_forums."""
    if not user.is_authenticated or not user.is_active:
        return Forum.objects.none()
    if moderates_every_forum(user):
        return visible_forums(user)  # chairs are members: their forums are among these
    return Forum.objects.filter(group_id__in=viewer_groups(user).chair)


def get_forum_for_user(user, slug: str) -> Forum:
    forum = Forum.objects.filter(slug=slug).first()
    if forum is None or not can_see_forum(user, forum):
        raise Http404("No such forum.")
    return forum


def get_topic_for_user(user, topic_id: int) -> Topic:
    topic = (
        Topic.objects.select_related("forum", "author", "merged_into").filter(pk=topic_id).first()
    )
    if topic is None or not can_see_forum(user, topic.forum):
        raise Http404("No such topic.")
    if not can_see_held_topic(user, topic):
        raise Http404("No such topic.")
    return topic


def get_post_for_user(user, post_id: int) -> Post:
    post = Post.objects.select_related("topic", "topic__forum", "author").filter(pk=post_id).first()
    if post is None or not can_see_forum(user, post.topic.forum):
        raise Http404("No such post.")
    if post.is_hidden and not can_see_hidden_post(user, post):
        raise Http404("No such post.")
    if not can_see_held_topic(user, post.topic):
        raise Http404("No such post.")
    return post


def get_forum_by_id_for_user(user, forum_id: int) -> Forum:
    forum = Forum.objects.filter(pk=forum_id).first()
    if forum is None or not can_see_forum(user, forum):
        raise Http404("No such forum.")
    return forum


def private_forum_readers(forums) -> dict[int, set[int]]:
    """For each private forum among ``forums``: the ids of the people who may read it — its
    group's current members and the holders of forums.read_private_forums (``can_see_forum``
    for many people at once).

    One query per private forum (there are a handful) and one for the staff, whatever the
    number of readers: mail to many people asks this once instead of ``can_see_forum`` per
    person.
    """
    readers = {}
    staff: set[int] | None = None
    for forum in forums:
        if not forum.is_private:
            continue
        if staff is None:
            staff = set(people_with_permission(READ_PRIVATE_FORUMS).values_list("pk", flat=True))
        group = _group_of(forum)
        members = current_member_ids(group) if group is not None else set()
        readers[forum.pk] = members | staff
    return readers
