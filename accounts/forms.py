import zoneinfo

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.hashers import make_password
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


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, asking for the name to show (saved by the account adapter).

    An address that already has an account is answered like a new one (allauth mails
    that address instead of creating an account); the password is hashed all the same,
    so the time of the answer does not tell either.
    """

    name = forms.CharField(
        label=_("Name to show"),
        max_length=200,
        help_text=_("How other people see you on the portal: your profile, forums, groups."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["name", "email"])

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the name to show."))
        return name

    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)


class AccountDeleteForm(forms.Form):
    """Deleting one's account: the password proves it is the person (an account without a
    password re-authenticates through ORCID first, allauth's reauthentication)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my personal data are deleted for good."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            del self.fields["password"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password
