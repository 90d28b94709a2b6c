import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.urls import reverse
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
