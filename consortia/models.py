"""Consortia: organizations, consortia, memberships, the onboarding checklist, documents
and progress reports (see shared/DOMAIN.md, Consortia)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from consortia.regions import Region
from core.identifiers import ror_url, validate_ror

# Slugs a consortium may not take: they are pages of the app.
RESERVED_SLUGS = frozenset({"propose", "mine", "map"})


def documents_storage():
    """The private storage of consortium documents (``STORAGES["documents"]``)."""
    return storages["documents"]


class Organization(models.Model):
    """A research organization, identified by its ROR ID when it has one."""

    class Type(models.TextChoices):
        HIGHER_EDUCATION = "higher_education", _("Higher education")
        NON_PROFIT = "non_profit", _("Non-profit")
        GOVERNMENT = "government", _("Government research or funding body")
        COMPANY = "company", _("Company")
        OTHER = "other", _("Other")

    NOT_FOR_PROFIT_TYPES = (Type.HIGHER_EDUCATION, Type.NON_PROFIT, Type.GOVERNMENT)

    name = models.CharField(_("name"), max_length=200)
    ror_id = models.CharField(
        _("ROR ID"),
        max_length=9,
        blank=True,
        validators=[validate_ror],
        help_text=_("The organization's ROR ID, like 02mhbdp94."),
    )
    country = CountryField(_("country"), db_index=True)
    org_type = models.CharField(_("organization type"), max_length=20, choices=Type.choices)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ror_id"], condition=~Q(ror_id=""), name="organization_unique_ror_id"
            ),
            models.CheckConstraint(
                condition=Q(ror_id="") | Q(ror_id__regex=r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$"),
                name="organization_ror_id_format",
            ),
        ]
        indexes = [models.Index(fields=["name"], name="organization_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_not_for_profit(self) -> bool:
        return self.org_type in self.NOT_FOR_PROFIT_TYPES

    @property
    def ror_url(self) -> str:
        return ror_url(self.ror_id) if self.ror_id else ""


class OrganizationContact(models.Model):
    """A person who acts for an organization, in one of the roles of DOMAIN.md."""

    class Role(models.TextChoices):
        SIGNATORY = "signatory", _("Agreement signatory")
        MAIN = "main", _("Main relationship contact")
        VOTING = "voting", _("Voting contact")
        TECHNICAL = "technical", _("Technical contact")
        INVOICE = "invoice", _("Invoice contact")
        COMMUNICATIONS = "communications", _("Communications contact")
        PRODUCT = "product", _("Product contact")
        OTHER = "other", _("Other")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organization_contacts"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MAIN)

    class Meta:
        verbose_name = _("organization contact")
        verbose_name_plural = _("organization contacts")
        ordering = ["organization__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "role"], name="organization_contact_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organization})"


class ConsortiumQuerySet(models.QuerySet):
    def with_member_count(self):
        return self.annotate(
            member_count=Count("memberships", filter=Q(memberships__state=Membership.State.ACTIVE))
        )


class Consortium(models.Model):
    """A group of five or more not-for-profit organizations with one lead organization."""

    class Kind(models.TextChoices):
        NATIONAL = "national", _("National")
        REGIONAL = "regional", _("Regional")

    class Status(models.TextChoices):
        FORMING = "forming", _("Forming")
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.CharField(
        _("ORCID region"),
        max_length=10,
        choices=Region.choices,
        help_text=_("Derived from the consortium's countries."),
    )
    lead_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="led_consortia",
        verbose_name=_("lead organization"),
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    website = models.URLField(_("website"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.FORMING
    )
    below_minimum = models.BooleanField(
        _("below minimum"),
        default=False,
        help_text=_("An active consortium that no longer meets the membership minimum."),
    )
    below_minimum_since = models.DateTimeField(_("below minimum since"), null=True, blank=True)
    agreement_finalized_at = models.DateTimeField(_("agreement finalized"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ConsortiumQuerySet.as_manager()

    class Meta:
        verbose_name = _("consortium")
        verbose_name_plural = _("consortia")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["region", "name"], name="consortium_region_name"),
            models.Index(fields=["status", "name"], name="consortium_status_name"),
            models.Index(fields=["kind", "name"], name="consortium_kind_name"),
            models.Index(fields=["name"], name="consortium_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(below_minimum=False) | Q(status="active"),
                name="consortium_below_minimum_only_when_active",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("consortia:detail", kwargs={"slug": self.slug})


class ConsortiumCountry(models.Model):
    """A country a consortium serves; a row each, so the directory can filter on an index."""

    consortium = models.ForeignKey(
        Consortium, on_delete=models.CASCADE, related_name="country_links"
    )
    country = CountryField(_("country"))

    class Meta:
        verbose_name = _("consortium country")
        verbose_name_plural = _("consortium countries")
        ordering = ["country"]
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "country"], name="consortium_country_once"
            ),
        ]
        indexes = [models.Index(fields=["country", "consortium"], name="consortium_country_idx")]

    def __str__(self) -> str:
        return f"{self.consortium}: {self.country.name}"


class ConsortiumContact(models.Model):
    """A lead contact: a person of the lead organization who manages the consortium."""

    class Role(models.TextChoices):
        MAIN = "main", _("Main contact")
        SUPPORT = "support", _("Support contact")
        STAFF = "staff", _("Community management staff")

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="contacts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consortium_contacts"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("lead contact")
        verbose_name_plural = _("lead contacts")
        ordering = ["role", "user__name"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "user"], name="consortium_contact_once"),
            # One main and one support contact per consortium.
            models.UniqueConstraint(
                fields=["consortium"], condition=Q(role="main"), name="consortium_one_main_contact"
            ),
            models.UniqueConstraint(
                fields=["consortium"],
                condition=Q(role="support"),
                name="consortium_one_support_contact",
            ),
        ]
        indexes = [models.Index(fields=["user", "consortium"], name="consortium_contact_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.consortium})"


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state=Membership.State.ACTIVE)

    def pending(self):
        return self.filter(state=Membership.State.REQUESTED)


class Membership(models.Model):
    """An organization in a consortium: requested → active / declined; active → left."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        LEFT = "left", _("Left")

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    message = models.TextField(_("message"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="membership_requests",
        verbose_name=_("requested by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-created_at"]
        constraints = [
            # An organization is an active member of at most one consortium.
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(state="active"),
                name="membership_one_active_per_organization",
            ),
            # At most one pending request per organization and consortium.
            models.UniqueConstraint(
                fields=["organization", "consortium"],
                condition=Q(state="requested"),
                name="membership_one_pending_request",
            ),
        ]
        indexes = [
            models.Index(fields=["consortium", "state"], name="membership_consortium_state"),
            models.Index(fields=["organization", "state"], name="membership_org_state"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} in {self.consortium} ({self.get_state_display()})"


class ChecklistItem(models.Model):
    """One criterion of the onboarding checklist; the list itself is data, edited by staff."""

    class Phase(models.TextChoices):
        PRE_AGREEMENT = "pre", _("Before the agreement")
        POST_SIGNING = "post", _("Within three months of signing")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    phase = models.CharField(_("phase"), max_length=4, choices=Phase.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("in use"), default=True, help_text=_("Items no longer in use are not required.")
    )

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["phase", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class ChecklistEntry(models.Model):
    """Where one consortium stands on one checklist item: done or not, by whom, when."""

    consortium = models.ForeignKey(
        Consortium, on_delete=models.CASCADE, related_name="checklist_entries"
    )
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="entries")
    done = models.BooleanField(_("done"), default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    document = models.ForeignKey(
        "Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("checklist entry")
        verbose_name_plural = _("checklist entries")
        ordering = ["item__phase", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["consortium", "item"], name="checklist_entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.consortium}: {self.item} ({'done' if self.done else 'open'})"


class Document(models.Model):
    """A file of a consortium's document repository, served only through a checking view."""

    class Visibility(models.TextChoices):
        MEMBERS = "members", _("Members of the consortium")
        PUBLIC = "public", _("Public")

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), storage=documents_storage, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [
            models.Index(fields=["consortium", "visibility"], name="document_consortium_vis"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("consortia:document", kwargs={"slug": self.consortium.slug, "pk": self.pk})


class ProgressReport(models.Model):
    """A progress report of the lead organization to the members (Markdown)."""

    consortium = models.ForeignKey(
        Consortium, on_delete=models.CASCADE, related_name="progress_reports"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("report"), help_text=_("Markdown."))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["consortium", "-published_at"], name="report_consortium_date"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("consortia:report", kwargs={"slug": self.consortium.slug, "pk": self.pk})
