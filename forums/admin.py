"""Staff see the forums here; topics and posts change through the moderation services only
(with the moderation log, the counters and the flags), as on the topic pages. Forums are
configuration: created through ``forum_create``, their words and place edited here; who
may read one (its kind, group and privacy) is fixed once it exists."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import DomainErrorsAsMessages, ReadOnlyAdmin, run_for_each, take_over
from forums import permissions, services
from forums.models import (
    RESERVED_SLUGS,
    Flag,
    Forum,
    IdeaStatusChange,
    ModerationAction,
    Post,
    Subscription,
    Topic,
)


class ForumAdminForm(forms.ModelForm):
    class Meta:
        model = Forum
        fields = ["name", "slug", "description", "kind", "group", "is_private", "position"]

    def clean_slug(self):
        slug = self.cleaned_data.get("slug")
        if slug in RESERVED_SLUGS:  # forum_create's rule, shown on the form
            raise forms.ValidationError(_("This address is reserved; choose another slug."))
        return slug


@admin.register(Forum)
class ForumAdmin(DomainErrorsAsMessages, admin.ModelAdmin):
    form = ForumAdminForm
    list_display = ["name", "slug", "kind", "group", "is_private", "topic_count", "post_count"]
    list_filter = ["kind", "is_private"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Who reads a forum is decided when it is created: making a private group's
        # forum public (or moving it) would publish what its members wrote for the group.
        return ["slug", "kind", "group", "is_private"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None else {}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.forum_create(
            slug=obj.slug,
            name=obj.name,
            kind=obj.kind,
            description=obj.description,
            is_private=obj.is_private,
            position=obj.position,
            group=obj.group,
        )
        take_over(obj, created)


class ModeratedAdmin(ReadOnlyAdmin):
    """Actions of holders of forums.moderate_forums; each service checks the forum too."""

    def has_moderate_permission(self, request) -> bool:
        return permissions.moderates_every_forum(request.user)


def _topics_done(n: int) -> str:
    return ngettext("%(count)d topic changed.", "%(count)d topics changed.", n) % {"count": n}


def _posts_done(n: int) -> str:
    return ngettext("%(count)d post changed.", "%(count)d posts changed.", n) % {"count": n}


@admin.register(Topic)
class TopicAdmin(ModeratedAdmin):
    list_display = ["title", "forum", "author", "status", "vote_count", "is_pinned", "is_locked"]
    list_filter = ["forum", "status", "is_pinned", "is_locked"]
    list_select_related = ["forum", "author"]
    search_fields = ["title"]
    actions = ["lock", "unlock", "pin", "unpin"]

    def get_queryset(self, request):
        # Private forums' topics only for those who may read them, as on the pages.
        return (
            super().get_queryset(request).filter(forum__in=permissions.visible_forums(request.user))
        )

    def _set(self, request, queryset, service, **kwargs):
        run_for_each(
            self,
            request,
            queryset,
            lambda topic: service(topic=topic, moderator=request.user, **kwargs),
            _topics_done,
        )

    @admin.action(description=_("Lock the selected topics"), permissions=["moderate"])
    def lock(self, request, queryset):
        self._set(request, queryset, services.topic_lock, locked=True)

    @admin.action(description=_("Unlock the selected topics"), permissions=["moderate"])
    def unlock(self, request, queryset):
        self._set(request, queryset, services.topic_lock, locked=False)

    @admin.action(description=_("Pin the selected topics"), permissions=["moderate"])
    def pin(self, request, queryset):
        self._set(request, queryset, services.topic_pin, pinned=True)

    @admin.action(description=_("Unpin the selected topics"), permissions=["moderate"])
    def unpin(self, request, queryset):
        self._set(request, queryset, services.topic_pin, pinned=False)


@admin.register(Post)
class PostAdmin(ModeratedAdmin):
    list_display = ["pk", "topic", "author", "created_at", "is_hidden", "hidden_reason"]
    list_filter = ["is_hidden", "hidden_reason"]
    list_select_related = ["topic", "author"]
    actions = ["hide", "restore"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(topic__forum__in=permissions.visible_forums(request.user))
        )

    @admin.action(description=_("Hide the selected posts"), permissions=["moderate"])
    def hide(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda post: services.post_hide(post=post, moderator=request.user),
            _posts_done,
        )

    @admin.action(description=_("Show the selected posts again"), permissions=["moderate"])
    def restore(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda post: services.post_restore(post=post, moderator=request.user),
            _posts_done,
        )


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    """Flags are decided on the moderation queue, or by hiding or showing the post."""

    list_display = ["post", "user", "reason", "created_at", "resolution"]
    list_filter = ["reason", "resolution"]
    list_select_related = ["post", "user"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(post__topic__forum__in=permissions.visible_forums(request.user))
        )


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """People choose their own mail (topic pages, mail settings); never staff for them."""

    list_display = ["user", "forum", "topic", "mode"]
    list_select_related = ["user", "forum", "topic"]


@admin.register(IdeaStatusChange)
class IdeaStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["idea", "new_status", "changed_by", "created_at"]
    list_select_related = ["idea", "changed_by"]


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    list_display = ["action", "actor", "topic", "post", "created_at"]
    list_select_related = ["actor", "topic", "post"]
