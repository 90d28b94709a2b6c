"""Outreach meetings, their technical sessions (proposed, reviewed, held) and sign-ups.

Every state change goes through ``events.services``. The database holds what it can:
one registration per person and meeting, one speaker row per person and session, a
meeting ends after it starts and has a place or an online link.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.regions import Region


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone (e.g. Europe/Berlin)."),
            params={"value": value},
            code="invalid_time_zone",
        )


class MeetingQuerySet(models.QuerySet):
    def upcoming(self, now: datetime | None = None):
        """Meetings that have not ended yet (one in progress is still upcoming)."""
        return self.filter(ends_at__gt=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now: datetime | None = None):
        return self.filter(ends_at__lte=now or timezone.now()).order_by("-starts_at", "-pk")


class Meeting(models.Model):
    """An ORCID outreach meeting, in one region and one time zone."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    region = models.CharField(_("region"), max_length=16, choices=Region.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("Where the meeting takes place, e.g. America/Mexico_City."),
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    capacity = models.PositiveIntegerField(_("capacity"))
    call_opens_at = models.DateTimeField(_("call for sessions opens"), null=True, blank=True)
    call_closes_at = models.DateTimeField(_("call for sessions closes"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("outreach meeting")
        verbose_name_plural = _("outreach meetings")
        permissions = [
            ("manage_programme", "Can manage the programme of outreach meetings"),
        ]
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(online_url=""), name="meeting_has_place_or_link"
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="meeting_capacity_positive"),
            models.CheckConstraint(
                condition=Q(call_opens_at__isnull=True)
                | Q(call_closes_at__isnull=True)
                | Q(call_closes_at__gt=models.F("call_opens_at")),
                name="meeting_call_closes_after_opening",
            ),
        ]
        indexes = [models.Index(fields=["ends_at"], name="meeting_ends_at")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.slug])

    def clean(self) -> None:
        super().clean()
        if self.call_closes_at and self.starts_at and self.call_closes_at > self.starts_at:
            raise ValidationError(
                {"call_closes_at": _("The call for sessions closes before the meeting starts.")}
            )

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def has_ended(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.ends_at

    def call_is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return bool(
            self.call_opens_at
            and self.call_closes_at
            and self.call_opens_at <= now < self.call_closes_at
        )


class SessionQuerySet(models.QuerySet):
    def on_programme(self):
        return self.filter(state__in=[Session.State.ACCEPTED, Session.State.HELD])

    def awaiting_review(self):
        return self.filter(state=Session.State.PROPOSED)


class Session(models.Model):
    """A technical session: proposed in the call, accepted onto the programme, then held."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        HELD = "held", _("Held")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("meeting")
    )
    title = models.CharField(_("title"), max_length=200)
    abstract = models.TextField(_("abstract"), help_text=_("Markdown."))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED, db_index=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    room = models.CharField(_("room or stream"), max_length=100, blank=True)
    slides_url = models.URLField(_("slides link"), blank=True)
    review_note = models.TextField(_("note to the speakers"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    held_at = models.DateTimeField(_("marked as held at"), null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("technical session")
        verbose_name_plural = _("technical sessions")
        permissions = [
            ("review_sessions", "Can review session proposals"),
        ]
        ordering = ["starts_at", "room", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="session_slot_ends_after_start",
            ),
            # On the programme means a time slot and a room.
            models.CheckConstraint(
                condition=~Q(state__in=["accepted", "held"])
                | (Q(starts_at__isnull=False) & ~Q(room="")),
                name="session_scheduled_has_slot_and_room",
            ),
            # A declined proposal says why.
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(review_note=""),
                name="session_declined_has_note",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "room", "starts_at"], name="session_room_slot")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:session", args=[self.meeting.slug, self.pk])

    @property
    def is_on_programme(self) -> bool:
        return self.state in (self.State.ACCEPTED, self.State.HELD)


class Speaker(models.Model):
    """A person giving a session; ``contribution_id`` is their talk once it was held."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="speakers", verbose_name=_("session")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="event_talks",
        verbose_name=_("speaker"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The contributors app owns the row; we keep its id so marking twice adds nothing.
    contribution_id = models.PositiveIntegerField(_("contribution"), null=True, blank=True)

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="speaker_once_per_session")
        ]

    def __str__(self) -> str:
        return str(self.user)


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(state=Registration.State.CANCELLED)


class Registration(models.Model):
    """A person's sign-up for a meeting: a seat, a place on the waiting list, or cancelled."""

    class State(models.TextChoices):
        CONFIRMED = "confirmed", _("Registered")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("meeting")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="event_registrations",
        verbose_name=_("person"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    # Waiting-list order: the earliest sign-up (or re-sign-up) moves up first.
    signed_up_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    promoted_at = models.DateTimeField(_("moved up at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["signed_up_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"], name="registration_once_per_person_and_meeting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.meeting} ({self.state})"
