"""Staff see the consortia here and act on them through the services, with the same
permissions as on the manage pages: verifying and rejecting organizations, proposed
consortia and contact requests (the staff queue), finalizing, marking inactive, accepting,
declining and removing members are actions; details, countries, contacts, the checklist
and documents are edited on the consortium's manage page (linked from each consortium)."""

from django.contrib import admin
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from modeltranslation.admin import TranslationAdmin

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
from core.admin import ReadOnlyAdmin, ReadOnlyInline, service_action

# Django 6 makes https the default scheme of URL fields; say so now.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}
VERIFICATION_FIELDS = [
    "verification",
    "verification_decided_by",
    "verification_decided_at",
    "verification_note",
]


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
    actions = [
        service_action(
            "verify",
            description=_("Verify the selected organizations"),
            permission="verify",
            act=lambda org, by: services.organization_verify(organization=org, by=by),
            done=ngettext_lazy(
                "%(count)d organization verified.", "%(count)d organizations verified.", "count"
            ),
        ),
        service_action(
            "reject",
            description=_("Reject the selected organizations"),
            permission="verify",
            act=lambda org, by: services.organization_reject(organization=org, by=by),
            done=ngettext_lazy(
                "%(count)d organization rejected.", "%(count)d organizations rejected.", "count"
            ),
        ),
    ]

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

    def get_readonly_fields(self, request, obj=None):
        # Verification changes only through the actions (the services), which mail people.
        # The membership minimum counts not-for-profit members and their countries: an
        # edit here would bypass the below-minimum recomputation of the services.
        if obj is None:
            return VERIFICATION_FIELDS
        return ["country", "org_type", *VERIFICATION_FIELDS]


class ConsortiumCountryInline(ReadOnlyInline):
    model = ConsortiumCountry
    fields = ["country"]
    readonly_fields = fields


class ConsortiumContactInline(ReadOnlyInline):
    model = ConsortiumContact
    fields = ["user", "role"]
    readonly_fields = fields


class ChecklistEntryInline(ReadOnlyInline):
    model = ChecklistEntry
    fields = ["item", "done", "done_by", "done_at", "note", "document"]
    readonly_fields = fields


