from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import DomainErrorsAsMessages, ReadOnlyAdmin, ReadOnlyInline
from events import permissions, services
from events.models import Meeting, Registration, Session, Speaker


class ProgrammeStaffOnly:
    """Meetings and sessions are edited by holders of events.manage_programme."""

    def has_add_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_programme(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.can_manage_programme(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SessionInline(ReadOnlyInline):
    # Sessions come through the call for sessions, where the room rule is checked.
    model = Session
    fields = ("title", "state", "starts_at", "ends_at", "room")
    readonly_fields = fields
    show_change_link = True


@admin.register(Meeting)
class MeetingAdmin(ProgrammeStaffOnly, DomainErrorsAsMessages, admin.ModelAdmin):
    list_display = ("title", "region", "starts_at", "time_zone", "capacity")
    list_filter = ("region",)
    search_fields = ("title", "place")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [SessionInline]

    def save_model(self, request, obj, form, change) -> None:
        # More seats: the waiting list moves up, with mail.
        services.meeting_save(meeting=obj, by=request.user)


class SpeakerInline(ReadOnlyInline):
    model = Speaker
    fields = ("user", "position", "contribution_id")
    readonly_fields = fields


class SessionAdminForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["title", "abstract", "review_note"]

    def clean(self):
        data = super().clean()
        # The state is read-only here, so the form skips the constraint that needs it:
        # a declined proposal keeps its note to the speakers.
        if self.instance.state == Session.State.DECLINED and not data.get("review_note"):
            self.add_error(
                "review_note", ValidationError(_("Tell the speakers why the proposal is declined."))
            )
        return data


@admin.register(Session)
class SessionAdmin(ProgrammeStaffOnly, admin.ModelAdmin):
    """The words of a session are edited here; its state, slot, room and slides change
    through the review and session pages, where the rules are."""

    form = SessionAdminForm
    list_display = ("title", "meeting", "state", "starts_at", "room")
    list_filter = ("state", "meeting")
    search_fields = ("title",)
    readonly_fields = (
        "meeting",
        "state",
        "starts_at",
        "ends_at",
        "room",
        "proposed_at",
        "slides_url",
        "proposed_by",
        "reviewed_by",
        "reviewed_at",
        "held_at",
    )
    inlines = [SpeakerInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    """People sign up and cancel on the meeting's page (the seat rules, the waiting list)."""

    list_display = ("user", "meeting", "state", "signed_up_at", "promoted_at")
    list_filter = ("state", "meeting")
    search_fields = ("user__email", "user__name")
