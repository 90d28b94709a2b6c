from django.contrib import admin

from mail.models import Delivery, Unsubscription


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "to_email",
        "about",
        "period",
        "state",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["state", "kind", "list_id"]
    search_fields = ["to_email", "about", "subject"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


@admin.register(Unsubscription)
class UnsubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "list_id", "created_at"]
    search_fields = ["user__email", "list_id"]
    list_filter = ["list_id"]
