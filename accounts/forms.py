import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ProfileForm(forms.ModelForm):
    """What a person may say about themselves. Not their ORCID iD: that is proved by
    signing in with ORCID (Connected accounts), never typed."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=[("", _("UTC (default)"))]
        + [(tz, tz) for tz in sorted(zoneinfo.available_timezones())],
        help_text=_("Dates and times are shown in this time zone."),
    )

    class Meta:
        model = User
        fields = ["name", "affiliation", "language", "time_zone"]


class OrcidConflictForm(forms.Form):
    note = forms.CharField(
        label=_("Anything ORCID staff should know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
