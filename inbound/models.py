from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundMessage(models.Model):
    """One mail received by the gateway (or ``receive_mail``): what became of it, and the
    mail itself as it came, for moderators. Unique per Message-ID, so a mail delivered
    twice is processed once."""

    class Outcome(models.TextChoices):
        POSTED = "posted", _("posted")
        DROPPED = "dropped", _("dropped (automatic mail or a loop)")
        REFUSED = "refused", _("refused")
        BOUNCE = "bounce", _("bounce (counted against the address)")

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    recipient = models.CharField(_("to"), max_length=320)
    envelope_from = models.CharField(_("envelope sender"), max_length=320, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    raw = models.BinaryField(_("original mail"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    post = models.ForeignKey(
        "forums.Post",
        verbose_name=_("post"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("received mail")
        verbose_name_plural = _("received mail")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.outcome})"
