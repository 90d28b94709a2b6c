"""Every access decision of the forums, in one place.

Group membership and chairs are the contributors app's business: we ask its selectors and
never read its tables. While a selector is missing, nobody is a member or a chair.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from forums.models import Forum, Post, Topic


def _contributors_selector(name: str):
    try:
        from contributors import selectors
    except ImportError:
        return None
    return getattr(selectors, name, None)


def _group_of(forum: Forum):
    if not getattr(forum, "group_id", None):
        return None
    return forum.group


def is_group_member(user, forum: Forum) -> bool:
    group = _group_of(forum)
    check = _contributors_selector("is_group_member")
    return bool(group is not None and check and user.is_authenticated and check(user, group))


def is_group_chair(user, forum: Forum) -> bool:
    group = _group_of(forum)
    check = _contributors_selector("is_group_chair")
    return bool(group is not None and check and user.is_authenticated and check(user, group))


def can_see_forum(user, forum: Forum) -> bool:
    if not forum.is_private:
        return True
    if not user.is_authenticated:
        return False
    return user.is_staff or is_group_member(user, forum)


def can_moderate(user, forum: Forum) -> bool:
    """Staff, and the chair of the group the forum belongs to."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or is_group_chair(user, forum)


def can_post_in(user, forum: Forum) -> bool:
    return bool(user.is_authenticated and user.is_active and can_see_forum(user, forum))


def can_set_idea_status(user) -> bool:
    """Staff and steering-group members (asked of the contributors app)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    try:
        from contributors.permissions import can_review_nominations
    except ImportError:
        return False
    return bool(can_review_nominations(user))


# Authors keep no rights in a forum they can no longer see (a former member of a private
# group): every check on a post or topic asks can_see_forum first, whatever the caller did.


def can_edit_post(user, post: Post) -> bool:
    if not user.is_authenticated or not can_see_forum(user, post.topic.forum):
        return False
    if can_moderate(user, post.topic.forum):
        return True
    return post.author_id == user.pk and not post.is_hidden and not post.topic.is_locked


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


def visible_forums(user) -> QuerySet[Forum]:
    """The forums ``user`` may see: public ones, and private ones of their groups."""
    forums = Forum.objects.all()
    if user.is_authenticated and user.is_staff:
        return forums
    private = list(Forum.objects.filter(is_private=True))
    if not private:
        return forums
    hidden = [f.pk for f in private if not can_see_forum(user, f)]
    return forums.exclude(pk__in=hidden)


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
    return topic


def get_post_for_user(user, post_id: int) -> Post:
    post = Post.objects.select_related("topic", "topic__forum", "author").filter(pk=post_id).first()
    if post is None or not can_see_forum(user, post.topic.forum):
        raise Http404("No such post.")
    if post.is_hidden and not can_see_hidden_post(user, post):
        raise Http404("No such post.")
    return post


def get_forum_by_id_for_user(user, forum_id: int) -> Forum:
    forum = Forum.objects.filter(pk=forum_id).first()
    if forum is None or not can_see_forum(user, forum):
        raise Http404("No such forum.")
    return forum


def private_forum_readers(forums) -> dict[int, set[int]]:
    """For each private forum among ``forums``: the ids of its group's current members.

    Staff see every forum too; callers check ``is_staff`` themselves. One query per private
    forum (there are a handful), whatever the number of readers: mail to many people asks
    this once instead of ``can_see_forum`` per person.
    """
    check = _contributors_selector("current_member_ids")
    readers = {}
    for forum in forums:
        if not forum.is_private:
            continue
        group = _group_of(forum)
        readers[forum.pk] = set(check(group)) if group is not None and check else set()
    return readers
