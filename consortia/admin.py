from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from consortia import permissions, services
from consortia.models import (
    ChecklistEntry,
    ChecklistItem,
    Consortium,
    ConsortiumContact,
    ConsortiumCountry,
    ContactInvitation,
    ContactRequest,
    Document,
    Membership,
    Organization,
    OrganizationContact,
    ProgressReport,
)
from core.errors import DomainError

# Django 6 makes https the default scheme of URL fields; say so now.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}
VERIFICATION_FIELDS = [
    "verification",
    "verification_decided_by",
    "verification_decided_at",
    "verification_note",
]


def _apply(modeladmin, request, queryset, action, done) -> None:
    """Run a service on each selected row; report each refusal and how many succeeded."""
    count = 0
    for obj in queryset:
        try:
            action(obj)
        except DomainError as error:
            details = " ".join(str(d) for d in error.details)
            modeladmin.message_user(request, f"{obj}: {error.message} {details}", messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done(count) % {"count": count}, messages.SUCCESS)


class VerifyPermissionMixin:
    """The verify and reject actions (the staff queue) need ``consortia.verify_organization``."""

    def has_verify_permission(self, request) -> bool:
        return permissions.can_verify(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        # The queue is theirs to read, whatever else their group grants.
        return super().has_view_permission(request, obj) or self.has_verify_permission(request)


class OrganizationContactInline(admin.TabularInline):
    model = OrganizationContact
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(VerifyPermissionMixin, admin.ModelAdmin):
    """Also the queue of registrations to verify (filter: waiting for verification)."""

    list_display = [
        "name",
        "ror_id",
        "country",
        "org_type",
        "verification",
        "registered_by",
        "created_at",
    ]
    formfield_overrides = URL_FIELDS
    list_filter = ["verification", "org_type", "country"]
    search_fields = ["name", "ror_id"]
    inlines = [OrganizationContactInline]
    # Verification changes only through the actions (the services), which mail people.
    readonly_fields = VERIFICATION_FIELDS
    actions = ["verify", "reject"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("contacts", queryset=OrganizationContact.objects.select_related("user"))
            )
        )

    @admin.display(description=_("contacts"))
    def registered_by(self, obj):
        return ", ".join(f"{c.user} <{c.user.email}>" for c in obj.contacts.all())

    @admin.action(description=_("Verify the selected organizations"), permissions=["verify"])
    def verify(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda org: services.organization_verify(organization=org, by=request.user),
            lambda n: ngettext(
                "%(count)d organization verified.", "%(count)d organizations verified.", n
            ),
        )

    @admin.action(description=_("Reject the selected organizations"), permissions=["verify"])
    def reject(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda org: services.organization_reject(organization=org, by=request.user),
            lambda n: ngettext(
                "%(count)d organization rejected.", "%(count)d organizations rejected.", n
            ),
        )


class ConsortiumCountryInline(admin.TabularInline):
    model = ConsortiumCountry
    extra = 0


class ConsortiumContactInline(admin.TabularInline):
    model = ConsortiumContact
    extra = 0
    autocomplete_fields = ["user"]


class ChecklistEntryInline(admin.TabularInline):
    model = ChecklistEntry
    extra = 0
    fields = ["item", "done", "done_by", "done_at", "note", "document"]
    raw_id_fields = ["done_by", "document"]


