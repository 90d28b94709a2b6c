"""Staff work here: nominate, verify contributions, mark OST staff, keep groups and agreements.

State changes go through ``contributors.services``; history rows (level changes, votes,
the audit trail, signatures) are read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from contributors import permissions, rules, selectors, services
from contributors.models import (
    Agreement,
    Briefing,
    BriefingSubscription,
    Contribution,
    Group,
    LevelChange,
    Membership,
    Nomination,
    NominationEvent,
    Profile,
    RollEntry,
    Signature,
    Vote,
)
from core.admin import DomainErrorsAsMessages, ReadOnlyAdmin, ReadOnlyInline, take_over
from core.errors import DomainError, RuleViolation
from mail.models import Delivery
from mail.services import about_key

# --- Profiles and levels ------------------------------------------------------------------


@admin.register(Profile)
class ProfileAdmin(ReadOnlyAdmin):
    """Levels change through the services only (verified contributions, an elected and
    signed nomination, a level change recorded by staff)."""

    list_display = ["user", "user_orcid", "level", "level_since"]
    list_filter = ["level"]
    search_fields = ["user__email", "user__name", "user__orcid_id"]
    fields = ["user", "level", "level_since", "history"]
    readonly_fields = ["history"]
    actions = ["nominate_for_ost"]

    def has_nominate_permission(self, request) -> bool:
        return permissions.can_nominate(request.user)

    @admin.display(description=_("ORCID iD"))
    def user_orcid(self, obj: Profile) -> str:
        return obj.user.orcid_id or "—"

    @admin.display(description=_("Level history"))
    def history(self, obj: Profile):
        changes = LevelChange.objects.filter(user=obj.user).select_related("changed_by")
        return format_html_join(
            "",
            "<p>{}: {} → {} ({}) {} — {}</p>",
            (
                (
                    f"{c.changed_at:%Y-%m-%d}",
                    c.get_from_level_display(),
                    c.get_to_level_display(),
                    c.get_basis_display(),
                    c.reason,
                    c.changed_by or "—",
                )
                for c in changes
            ),
        )

    @admin.action(description=_("Nominate for OST"), permissions=["nominate"])
    def nominate_for_ost(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Nominate one person at a time."), level=messages.WARNING)
            return None
        profile = queryset.select_related("user").get()
        try:
            services.nominee_check(nominee=profile.user)
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return None
        url = reverse("admin:contributors_nomination_add")
        return HttpResponseRedirect(f"{url}?nominee={profile.user_id}")


class LevelChangeForm(forms.ModelForm):
    class Meta:
        model = LevelChange
        fields = ["user", "to_level", "basis", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "basis" not in self.fields:  # a recorded change, shown read-only
            return
        self.fields["basis"].choices = [
            (LevelChange.Basis.STAFF_DECISION, LevelChange.Basis.STAFF_DECISION.label),
            (LevelChange.Basis.DEVELOPMENT_STAFF, LevelChange.Basis.DEVELOPMENT_STAFF.label),
            (LevelChange.Basis.VENDOR, LevelChange.Basis.VENDOR.label),
        ]
        self.fields["reason"].required = True
        self.fields["basis"].help_text = _(
            "OST without a vote only for ORCID development staff or contracted vendors."
        )

    def clean(self):
        data = super().clean()
        if data.get("to_level"):
            try:
                services.level_change_basis(
                    level=data["to_level"], basis=data.get("basis"), reason=data.get("reason", "")
                )
            except DomainError as exc:
                raise ValidationError(exc.message) from exc
            if data.get("user") and selectors.user_level(data["user"]) == data["to_level"]:
                raise ValidationError(_("This person is already at that level."))
        return data

    def _post_clean(self):
        # The service builds the row; the form only collects what staff typed.
        pass


@admin.register(LevelChange)
class LevelChangeAdmin(DomainErrorsAsMessages, admin.ModelAdmin):
    """Add a row here to set a level by staff decision (the history is never edited)."""

    form = LevelChangeForm
    list_display = ["user", "from_level", "to_level", "basis", "changed_by", "changed_at"]
    list_select_related = ["user", "changed_by"]
    list_filter = ["to_level", "basis"]
    search_fields = ["user__email", "user__name", "reason"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request) -> bool:
        return permissions.can_record_staff_level(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        result = services.level_set_by_staff(
            user=data["user"],
            level=data["to_level"],
            basis=data["basis"],
            reason=data["reason"],
            by=request.user,
        )
        if result is None:
            # Someone set the same level since the form was checked.
            raise RuleViolation(_("This person is already at that level."))
        take_over(obj, result)


# --- Contributions ------------------------------------------------------------------------


class ContributionAdminForm(forms.ModelForm):
    class Meta:
        model = Contribution
        fields = ["user", "kind", "title", "link", "date"]

    def clean_date(self):
        day = self.cleaned_data.get("date")
        try:
            services.contribution_date_check(day)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        return day


@admin.register(Contribution)
class ContributionAdmin(DomainErrorsAsMessages, admin.ModelAdmin):
    form = ContributionAdminForm
    list_display = ["title", "user", "kind", "date", "verified_at", "verified_by"]
    list_select_related = ["user", "verified_by"]
    list_filter = ["kind", ("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "user__email", "user__name"]
    raw_id_fields = ["user"]
    readonly_fields = ["added_by", "verified_by", "verified_at", "created_at"]
    date_hierarchy = "date"
    actions = ["verify"]

    def has_add_permission(self, request) -> bool:
        # Added here for someone else: verified at once, so a verifier's power.
        return permissions.can_verify_contributions(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        # A contribution is never edited (its owner, date and kind made the level).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_verify_permission(self, request) -> bool:
        return permissions.can_verify_contributions(request.user)

    def save_model(self, request, obj, form, change):
        created = services.contribution_add(
            user=obj.user,
            by=request.user,
            kind=obj.kind,
            title=obj.title,
            link=obj.link,
            date=obj.date,
        )
        take_over(obj, created)

    @admin.action(description=_("Verify the selected contributions"), permissions=["verify"])
    def verify(self, request, queryset):
        verified = sum(
            services.contribution_verify(contribution=c, by=request.user) for c in queryset
        )
        self.message_user(
            request, _("%(n)s contributions verified.") % {"n": verified}, level=messages.SUCCESS
        )


# --- Groups -------------------------------------------------------------------------------


class MembershipFormSet(forms.BaseInlineFormSet):
    """The group's terms as edited on its page, held to the rules of ``membership_add``."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        deleted = [f.instance.pk for f in self.deleted_forms if f.instance.pk]
        changed = [
            f.instance
            for f in self.forms
            if f.has_changed() and f not in self.deleted_forms and f.cleaned_data
        ]
        try:
            services.memberships_check(group=self.instance, memberships=changed, leaving=deleted)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc


