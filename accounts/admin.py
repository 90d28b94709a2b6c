from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "orcid_id", "is_staff", "is_active"]
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
