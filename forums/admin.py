"""Staff see the forums here; topics and posts change through the moderation services only
(with the moderation log, the counters and the flags), as on the topic pages. Forums are
configuration: created through ``forum_create``, their words and place edited here; who
may read one (its kind, group and privacy) is fixed once it exists."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from modeltranslation.admin import TranslationAdmin

from core.admin import DomainErrorsAsMessages, ReadOnlyAdmin, service_action, take_over
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
    TrustedPoster,
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
class ForumAdmin(DomainErrorsAsMessages, TranslationAdmin):
    """Name and description per language: English is required, an empty language shows
    English (django-modeltranslation)."""

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
            # English, whatever the language of the admin's page (obj.name would be it).
            name=obj.name_en,
            kind=obj.kind,
            description=obj.description_en or "",
            is_private=obj.is_private,
            position=obj.position,
            group=obj.group,
            translations={
                field: text
                for field, text in form.cleaned_data.items()
                if field in services.FORUM_TRANSLATION_FIELDS
            },
        )
        take_over(obj, created)


class ModeratedAdmin(ReadOnlyAdmin):
    """Actions of holders of forums.moderate_forums; each service checks the forum too."""

    def has_moderate_permission(self, request) -> bool:
        return permissions.moderates_every_forum(request.user)


_TOPICS_DONE = ngettext_lazy("%(count)d topic changed.", "%(count)d topics changed.", "count")
_POSTS_DONE = ngettext_lazy("%(count)d post changed.", "%(count)d posts changed.", "count")


def _moderation(name: str, description, act, done):
    return service_action(name, description=description, permission="moderate", act=act, done=done)


@admin.register(Topic)
class TopicAdmin(ModeratedAdmin):
    list_display = ["title", "forum", "author", "status", "vote_count", "is_pinned", "is_locked"]
    list_filter = ["forum", "status", "is_pinned", "is_locked"]
    list_select_related = ["forum", "author"]
    search_fields = ["title"]
    actions = [
        _moderation(
            "lock",
            _("Lock the selected topics"),
            lambda t, by: services.topic_lock(topic=t, by=by, locked=True),
            _TOPICS_DONE,
        ),
        _moderation(
            "unlock",
            _("Unlock the selected topics"),
            lambda t, by: services.topic_lock(topic=t, by=by, locked=False),
            _TOPICS_DONE,
        ),
        _moderation(
            "pin",
            _("Pin the selected topics"),
            lambda t, by: services.topic_pin(topic=t, by=by, pinned=True),
            _TOPICS_DONE,
        ),
        _moderation(
            "unpin",
            _("Unpin the selected topics"),
            lambda t, by: services.topic_pin(topic=t, by=by, pinned=False),
            _TOPICS_DONE,
        ),
    ]

    def get_queryset(self, request):
        # Private forums' topics only for those who may read them, as on the pages.
        return (
            super().get_queryset(request).filter(forum__in=permissions.visible_forums(request.user))
        )


@admin.register(Post)
class PostAdmin(ModeratedAdmin):
    list_display = [
        "pk",
        "topic",
        "author",
        "author_name",
        "created_at",
        "is_hidden",
        "hidden_reason",
    ]
    list_filter = ["is_hidden", "hidden_reason"]
    list_select_related = ["topic", "author"]
    # An imported post is found by the Message-ID of its mail.
    search_fields = ["=message_id"]
    actions = [
        _moderation(
            "hide",
            _("Hide the selected posts"),
            lambda p, by: services.post_hide(post=p, by=by),
            _POSTS_DONE,
        ),
        _moderation(
            "restore",
            _("Show the selected posts again"),
            lambda p, by: services.post_restore(post=p, by=by),
            _POSTS_DONE,
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(topic__forum__in=permissions.visible_forums(request.user))
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


@admin.register(TrustedPoster)
class TrustedPosterAdmin(ReadOnlyAdmin):
    """The people a moderator trusted ("approve and trust"): their posts in the API Users
    list are never held. The moderators see who trusted whom and when, and stop trusting
    someone (through the service, which logs it)."""

    list_display = ["person", "trusted_by_person", "trusted_at"]
    list_select_related = ["user", "trusted_by"]
    search_fields = ["user__name", "user__email"]
    ordering = ["-created_at", "-pk"]
    fields = readonly_fields = ["person", "trusted_by_person", "trusted_at"]
    actions = [
        service_action(
            "untrust",
            description=_("Stop trusting the selected people"),
            permission="untrust",
            act=lambda trusted, by: services.trusted_poster_remove(by=by, user=trusted.user),
            done=ngettext_lazy(
                "%(count)d person is no longer trusted.",
                "%(count)d people are no longer trusted.",
                "count",
            ),
        )
    ]

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_trusted_posters(request.user)

    def has_untrust_permission(self, request) -> bool:
        return permissions.can_manage_trusted_posters(request.user)

    @admin.display(description=_("person"), ordering="user__name")
    def person(self, obj: TrustedPoster):
        return obj.user

    @admin.display(description=_("trusted by"))
    def trusted_by_person(self, obj: TrustedPoster):
        return obj.trusted_by  # None (shown as the admin's empty value): the portal itself

    @admin.display(description=_("trusted on"), ordering="created_at")
    def trusted_at(self, obj: TrustedPoster):
        return obj.created_at
