from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import permissions
from accounts.models import User
from accounts.services import account_delete
from core.errors import DomainError


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "orcid_id", "is_staff", "is_active"]
    actions = ["delete_account_on_request"]
    search_fields = ["email", "name", "orcid_id"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "orcid_id", "affiliation")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # The address changes where it is confirmed (allauth's email page); dates are facts;
        # the ORCID iD is proved by signing in with ORCID (Social accounts), never typed.
        fields = ["email", "orcid_id", "last_login", "date_joined"]
        if not request.user.is_superuser:
            # Staff powers are granted by superusers only: whoever may edit people must not
            # be able to give themselves (or anyone) a staff group or permission.
            fields += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return fields

    def has_delete_account_permission(self, request) -> bool:
        return permissions.can_delete_account(request.user, User())

    @admin.action(
        permissions=["delete_account"],
        description=_("Delete the selected accounts on their owners' request"),
    )
    def delete_account_on_request(self, request, queryset):
        """The same deletion as the person's own page (accounts.services.account_delete),
        refused for the same reasons; the person's history records who did it."""
        deleted = 0
        for user in queryset.filter(erased_at__isnull=True):
            try:
                account_delete(user=user, by=request.user, note="admin action")
            except DomainError as exc:
                details = " ".join(str(d) for d in exc.details)
                self.message_user(request, f"{user}: {exc.message} {details}", messages.ERROR)
            else:
                deleted += 1
        if deleted:
            self.message_user(
                request,
                ngettext("%(n)d account was deleted.", "%(n)d accounts were deleted.", deleted)
                % {"n": deleted},
                messages.SUCCESS,
            )
