from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from events import services
from events.models import Meeting, Registration, Session, Speaker


class SessionInline(admin.TabularInline):
    model = Session
    fields = ("title", "state", "starts_at", "ends_at", "room")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        # Sessions come through the call for sessions, where the room rule is checked.
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("title", "region", "starts_at", "time_zone", "capacity")
    list_filter = ("region",)
    search_fields = ("title", "place")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [SessionInline]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            # More seats: the waiting list moves up, with mail.
            services.meeting_fill_free_seats(meeting=obj)


class SpeakerInline(admin.TabularInline):
    model = Speaker
    fields = ("user", "position", "contribution_id")
    readonly_fields = ("user", "contribution_id")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class SessionAdminForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["title", "abstract", "proposed_at", "slides_url", "review_note"]

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
class SessionAdmin(admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ("title", "meeting", "state", "starts_at", "room")
    list_filter = ("state", "meeting")
    search_fields = ("title",)
    # The state, slot and room change through the review pages, where the rules are.
    readonly_fields = (
        "meeting",
        "state",
        "starts_at",
        "ends_at",
        "room",
        "proposed_by",
        "reviewed_by",
        "reviewed_at",
        "held_at",
    )
    inlines = [SpeakerInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("user", "meeting", "state", "signed_up_at", "promoted_at")
    list_filter = ("state", "meeting")
    search_fields = ("user__email", "user__name")
    readonly_fields = ("meeting", "user", "state", "signed_up_at", "promoted_at", "cancelled_at")

    def has_add_permission(self, request) -> bool:
        return False