class ManagedByGroupStaff:
    """Groups and their terms are edited by holders of contributors.manage_groups."""

    def has_add_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_groups(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_groups(request.user)


class MembershipInline(ManagedByGroupStaff, admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 1
    raw_id_fields = ["user"]
    fields = ["user", "role", "term_start", "term_end"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_groups(request.user)


@admin.register(Group)
class GroupAdmin(ManagedByGroupStaff, DomainErrorsAsMessages, TranslationAdmin):
    """Name, purpose and deliverables per language (English required, django-modeltranslation)."""

    list_display = ["name", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        # Through the service: the group row is locked and the rules checked again.
        changed = formset.save(commit=False)
        services.memberships_save(
            group=form.instance,
            memberships=changed,
            deleted=formset.deleted_objects,
            by=request.user,
        )


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["group", "user", "role", "term_start", "term_end"]

    def _post_clean(self):
        super()._post_clean()
        membership = self.instance
        if self.errors or not (membership.group_id and membership.term_start):
            return
        try:
            services.memberships_check(group=membership.group, memberships=[membership])
        except DomainError as exc:
            self.add_error(None, exc.message)


@admin.register(Membership)
class MembershipAdmin(ManagedByGroupStaff, DomainErrorsAsMessages, admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "group", "role", "term_start", "term_end"]
    list_select_related = ["user", "group"]
    list_filter = ["group", "role"]
    search_fields = ["user__email", "user__name"]
    raw_id_fields = ["user"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_groups(request.user)

    def save_model(self, request, obj, form, change):
        # Through the service: the group row is locked and the rules checked again.
        services.memberships_save(group=obj.group, memberships=[obj], by=request.user)

    def delete_model(self, request, obj):
        services.memberships_save(group=obj.group, memberships=[], deleted=[obj], by=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("group"):
            self.delete_model(request, membership)


# --- Nominations --------------------------------------------------------------------------


class NominationAddForm(forms.ModelForm):
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        help_text=_("Empty: 14 days from now. At least 72 hours from now."),
    )

    class Meta:
        model = Nomination
        fields = ["nominee", "rationale", "deadline"]

    def clean(self):
        data = super().clean()
        nominee = data.get("nominee")
        if nominee is None:
            return data
        now = timezone.now()
        deadline = data.get("deadline") or rules.default_deadline(now)
        try:
            services.nomination_check(nominee=nominee, deadline=deadline, now=now)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        return data

    def _post_clean(self):
        # The service builds and validates the nomination when it opens it.
        pass


class RollInline(ReadOnlyInline):
    model = RollEntry
    fields = ["voter", "recused_at", "recusal_reason"]
    readonly_fields = fields


class VoteInline(ReadOnlyInline):
    model = Vote
    fields = ["voter", "choice", "comment", "cast_at", "changed_at"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = NominationEvent
    fields = ["created_at", "kind", "actor", "detail", "data"]
    readonly_fields = fields


@admin.register(Nomination)
class NominationAdmin(DomainErrorsAsMessages, admin.ModelAdmin):
    list_display = ["nominee", "state", "opened_at", "deadline", "decided_at"]
    list_select_related = ["nominee"]
    list_filter = ["state"]
    search_fields = ["nominee__email", "nominee__name"]
    raw_id_fields = ["nominee"]
    inlines = [RollInline, VoteInline, EventInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NominationAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["nominee", "rationale", "deadline"]
        return [
            "nominee",
            "rationale",
            "nominated_by",
            "state",
            "opened_at",
            "deadline",
            "decided_at",
            "roll_size",
            "approvals",
            "rejections",
            "abstentions",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_add_permission(self, request) -> bool:
        return permissions.can_nominate(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        # An open nomination changes only through votes, recusals and its deadline.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        opened = services.nomination_open(
            nominee=form.cleaned_data["nominee"],
            rationale=form.cleaned_data["rationale"],
            deadline=form.cleaned_data.get("deadline"),
            by=request.user,
        )
        take_over(obj, opened)

    def save_related(self, request, form, formsets, change):
        # Roll, votes and the trail are written by the services only.
        pass


# --- The agreement ------------------------------------------------------------------------


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "published_at"]

    def get_readonly_fields(self, request, obj=None):
        # A version somebody signed is what they signed: it is never edited again.
        if obj is not None and obj.signatures.exists():
            return ["version", "title", "body", "published_at"]
        return []

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.can_delete_agreement(request.user, obj)


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["signer", "agreement", "full_name", "orcid_id", "signed_at", "ip_address"]


# --- Briefings ----------------------------------------------------------------------------


@admin.register(Briefing)
class BriefingAdmin(admin.ModelAdmin):
    """Staff read briefings and how their mail went; chairs write them on the group's page."""

    list_display = ["title", "group", "author", "published_at", "updated_at"]
    list_filter = ["group", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body"]
    list_select_related = ["group", "author"]
    readonly_fields = [
        "group",
        "author",
        "title",
        "body",
        "shown_html",
        "published_at",
        "published_by",
        "created_at",
        "updated_at",
        "delivery_states",
    ]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False  # written, and mailed, through contributors.services only

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("text as shown"))
    def shown_html(self, obj: Briefing):
        return format_html("<div>{}</div>", mark_safe(obj.body_html))  # noqa: S308 - sanitized

    @admin.display(description=_("mail deliveries"))
    def delivery_states(self, obj: Briefing):
        key = about_key(obj)
        counts = dict(
            Delivery.objects.filter(kind=services.BRIEFING_KIND, about=key)
            .values_list("state")
            .annotate(n=Count("pk"))
        )
        if not counts:
            return _("No mail (a draft, or nobody was subscribed).")
        url = (
            reverse("admin:mail_delivery_changelist")
            + f"?kind={services.BRIEFING_KIND}&about={key}"
        )
        summary = ", ".join(
            f"{Delivery.State(state).label}: {n}" for state, n in sorted(counts.items())
        )
        return format_html('{} — <a href="{}">{}</a>', summary, url, _("see the deliveries"))


@admin.register(BriefingSubscription)
class BriefingSubscriptionAdmin(ReadOnlyAdmin):
    """People subscribe themselves (group page, mail settings); never staff for them."""

    list_display = ["user", "group", "created_at"]
    list_filter = ["group"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user", "group"]
