import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.identifiers import normalize_orcid


class ProfileForm(forms.ModelForm):
    orcid_id = forms.CharField(
        label=_("ORCID iD"),
        required=False,
        max_length=60,
        help_text=_("Bare (0000-0002-1825-0097) or as a link (https://orcid.org/…)."),
    )

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=[("", _("UTC (default)"))]
        + [(tz, tz) for tz in sorted(zoneinfo.available_timezones())],
        help_text=_("Dates and times are shown in this time zone."),
    )

    class Meta:
        model = User
        fields = ["name", "orcid_id", "affiliation", "language", "time_zone"]

    def clean_orcid_id(self) -> str | None:
        value = self.cleaned_data.get("orcid_id", "").strip()
        if not value:
            return None
        # Uniqueness is checked by the model form against the unique constraint.
        return normalize_orcid(value)