@admin.register(Consortium)
class ConsortiumAdmin(VerifyPermissionMixin, ReadOnlyAdmin):
    """Consortia are proposed on the portal; their verification and status change only
    through the actions below (the services: finalizing checks the checklist and the
    membership minimum). Also the queue of proposed consortia to verify."""

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
    search_fields = ["name", "slug", "lead_organization__name"]
    fields = [
        "name",
        "slug",
        "manage_page",
        "kind",
        "region",
        "status",
        "below_minimum",
        "below_minimum_since",
        "lead_organization",
        "description",
        "website",
        "proposed_by",
        "agreement_finalized_at",
        "created_at",
        *VERIFICATION_FIELDS,
    ]
    readonly_fields = ["manage_page"]
    inlines = [ConsortiumCountryInline, ConsortiumContactInline, ChecklistEntryInline]
    actions = [
        service_action(
            "verify",
            description=_("Verify the selected consortia"),
            permission="verify",
            act=lambda c, by: services.consortium_verify(consortium=c, by=by),
            done=ngettext_lazy(
                "%(count)d consortium verified.", "%(count)d consortia verified.", "count"
            ),
        ),
        service_action(
            "reject",
            description=_("Reject the selected consortia"),
            permission="verify",
            act=lambda c, by: services.consortium_reject(consortium=c, by=by),
            done=ngettext_lazy(
                "%(count)d consortium rejected.", "%(count)d consortia rejected.", "count"
            ),
        ),
        service_action(
            "finalize_agreement",
            description=_("Finalize the agreement of the selected consortia"),
            permission="finalize",
            act=lambda c, by: services.consortium_finalize_agreement(consortium=c, by=by),
            done=ngettext_lazy(
                "%(count)d agreement finalized.", "%(count)d agreements finalized.", "count"
            ),
        ),
        service_action(
            "mark_inactive",
            description=_("Mark the selected consortia inactive"),
            permission="deactivate",
            act=lambda c, by: services.consortium_mark_inactive(consortium=c, by=by),
            done=ngettext_lazy(
                "%(count)d consortium marked inactive.",
                "%(count)d consortia marked inactive.",
                "count",
            ),
        ),
    ]

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

    @admin.display(description=_("manage page"))
    def manage_page(self, obj):
        url = reverse("consortia:manage", args=[obj.slug])
        return format_html('<a href="{}">{}</a>', url, url)

    def has_finalize_permission(self, request) -> bool:
        return permissions.can_finalize_consortium(request.user)

    def has_deactivate_permission(self, request) -> bool:
        return permissions.can_deactivate_consortium(request.user)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    """Memberships change through the services only (the lead organization stays, the
    minimum is recomputed, the requester is told): the actions below, or the manage page."""

    list_display = ["organization", "consortium", "state", "created_at", "decided_at", "left_at"]
    list_filter = ["state", "consortium__region", "consortium"]
    search_fields = ["organization__name", "organization__ror_id", "consortium__name"]
    list_select_related = ["organization", "consortium"]
    date_hierarchy = "created_at"
    actions = [
        service_action(
            "accept_requests",
            description=_("Accept the selected requests"),
            permission="manage",
            act=lambda m, by: services.membership_accept(membership=m, by=by),
            done=ngettext_lazy(
                "%(count)d request accepted.", "%(count)d requests accepted.", "count"
            ),
        ),
        service_action(
            "decline_requests",
            description=_("Decline the selected requests"),
            permission="manage",
            act=lambda m, by: services.membership_decline(membership=m, by=by),
            done=ngettext_lazy(
                "%(count)d request declined.", "%(count)d requests declined.", "count"
            ),
        ),
        service_action(
            "remove_members",
            description=_("Remove the selected members from their consortium"),
            permission="manage",
            act=lambda m, by: services.membership_leave(membership=m, by=by),
            done=ngettext_lazy("%(count)d member removed.", "%(count)d members removed.", "count"),
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("consortium", "organization")

    def has_manage_permission(self, request) -> bool:
        return permissions.manages_every_consortium(request.user)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(TranslationAdmin):
    """A title and description per language: English is required, an empty language
    shows English (django-modeltranslation)."""

    list_display = ["title", "phase", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["phase", "is_active"]
    search_fields = ["title", "description"]


@admin.register(ChecklistEntry)
class ChecklistEntryAdmin(ReadOnlyAdmin):
    """Ticked on the manage page (checklist_entry_update: who and when, the document)."""

    list_display = ["consortium", "item", "done", "done_by", "done_at"]
    list_filter = ["done", "item__phase", "item"]
    search_fields = ["consortium__name", "item__title", "note"]
    list_select_related = ["consortium", "item", "done_by"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Documents are uploaded on the manage page, where their content is checked; deleted
    here through the same service (the file goes too, after commit)."""

    list_display = ["title", "consortium", "visibility", "content_type", "size", "uploaded_at"]
    list_filter = ["visibility", "content_type"]
    search_fields = ["title", "original_name", "consortium__name"]
    list_select_related = ["consortium"]

    def has_delete_permission(self, request, obj=None) -> bool:
        if not request.user.has_perm("consortia.delete_document"):
            return False
        return obj is None or permissions.can_manage_consortium(request.user, obj.consortium)

    def delete_model(self, request, obj):
        services.document_delete(document=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for document in queryset.select_related("consortium"):
            services.document_delete(document=document, by=request.user)


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    """Published, and mailed to the members, on the manage page."""

    list_display = ["title", "consortium", "published_by", "published_at"]
    list_filter = ["consortium__region"]
    search_fields = ["title", "body", "consortium__name"]
    list_select_related = ["consortium", "published_by"]


@admin.register(OrganizationContact)
class OrganizationContactAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__name", "organization__name"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user", "organization"]


@admin.register(ContactRequest)
class ContactRequestAdmin(VerifyPermissionMixin, ReadOnlyAdmin):
    """Requests to act for an organization: staff who verify answer them here (the
    organization's contacts answer on their dashboard)."""

    list_display = ["user", "organization", "role", "state", "created_at", "decided_at"]
    list_filter = ["state", "role"]
    search_fields = ["user__email", "user__name", "organization__name", "organization__ror_id"]
    list_select_related = ["user", "organization"]
    actions = [
        service_action(
            "accept",
            description=_("Accept the selected requests"),
            permission="verify",
            act=lambda r, by: services.contact_request_accept(request=r, by=by),
            done=ngettext_lazy(
                "%(count)d request accepted.", "%(count)d requests accepted.", "count"
            ),
        ),
        service_action(
            "decline",
            description=_("Decline the selected requests"),
            permission="verify",
            act=lambda r, by: services.contact_request_decline(request=r, by=by),
            done=ngettext_lazy(
                "%(count)d request declined.", "%(count)d requests declined.", "count"
            ),
        ),
    ]


@admin.register(ContactInvitation)
class ContactInvitationAdmin(ReadOnlyAdmin):
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
