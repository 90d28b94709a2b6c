from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Delivery(models.Model):
    """One mail to one person about one thing (and, for digests, one period).

    The unique constraint is what makes delivery exactly-once: a second delivery of the
    same thing to the same person cannot be written, whoever tries.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped (unsubscribed)")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("kind"), max_length=64)
    about = models.CharField(
        _("about"),
        max_length=120,
        help_text=_("What the mail is about, e.g. consortia.membership:42"),
    )
    period = models.CharField(_("period"), max_length=32, blank=True, default="")
    list_id = models.CharField(_("list"), max_length=64)
    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text part"))
    body_html = models.TextField(_("HTML part"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    queued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "about", "period"], name="delivery_once_per_recipient"
            ),
        ]
        indexes = [models.Index(fields=["state", "queued_at"], name="delivery_state_queued")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_email} ({self.state})"


class Unsubscription(models.Model):
    """A person asked for no more mail of one list (one click from any mail of it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unsubscriptions"
    )
    list_id = models.CharField(_("list"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("unsubscription")
        verbose_name_plural = _("unsubscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "list_id"], name="unsubscription_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ✕ {self.list_id}"