@admin.register(Consortium)
class ConsortiumAdmin(VerifyPermissionMixin, admin.ModelAdmin):
    """Also the queue of proposed consortia to verify (filter: waiting for verification)."""

    list_display = [
        "name",
        "kind",
        "region",
        "verification",
        "status",
        "below_minimum",
        "lead_organization",
        "active_members",
        "agreement_finalized_at",
    ]
    list_filter = ["verification", "status", "kind", "region", "below_minimum"]
    formfield_overrides = URL_FIELDS
    search_fields = ["name", "slug", "lead_organization__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["lead_organization"]
    # The status changes only through the actions below (the services): finalizing checks
    # the checklist and the membership minimum.
    readonly_fields = [
        "region",
        "status",
        "below_minimum",
        "below_minimum_since",
        "agreement_finalized_at",
        "created_at",
        *VERIFICATION_FIELDS,
    ]
    raw_id_fields = ["proposed_by"]
    inlines = [ConsortiumCountryInline, ConsortiumContactInline, ChecklistEntryInline]
    actions = ["verify", "reject", "finalize_agreement", "mark_inactive"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("lead_organization")
            .annotate(
                _active_members=Count(
                    "memberships", filter=Q(memberships__state=Membership.State.ACTIVE)
                )
            )
        )

    @admin.display(description=_("active members"), ordering="_active_members")
    def active_members(self, obj):
        return obj._active_members

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The region follows the countries edited in the inline.
        services.consortium_refresh_region(consortium=form.instance)

    @admin.action(description=_("Verify the selected consortia"), permissions=["verify"])
    def verify(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda c: services.consortium_verify(consortium=c, by=request.user),
            lambda n: ngettext(
                "%(count)d consortium verified.", "%(count)d consortia verified.", n
            ),
        )

    @admin.action(description=_("Reject the selected consortia"), permissions=["verify"])
    def reject(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda c: services.consortium_reject(consortium=c, by=request.user),
            lambda n: ngettext(
                "%(count)d consortium rejected.", "%(count)d consortia rejected.", n
            ),
        )

    @admin.action(description=_("Finalize the agreement of the selected consortia"))
    def finalize_agreement(self, request, queryset):
        done = 0
        for consortium in queryset:
            try:
                services.consortium_finalize_agreement(consortium=consortium, user=request.user)
            except DomainError as error:
                details = " ".join(str(d) for d in error.details)
                self.message_user(request, f"{error.message} {details}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d agreement finalized.", "%(count)d agreements finalized.", done)
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Mark the selected consortia inactive"))
    def mark_inactive(self, request, queryset):
        count = 0
        for consortium in queryset:
            services.consortium_mark_inactive(consortium=consortium, user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d consortium marked inactive.",
                "%(count)d consortia marked inactive.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["organization", "consortium", "state", "created_at", "decided_at", "left_at"]
    list_filter = ["state", "consortium__region", "consortium"]
    search_fields = ["organization__name", "organization__ror_id", "consortium__name"]
    list_select_related = ["organization", "consortium"]
    raw_id_fields = ["organization", "consortium", "requested_by", "decided_by"]
    date_hierarchy = "created_at"


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["title", "phase", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["phase", "is_active"]
    search_fields = ["title", "description"]


@admin.register(ChecklistEntry)
class ChecklistEntryAdmin(admin.ModelAdmin):
    list_display = ["consortium", "item", "done", "done_by", "done_at"]
    list_filter = ["done", "item__phase", "item"]
    search_fields = ["consortium__name", "item__title", "note"]
    list_select_related = ["consortium", "item", "done_by"]
    raw_id_fields = ["consortium", "done_by", "document"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Documents are uploaded on the manage page, where their content is checked."""

    list_display = ["title", "consortium", "visibility", "content_type", "size", "uploaded_at"]
    list_filter = ["visibility", "content_type"]
    search_fields = ["title", "original_name", "consortium__name"]
    list_select_related = ["consortium"]
    readonly_fields = [
        "file",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(admin.ModelAdmin):
    list_display = ["title", "consortium", "published_by", "published_at"]
    list_filter = ["consortium__region"]
    search_fields = ["title", "body", "consortium__name"]
    list_select_related = ["consortium", "published_by"]
    raw_id_fields = ["consortium", "published_by"]


@admin.register(OrganizationContact)
class OrganizationContactAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__name", "organization__name"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user", "organization"]


@admin.register(ContactRequest)
class ContactRequestAdmin(VerifyPermissionMixin, admin.ModelAdmin):
    """Requests to act for an organization: staff who verify answer them here (the
    organization's contacts answer on their dashboard)."""

    list_display = ["user", "organization", "role", "state", "created_at", "decided_at"]
    list_filter = ["state", "role"]
    search_fields = ["user__email", "user__name", "organization__name", "organization__ror_id"]
    list_select_related = ["user", "organization"]
    readonly_fields = [
        "organization",
        "user",
        "role",
        "message",
        "state",
        "decided_by",
        "decided_at",
        "decision_note",
        "created_at",
    ]
    actions = ["accept", "decline"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Accept the selected requests"), permissions=["verify"])
    def accept(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda r: services.contact_request_accept(request=r, by=request.user),
            lambda n: ngettext("%(count)d request accepted.", "%(count)d requests accepted.", n),
        )

    @admin.action(description=_("Decline the selected requests"), permissions=["verify"])
    def decline(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda r: services.contact_request_decline(request=r, by=request.user),
            lambda n: ngettext("%(count)d request declined.", "%(count)d requests declined.", n),
        )


@admin.register(ContactInvitation)
class ContactInvitationAdmin(admin.ModelAdmin):
    """Invitations are sent, accepted and withdrawn on the pages; here they are only read
    (the link's token is never stored, only its digest, which is not shown)."""

    list_display = [
        "email",
        "consortium",
        "role",
        "state",
        "invited_by",
        "created_at",
        "expires_at",
    ]
    list_filter = ["state", "role"]
    search_fields = ["email", "consortium__name"]
    list_select_related = ["consortium", "invited_by"]
    exclude = ["token_digest"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
