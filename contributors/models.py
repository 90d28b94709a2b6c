"""Contributors and governance: levels, contributions, groups, OST nominations, the agreement.

Every state change goes through ``contributors.services``; the constraints below hold the
rules a database can hold (one open nomination per nominee, one vote per member, a reject
needs a reason, OST only on an allowed basis).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.identifiers import validate_orcid


class Level(models.TextChoices):
    USER = "user", _("User")
    CONTRIBUTOR = "contributor", _("Technical contributor")
    OST = "ost", _("Open source team member")


# The levels whose profiles everyone sees (a user's own only they and staff see).
PUBLIC_LEVELS = (Level.CONTRIBUTOR, Level.OST)


class Profile(models.Model):
    """A person's level in the technical community (a person without a profile is a user)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="contributor_profile",
        verbose_name=_("person"),
    )
    level = models.CharField(
        _("level"), max_length=16, choices=Level.choices, default=Level.USER, db_index=True
    )
    level_since = models.DateTimeField(_("level since"), default=timezone.now)

    class Meta:
        verbose_name = _("contributor profile")
        verbose_name_plural = _("contributor profiles")
        ordering = ["user__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_level_display()})"


class LevelChange(models.Model):
    """Who changed a person's level, when and why: the history shown on the profile."""

    class Basis(models.TextChoices):
        CONTRIBUTION_VERIFIED = "contribution_verified", _("A first contribution was verified")
        STAFF_DECISION = "staff_decision", _("Set by ORCID staff")
        AGREEMENT_SIGNED = "agreement_signed", _("Nomination approved and agreement signed")
        DEVELOPMENT_STAFF = "development_staff", _("ORCID development staff")
        VENDOR = "vendor", _("Vendor contracted for development")

    OST_BASES = (Basis.AGREEMENT_SIGNED, Basis.DEVELOPMENT_STAFF, Basis.VENDOR)
    # OST members on these bases have no vote on nominations.
    NON_VOTING_OST_BASES = (Basis.DEVELOPMENT_STAFF, Basis.VENDOR)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="level_changes",
        verbose_name=_("person"),
    )
    from_level = models.CharField(_("from"), max_length=16, choices=Level.choices)
    to_level = models.CharField(_("to"), max_length=16, choices=Level.choices)
    basis = models.CharField(_("basis"), max_length=32, choices=Basis.choices)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        permissions = [
            ("record_staff_level", "Can mark ORCID development staff and contracted vendors"),
        ]
        ordering = ["-changed_at", "-pk"]
        constraints = [
            # OST membership comes only from a signed agreement or a staff marking.
            models.CheckConstraint(
                condition=~Q(to_level="ost")
                | Q(basis__in=["agreement_signed", "development_staff", "vendor"]),
                name="levelchange_ost_only_on_allowed_basis",
            ),
            # A staff marking without a vote must say why.
            models.CheckConstraint(
                condition=~Q(basis__in=["development_staff", "vendor", "staff_decision"])
                | ~Q(reason=""),
                name="levelchange_staff_marking_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.from_level} → {self.to_level}"


class Contribution(models.Model):
    class Kind(models.TextChoices):
        FORUM = "forum", _("Forum participation")
        PATCH = "patch", _("Patch or pull request")
        DOCUMENTATION = "documentation", _("Documentation")
        HELP = "help", _("Help to others")
        TALK = "talk", _("Talk at an outreach meeting")

    class QuerySet(models.QuerySet):
        def verified(self):
            return self.filter(verified_at__isnull=False)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contributions",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    link = models.URLField(_("link"), blank=True)
    date = models.DateField(_("date"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    objects = QuerySet.as_manager()

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        permissions = [
            ("verify_contribution", "Can verify contributions"),
        ]
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["user", "kind"], name="contribution_user_kind")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class Group(models.Model):
    """The technical steering group or a technical working group."""

    class Kind(models.TextChoices):
        STEERING = "steering", _("Technical steering group")
        WORKING = "working", _("Technical working group")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    purpose = models.TextField(_("purpose"), blank=True, help_text=_("Markdown."))
    deliverables = models.TextField(
        _("deliverables"), blank=True, help_text=_("Markdown; for working groups.")
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("Working groups have a fixed term.")
    )
    max_members = models.PositiveSmallIntegerField(_("size limit"), null=True, blank=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        permissions = [
            ("manage_groups", "Can appoint the members and chairs of the groups"),
        ]
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="steering"), name="group_one_steering_group"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gt=models.F("starts_on")),
                name="group_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("contributors:group_detail", args=[self.slug])

    @property
    def has_ended(self) -> bool:
        return bool(self.ends_on and self.ends_on < timezone.localdate())


def one_year_after(start: date) -> date:
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        return start + timedelta(days=365)


class MembershipQuerySet(models.QuerySet):
    def current(self, today: date | None = None):
        """Memberships whose term covers ``today``: an expired term no longer counts."""
        today = today or timezone.localdate()
        return self.filter(term_start__lte=today, term_end__gt=today)


class Membership(models.Model):
    """A person's term in a group; terms last one year and may be renewed with a new row."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        CHAIR = "chair", _("Chair")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="group_memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(
        _("term ends"),
        blank=True,
        help_text=_("The first day no longer in office; empty for one year after the start."),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        ordering = ["group", "-role", "user__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user", "term_start"], name="membership_one_term_per_start"
            ),
            models.CheckConstraint(
                condition=Q(term_end__gt=models.F("term_start")),
                name="membership_term_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.term_start}–{self.term_end})"

    def save(self, *args, **kwargs):
        if self.term_start and not self.term_end:
            self.term_end = one_year_after(self.term_start)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.term_start and not self.term_end:
            self.term_end = one_year_after(self.term_start)

    def is_current(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.term_start <= today < self.term_end


class NominationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=Nomination.State.OPEN)

    def decided(self):
        return self.filter(state__in=[Nomination.State.APPROVED, Nomination.State.REJECTED])


class Nomination(models.Model):
    """Staff nominate a technical contributor for the OST; the steering group decides."""

    class State(models.TextChoices):
        OPEN = "open", _("Open for votes")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    nominee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="nominations",
        verbose_name=_("nominee"),
    )
    rationale = models.TextField(_("rationale"), help_text=_("Why staff nominate this person."))
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("nominated by"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The tally at decision time, kept so the outcome never changes afterwards.
    roll_size = models.PositiveSmallIntegerField(_("voters on the roll"), null=True, blank=True)
    approvals = models.PositiveSmallIntegerField(_("approvals"), null=True, blank=True)
    rejections = models.PositiveSmallIntegerField(_("rejections"), null=True, blank=True)
    abstentions = models.PositiveSmallIntegerField(_("abstentions"), null=True, blank=True)

    objects = NominationQuerySet.as_manager()

    class Meta:
        verbose_name = _("OST nomination")
        verbose_name_plural = _("OST nominations")
        permissions = [
            ("nominate", "Can nominate people for the open source team"),
        ]
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["nominee"],
                condition=Q(state="open"),
                name="nomination_one_open_per_nominee",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("opened_at")),
                name="nomination_deadline_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(state="open") | Q(decided_at__isnull=False),
                name="nomination_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return str(_("OST nomination of %(name)s") % {"name": self.nominee})

    def get_absolute_url(self) -> str:
        return reverse("contributors:nomination_review", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def voting_closed(self, now=None) -> bool:
        return not self.is_open or (now or timezone.now()) >= self.deadline


class RollEntry(models.Model):
    """One voter of a nomination's roll, frozen when the nomination opened."""

    nomination = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, related_name="roll", verbose_name=_("nomination")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="nomination_roll_entries",
        verbose_name=_("voter"),
    )
    recused_at = models.DateTimeField(_("recused at"), null=True, blank=True)
    recusal_reason = models.TextField(_("recusal reason"), blank=True)

    class Meta:
        verbose_name = _("voter roll entry")
        verbose_name_plural = _("voter roll")
        ordering = ["voter__name"]
        constraints = [
            models.UniqueConstraint(fields=["nomination", "voter"], name="roll_one_entry_per_voter")
        ]

    def __str__(self) -> str:
        return str(self.voter)


class Vote(models.Model):
    class Choice(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        ABSTAIN = "abstain", _("Abstain")

    nomination = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, related_name="votes", verbose_name=_("nomination")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="nomination_votes",
        verbose_name=_("voter"),
    )
    choice = models.CharField(_("vote"), max_length=8, choices=Choice.choices)
    comment = models.TextField(_("comment"), blank=True)
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["cast_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["nomination", "voter"], name="vote_one_per_member"),
            models.CheckConstraint(
                condition=~Q(choice="reject") | ~Q(comment=""), name="vote_reject_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter}: {self.choice}"


class NominationEvent(models.Model):
    """The audit trail of a nomination: every state change and vote, never edited."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        VOTED = "voted", _("Voted")
        VOTE_CHANGED = "vote_changed", _("Changed their vote")
        RECUSED = "recused", _("Recused")
        DECIDED = "decided", _("Decided")
        SIGNED = "signed", _("Signed the agreement")

    nomination = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, related_name="events", verbose_name=_("nomination")
    )
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    detail = models.TextField(_("detail"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("nomination event")
        verbose_name_plural = _("nomination audit trail")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def choice_label(self) -> str:
        choice = (self.data or {}).get("choice")
        return Vote.Choice(choice).label if choice in Vote.Choice.values else ""


class AgreementQuerySet(models.QuerySet):
    def current(self, now=None) -> Agreement | None:
        return (
            self.filter(published_at__lte=now or timezone.now()).order_by("-published_at").first()
        )


class Agreement(models.Model):
    """A version of the OST agreement on development processes and policies."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown."))
    published_at = models.DateTimeField(
        _("in force from"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a draft. The latest version in force is the one signed."),
    )

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("OST agreement")
        verbose_name_plural = _("OST agreements")
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class Signature(models.Model):
    """An approved nominee's signature of one agreement version: what makes them OST."""

    nomination = models.OneToOneField(
        Nomination,
        on_delete=models.PROTECT,
        related_name="signature",
        verbose_name=_("nomination"),
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agreement_signatures",
        verbose_name=_("signer"),
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("agreement")
    )
    full_name = models.CharField(_("full name as typed"), max_length=200)
    # Who signed, as ORCID knows them: the signer's verified iD when they signed (blank on
    # signatures from before an iD had to be proved).
    orcid_id = models.CharField(
        _("ORCID iD"), max_length=19, blank=True, validators=[validate_orcid]
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement signature")
        verbose_name_plural = _("agreement signatures")
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["signer", "agreement"], name="signature_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} — {self.agreement.version}"


# --- Briefings ----------------------------------------------------------------------------


class BriefingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def drafts(self):
        return self.filter(published_at__isnull=True)


class Briefing(models.Model):
    """A group chair's account of the group's activities, mailed to its subscribers once.

    A draft until ``published_at`` is set; publishing is final (the mail has gone out).
    """

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="briefings", verbose_name=_("group")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="briefings",
        verbose_name=_("author"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown."))
    # Rendered and sanitized by the services (core.markdown) whenever the body changes.
    body_html = models.TextField(_("text as HTML"), editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = BriefingQuerySet.as_manager()

    class Meta:
        verbose_name = _("briefing")
        verbose_name_plural = _("briefings")
        permissions = [
            ("write_any_briefing", "Can write and publish briefings of any group"),
        ]
        ordering = ["-published_at", "-created_at", "-pk"]
        indexes = [
            models.Index(fields=["group", "-published_at"], name="briefing_group_published"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="briefing_has_title"),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(published_by__isnull=False),
                name="briefing_published_has_publisher",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("contributors:briefing_detail", args=[self.group.slug, self.pk])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class BriefingSubscription(models.Model):
    """A person receives the briefings of one group by mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="briefing_subscriptions",
        verbose_name=_("person"),
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        related_name="briefing_subscriptions",
        verbose_name=_("group"),
    )
    created_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("briefing subscription")
        verbose_name_plural = _("briefing subscriptions")
        ordering = ["group", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="briefing_subscription_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.group}"
