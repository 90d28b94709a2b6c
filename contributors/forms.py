from django import forms
from django.utils.translation import gettext_lazy as _

from contributors.models import Contribution, Group, Vote


class ContributionForm(forms.ModelForm):
    class Meta:
        model = Contribution
        fields = ["kind", "title", "link", "date"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


class VoteForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Your vote"), choices=Vote.Choice.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when you reject: the reason is shared with the steering group."),
    )


class RecuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Conflict of interest"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recusing takes you off the voter roll of this nomination."),
    )


class SignForm(forms.Form):
    nomination = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.CharField(widget=forms.HiddenInput)
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        help_text=_("Typing your name is your signature."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    confirm = forms.BooleanField(
        label=_("I have read the agreement and accept it."), required=False
    )


class BriefingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Markdown: **bold**, *italic*, [links](https://orcid.org), lists, tables."),
    )


class BriefingChoicesForm(forms.Form):
    """The briefings section of the mail settings page: the groups a person follows."""

    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"), queryset=Group.objects.all(), required=False
    )
    # The groups the page showed (a group created since is left as it is).
    shown = forms.ModelMultipleChoiceField(
        label=_("Groups"), queryset=Group.objects.all(), required=False
    )
