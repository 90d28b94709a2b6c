import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.identifiers import orcid_url, validate_orcid


class UserManager(DjangoUserManager):
    """Users sign in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person of the portal. Their profile (name, ORCID iD, affiliation) lives here.

    ``orcid_id`` is only ever an iD the person proved by signing in with ORCID: the uid of
    their ORCID account in allauth (``SocialAccount``), recorded by
    ``accounts.services.user_orcid_connect`` and cleared when that account goes. No form
    writes it. An iD typed before that rule is kept in ``unverified_orcid_id`` and never
    shown. Every person has a public profile at ``get_absolute_url()``.
    """

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    orcid_id = models.CharField(
        _("ORCID iD"),
        max_length=19,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        validators=[validate_orcid],
        help_text=_("Proved by signing in with ORCID."),
    )
    unverified_orcid_id = models.CharField(
        _("unverified ORCID iD"),
        max_length=19,
        blank=True,
        editable=False,
        help_text=_("Typed on the profile before iDs had to be proved; never shown."),
    )
    # The address of the person's public profile when they have no verified iD: random,
    # so profiles cannot be walked by counting.
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The portal and its mail speak this language to you."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # Set when the person deleted their account (accounts.services.account_delete): the row
    # stays, emptied of everything personal, so that what the community keeps (posts,
    # votes in decided nominations, agreement signatures) still points somewhere.
    erased_at = models.DateTimeField(_("account deleted"), null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(orcid_id__isnull=True)
                | models.Q(orcid_id__regex=r"^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$"),
                name="user_orcid_id_format",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        """The name the portal shows: never made out of the email address (its local part
        is often the person's private handle), a neutral phrase when there is no name."""
        if self.erased_at is not None:
            return str(_("A former member"))
        return self.name or str(_("A portal member"))

    def get_absolute_url(self) -> str:
        """The public profile (contributors app): at the verified ORCID iD, else at an
        address that does not look like one."""
        if self.orcid_id:
            return reverse("contributors:profile", args=[self.orcid_id])
        return reverse("contributors:profile_by_public_id", args=[self.public_id])

    @property
    def orcid_url(self) -> str:
        return orcid_url(self.orcid_id) if self.orcid_id else ""


class DataExport(models.Model):
    """A person's request for a copy of their data, and the ZIP built for it.

    Built by a Celery task (accounts.services.data_export_build); the archive is kept in
    the row until ``expires_at`` (no file store to share between machines), served only to
    its owner (accounts.permissions.get_export_for_owner), then purged by beat.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be built")
        BUILDING = "building", _("being built")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    # Random: the id is in the link mailed to the person.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    parts_done = models.PositiveSmallIntegerField(_("parts done"), default=0)
    parts_total = models.PositiveSmallIntegerField(_("parts"), default=0)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    archive = models.BinaryField(_("archive"), blank=True, default=b"")

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at"]
        constraints = [
            # One request at a time: a second one waits until the first is built.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state__in=["pending", "building"]),
                name="data_export_one_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} ({self.state})"

    @property
    def in_progress(self) -> bool:
        return self.state in (self.State.PENDING, self.State.BUILDING)

    # A request still waiting or being built after this long is taken to be lost (its task
    # never ran or died): the page offers to ask again, which marks it failed.
    STALE_AFTER = timedelta(hours=1)

    @property
    def is_stale(self) -> bool:
        return self.in_progress and self.requested_at < timezone.now() - self.STALE_AFTER

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and (now or timezone.now()) >= self.expires_at
