"""Mail is written by the services and sent by the tasks: staff read it here, never edit,
add or delete it (a deleted delivery could be sent twice; an unsubscription is the
person's own choice). Failed deliveries can be sent again (an action, through the service)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdmin, error_text
from core.errors import DomainError
from mail import services
from mail.models import BounceScore, Delivery, DigestRun, Unsubscription
from mail.permissions import ENABLE_BOUNCING_ADDRESS, can_resend_deliveries


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "to_email",
        "about",
        "period",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    list_filter = ["state", "kind", "list_id"]
    search_fields = ["to_email", "about", "subject"]
    readonly_fields = ["digest_text"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    actions = ["resend"]

    def has_resend_permission(self, request) -> bool:
        return can_resend_deliveries(request.user)

    @admin.action(description=_("Send the failed deliveries again"), permissions=["resend"])
    def resend(self, request, queryset) -> None:
        try:
            count = services.deliveries_resend(
                by=request.user, delivery_ids=queryset.values_list("pk", flat=True)
            )
        except DomainError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d failed delivery is sent again.",
                    "%(count)d failed deliveries are sent again.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, _("None of the selected deliveries had failed."), messages.WARNING
            )

    @admin.display(description=_("digest as sent (text part)"))
    def digest_text(self, obj: Delivery) -> str:
        if not obj.digest_run_id:
            return "—"
        return services.digest_bodies(obj)[0]


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    """A running digest shows how far it is: deliveries sent out of those written so far."""

    list_display = [
        "kind",
        "period",
        "since",
        "until",
        "progress_shown",
        "progressed_at",
        "built_at",
        "created_at",
    ]
    list_filter = ["kind"]
    readonly_fields = ["progress_shown"]

    @admin.display(description=_("progress (sent / written)"))
    def progress_shown(self, obj: DigestRun) -> str:
        return obj.progress


@admin.register(Unsubscription)
class UnsubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["user", "list_id", "created_at"]
    search_fields = ["user__email", "list_id"]
    list_filter = ["list_id"]


@admin.register(BounceScore)
class BounceScoreAdmin(ReadOnlyAdmin):
    """Addresses whose mail came back (bounces): staff see the score and may turn list mail
    on again for a stopped address (through the service)."""

    list_display = ["email", "score", "bounces", "last_bounce_at", "disabled_at", "last_reason"]
    list_filter = [("disabled_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    actions = ["enable"]

    def has_enable_permission(self, request) -> bool:
        return request.user.has_perm(ENABLE_BOUNCING_ADDRESS)

    @admin.action(description=_("Turn mail on again"), permissions=["enable"])
    def enable(self, request, queryset) -> None:
        enabled = 0
        try:
            for email in queryset.values_list("email", flat=True):
                enabled += services.bounce_enable(by=request.user, email=email)
        except DomainError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "Mail is on again for %(count)d address.",
                "Mail is on again for %(count)d addresses.",
                enabled,
            )
            % {"count": enabled},
            messages.SUCCESS,
        )
