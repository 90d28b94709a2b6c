"""Forms parse input; the rules live in forums.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from forums.models import Flag, Forum, IdeaStatus, Subscription
from forums.services import BODY_MAX, TITLE_MAX

MARKDOWN_HELP = _(
    "Markdown: **bold**, *italic*, `code`, ``` for code blocks, > for quotes, [text](https://…) for links."
)


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=MARKDOWN_HELP,
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8, "class": "reply-body"}),
        help_text=MARKDOWN_HELP,
    )


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Flag.Reason.choices)
    note = forms.CharField(
        label=_("Details"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the reason is “other”."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=IdeaStatus.choices)
    note = forms.CharField(
        label=_("Note for the voters"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the idea and mailed to everyone who voted for it."),
    )


class MergeForm(forms.Form):
    target = forms.IntegerField(
        label=_("Number of the idea to merge into"),
        min_value=1,
        help_text=_("The number in the idea's address: /forums/t/<number>/…"),
    )


class MoveForm(forms.Form):
    forum = forms.ModelChoiceField(label=_("Move to"), queryset=Forum.objects.none())

    def __init__(self, *args, forums=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums if forums is not None else Forum.objects.none()


class SubscriptionForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Mail"),
        choices=[*Subscription.Mode.choices, ("off", _("stop watching"))],
    )


class SearchForm(forms.Form):
    # The query ``q`` is not a field: it is never refused, selectors.clean_query tames it.
    forum = forms.ModelChoiceField(
        label=_("Forum"),
        queryset=Forum.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label=_("All forums"),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, forums=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums if forums is not None else Forum.objects.none()

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date comes after the end date."))
        return data
