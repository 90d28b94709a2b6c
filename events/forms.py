"""Forms show the rules; the services are the rules."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.identifiers import normalize_orcid
from core.regions import Region
from events.models import Meeting

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class RegionFilterForm(forms.Form):
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        choices=[("", _("All regions")), *Region.choices],
    )


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    abstract = forms.CharField(
        label=_("Abstract"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What the session is about and who it is for. Markdown."),
    )
    co_speakers = forms.CharField(
        label=_("Other speakers (ORCID iDs)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Optional: the ORCID iDs of up to four people who give the session with you, "
            "one per line. Each must have connected their ORCID iD on the portal."
        ),
    )

    def clean_co_speakers(self) -> list[User]:
        raw = [part for part in re.split(r"[\s,;]+", self.cleaned_data["co_speakers"]) if part]
        ids = []
        for value in raw:
            try:
                ids.append(normalize_orcid(value))
            except ValidationError as exc:
                raise ValidationError(
                    _("“%(value)s” is not an ORCID iD."), params={"value": value}
                ) from exc
        # User.orcid_id holds verified iDs only: a typed one names nobody.
        people = {u.orcid_id: u for u in User.objects.filter(orcid_id__in=ids, is_active=True)}
        unknown = [i for i in ids if i not in people]
        if unknown:
            raise ValidationError(
                _("No one on the portal has connected the ORCID iD %(ids)s."),
                params={"ids": ", ".join(unknown)},
            )
        return [people[i] for i in dict.fromkeys(ids)]


class MeetingTimeForm(forms.Form):
    """Times typed in the meeting's own time zone, whatever the reviewer's is."""

    def __init__(self, *args, meeting: Meeting, **kwargs):
        self.meeting = meeting
        super().__init__(*args, **kwargs)

    def full_clean(self):
        with timezone.override(self.meeting.tz):
            super().full_clean()


def _slot_field(label):
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class AcceptForm(MeetingTimeForm):
    starts_at = _slot_field(_("Starts at"))
    ends_at = _slot_field(_("Ends at"))
    room = forms.CharField(label=_("Room or stream"), max_length=100)
    note = forms.CharField(
        label=_("Note to the speakers"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].help_text = _("In the meeting's time zone, %(tz)s.") % {
            "tz": self.meeting.time_zone
        }
        self.fields["ends_at"].help_text = self.fields["starts_at"].help_text


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=_("Why the proposal is declined"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The speakers receive this note by email."),
    )


class SlidesForm(forms.Form):
    slides_url = forms.URLField(label=_("Slides link"), max_length=200, assume_scheme="https")
