"""Received mail, for moderators: what became of each mail, and the mail as it came.
Written by the gateway only: staff read it here, never edit, add or delete it."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from inbound.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "from_address", "recipient", "subject", "outcome", "reason"]
    list_filter = ["outcome", "reason"]
    search_fields = ["from_address", "recipient", "subject", "message_id"]
    date_hierarchy = "received_at"
    list_select_related = ["user", "post"]
    exclude = ["raw"]
    readonly_fields = ["original"]

    @admin.display(description=_("original mail"))
    def original(self, obj: InboundMessage) -> str:
        # Shown as text in a read-only field (escaped by the admin), never as HTML.
        return bytes(obj.raw).decode("utf-8", "replace")
