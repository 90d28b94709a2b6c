from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# A list id names a list, or one of a family's (``briefings-`` and a group's slug, up to 80).
LIST_ID_MAX = 100


class Delivery(models.Model):
    """One mail to one person about one thing (and, for digests, one period).

    The unique constraints are what make delivery exactly-once: a second delivery of the
    same thing to the same person cannot be written, whoever tries. Mail to an address
    without an account (an invitation, a password reset asked for an unknown address) has
    no recipient: it is unique per address instead, and is never list mail.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped (unsubscribed)")

    # Not indexed alone: the unique constraint's index starts with the recipient. Every
    # index costs each of the 20,000 rows of a digest an insert and two updates.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=64)
    about = models.CharField(
        _("about"),
        max_length=120,
        help_text=_("What the mail is about, e.g. consortia.membership:42"),
    )
    period = models.CharField(_("period"), max_length=32, blank=True, default="")
    list_id = models.CharField(_("list"), max_length=LIST_ID_MAX)
    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text part"))
    body_html = models.TextField(_("HTML part"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    # More headers of this mail, {name: value}: a forum post's Message-ID, In-Reply-To and
    # References, so mail programs thread it (null: none; a digest's raw insert leaves it).
    headers = models.JSONField(_("headers"), null=True, blank=True)
    # Digests: the body is assembled at send time from the run's shared sections (the same
    # for every subscriber of a forum) in the order ``parts`` names them; body_text and
    # body_html stay empty. Storing 20,000 copies of the same sections would be the cost.
    # Not indexed: nothing looks deliveries up by their run (its progress is counted on
    # the run), and an index here cost each of a digest's rows three index writes.
    digest_run = models.ForeignKey(
        "mail.DigestRun",
        verbose_name=_("digest run"),
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    parts = models.TextField(_("digest parts"), blank=True)
    # The delivery state machine (mail.services, "Sending"): pending until a send task
    # claims it (sending), then sent, skipped (unsubscribed), pending again (an attempt
    # failed) or failed (refused for good, or MAIL_MAX_ATTEMPTS attempts); a pending one is
    # due when its next attempt time has come and no send task holds it.
    state = models.CharField(  # indexed with queued_at (delivery_state_queued)
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Handed to a send task at this time; None when no task holds it (never handed over,
    # the broker refused, or an attempt failed and the sweep is to hand it over again).
    queued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        permissions = [("resend_delivery", _("Can send failed deliveries again"))]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "about", "period"], name="delivery_once_per_recipient"
            ),
            models.UniqueConstraint(
                fields=["to_email", "kind", "about", "period"],
                condition=models.Q(recipient__isnull=True),
                name="delivery_once_per_address",
            ),
            # Kept in step with mail.services.ACCOUNT_LIST.
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | models.Q(list_id="account"),
                name="delivery_without_recipient_is_account_mail",
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
    list_id = models.CharField(_("list"), max_length=LIST_ID_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("unsubscription")
        verbose_name_plural = _("unsubscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "list_id"], name="unsubscription_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ✕ {self.list_id}"


class DigestRun(models.Model):
    """One run of a digest (e.g. the daily forum digest of 2026-11-23) and its progress.

    The run fixes its window [since, until): a rerun of the same period covers the same
    posts, and the next period starts where this one ended, so nothing falls between two
    digests even when a day is missed.
    """

    kind = models.CharField(_("kind"), max_length=64)
    period = models.CharField(_("period"), max_length=32)
    since = models.DateTimeField(_("since"))
    until = models.DateTimeField(_("until"))
    total = models.PositiveIntegerField(_("deliveries"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    built_at = models.DateTimeField(_("all deliveries written"), null=True, blank=True)
    # Building goes through the recipients in id order, a batch a transaction. Each batch
    # moves the cursor (the last recipient written) and ``progressed_at`` with its rows: a
    # run whose worker died stops moving, and beat's sweep hands it to ``resume_task``
    # (a task name, given the run's id), which goes on after the cursor.
    cursor = models.BigIntegerField(_("written up to recipient"), default=0)
    progressed_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    resume_task = models.CharField(_("resumed by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("digest run")
        verbose_name_plural = _("digest runs")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period"], name="digest_run_once_per_period"),
            models.CheckConstraint(
                condition=models.Q(since__lt=models.F("until")), name="digest_run_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period}"

    @property
    def progress(self) -> str:
        if not self.total:
            return "0/0"
        return f"{self.sent}/{self.total} ({100 * self.sent // self.total}%)"


class DigestSection(models.Model):
    """A piece of a digest rendered once per run and language, shared by its recipients."""

    run = models.ForeignKey(DigestRun, on_delete=models.CASCADE, related_name="sections")
    language = models.CharField(max_length=10)
    key = models.CharField(max_length=64)
    text = models.TextField()
    html = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "language", "key"], name="digest_section_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.language}/{self.key}"


class BounceScore(models.Model):
    """Mail to an address that came back, scored as Mailman does: a hard bounce counts 1,
    a soft one 0.5, at most one a day; a score left alone for MAIL_BOUNCE_STALE_DAYS starts
    again from nothing; at MAIL_BOUNCE_THRESHOLD list mail to the address stops
    (``disabled_at``) until its owner or staff turn it on again."""

    email = models.EmailField(_("address"), max_length=320, unique=True)  # lower case
    score = models.FloatField(_("bounce score"), default=0)
    bounces = models.PositiveIntegerField(_("bounces counted"), default=0)
    last_bounce_at = models.DateTimeField(_("last bounce"))
    last_reason = models.CharField(_("last reason"), max_length=255, blank=True)
    disabled_at = models.DateTimeField(_("delivery stopped"), null=True, blank=True)

    class Meta:
        verbose_name = _("bouncing address")
        verbose_name_plural = _("bouncing addresses")
        permissions = [("enable_bouncing_address", _("Can turn mail on again for an address"))]

    def __str__(self) -> str:
        return f"{self.email} ({self.score:g})"
