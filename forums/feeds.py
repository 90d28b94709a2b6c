"""An Atom feed per forum: its newest topics. Private forums answer 404 to outsiders."""

from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from forums import permissions
from forums.models import Forum, Post, Topic


class ForumFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, forum_slug: str) -> Forum:
        return permissions.get_forum_for_user(request.user, forum_slug)

    def title(self, forum: Forum) -> str:
        return str(_("%(forum)s · ORCID Community forums") % {"forum": forum.name})

    def link(self, forum: Forum) -> str:
        return forum.get_absolute_url()

    def subtitle(self, forum: Forum) -> str:
        return forum.description

    def items(self, forum: Forum):
        return (
            Topic.objects.filter(forum=forum, merged_into__isnull=True, is_held=False)
            .select_related("author")
            .prefetch_related(
                Prefetch("posts", queryset=Post.objects.filter(is_first=True), to_attr="first")
            )
            .order_by("-created_at")[:30]
        )

    def item_title(self, topic: Topic) -> str:
        return topic.title

    def item_description(self, topic: Topic) -> str:
        first = topic.first[0] if topic.first else None
        if first is None or first.is_hidden:
            return ""
        return first.body_html

    def item_author_name(self, topic: Topic) -> str:
        return topic.author.display_name if topic.author else topic.author_name

    def item_pubdate(self, topic: Topic):
        return topic.created_at

    def item_updateddate(self, topic: Topic):
        return topic.last_post_at
