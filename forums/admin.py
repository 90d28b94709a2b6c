from django.contrib import admin

from forums.models import Flag, Forum, IdeaStatusChange, ModerationAction, Post, Subscription, Topic


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "group", "is_private", "topic_count", "post_count"]
    list_filter = ["kind", "is_private"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "forum", "author", "status", "vote_count", "is_pinned", "is_locked"]
    list_filter = ["forum", "status", "is_pinned", "is_locked"]
    search_fields = ["title"]
    raw_id_fields = ["author", "last_post_author", "accepted_post", "merged_into"]
    readonly_fields = ["vote_count", "reply_count"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["pk", "topic", "author", "created_at", "is_hidden", "hidden_reason"]
    list_filter = ["is_hidden", "hidden_reason"]
    raw_id_fields = ["topic", "author"]
    readonly_fields = ["body", "is_hidden", "hidden_reason"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["post", "user", "reason", "created_at", "resolution"]
    list_filter = ["reason", "resolution"]
    raw_id_fields = ["post", "user", "resolved_by"]


admin.site.register(
    Subscription, list_display=["user", "forum", "topic", "mode"], raw_id_fields=["user", "topic"]
)
admin.site.register(
    IdeaStatusChange, list_display=["idea", "new_status", "changed_by", "created_at"]
)
admin.site.register(
    ModerationAction, list_display=["action", "actor", "topic", "post", "created_at"]
)
