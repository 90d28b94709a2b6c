import hashlib

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from consortia.models import (
    ConsortiumContact,
    Document,
    Organization,
    OrganizationContact,
)
from consortia.services import ChecklistChange, NewOrganization
from core.identifiers import normalize_ror


class OrganizationChoiceForm(forms.Form):
    """Choose one of your organizations, or register a new one."""

    organization = forms.ModelChoiceField(
        label=_("Your organization"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("— Register a new organization —"),
        help_text=_("The organizations you are a contact of."),
    )
    new_name = forms.CharField(label=_("Organization name"), max_length=200, required=False)
    new_ror_id = forms.CharField(
        label=_("ROR ID"),
        max_length=40,
        required=False,
        help_text=_("Like 02mhbdp94 or https://ror.org/02mhbdp94. Look it up on ror.org."),
    )
    # Choices are callables: drawn for each form, in the reader's language and its
    # collation (django-countries sorts with pyuca), not once at import in English.
    new_country = forms.ChoiceField(
        label=_("Country"), choices=lambda: [("", "—"), *countries], required=False
    )
    new_org_type = forms.ChoiceField(
        label=_("Organization type"),
        choices=[("", "—"), *Organization.Type.choices],
        required=False,
        help_text=_("Higher education, non-profit and government bodies count as not-for-profit."),
    )
    new_website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = organizations if organizations is not None else Organization.objects.none()
        self.fields["organization"].queryset = queryset
        if not queryset.exists():
            self.fields["organization"].widget = forms.HiddenInput()

    def clean_new_ror_id(self):
        value = self.cleaned_data["new_ror_id"].strip()
        return normalize_ror(value) if value else ""

    def clean(self):
        data = super().clean()
        if data.get("organization"):
            return data
        required = {
            "new_name": _("Enter the organization's name."),
            "new_ror_id": _("Enter the organization's ROR ID."),
            "new_country": _("Choose the organization's country."),
            "new_org_type": _("Choose the organization's type."),
        }
        for name, message in required.items():
            if not data.get(name) and name not in self.errors:
                self.add_error(name, ValidationError(message, code="required"))
        return data

    def organization_choice(self) -> tuple[Organization | None, NewOrganization | None]:
        data = self.cleaned_data
        if data.get("organization"):
            return data["organization"], None
        return None, NewOrganization(
            name=data["new_name"],
            ror_id=data["new_ror_id"],
            country=data["new_country"],
            org_type=data["new_org_type"],
            website=data.get("new_website", ""),
        )


class JoinForm(OrganizationChoiceForm):
    message = forms.CharField(
        label=_("Message to the lead contacts"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )


class ProposeForm(OrganizationChoiceForm):
    name = forms.CharField(label=_("Name of the consortium"), max_length=200)
    kind = forms.ChoiceField(
        label=_("National or regional"),
        choices=[("national", _("National (one country)")), ("regional", _("Regional"))],
        widget=forms.RadioSelect,
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries"),
        choices=lambda: list(countries),
        help_text=_("One country for a national consortium, several for a regional one."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("Markdown."),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    field_order = ["name", "kind", "countries", "description", "website", "organization"]

    def clean(self):
        data = super().clean()
        chosen = data.get("countries") or []
        if data.get("kind") == "national" and len(chosen) != 1:
            self.add_error("countries", _("A national consortium serves exactly one country."))
        if data.get("kind") == "regional" and len(chosen) < 2:
            self.add_error("countries", _("A regional consortium serves two or more countries."))
        return data


class DetailsForm(forms.Form):
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=_("Markdown."),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    countries = forms.MultipleChoiceField(
        label=_("Countries"),
        choices=lambda: list(countries),
        help_text=_("One country for a national consortium, several for a regional one."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the requester"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_(
            "We mail a link to this address; the person becomes a lead contact when they "
            "accept it, signed in. Their address is not shown publicly unless they choose."
        ),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=ConsortiumContact.Role.choices,
        initial=ConsortiumContact.Role.STAFF,
    )


class ContactRequestForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Your role at the organization"),
        choices=OrganizationContact.Role.choices,
        initial=OrganizationContact.Role.MAIN,
    )
    message = forms.CharField(
        label=_("Message to its contacts and ORCID staff"),
        help_text=_("Who you are at the organization, so they can vouch for you."),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )


class OrganizationSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or ROR ID"), max_length=200, required=False, strip=True)


class ContactEmailForm(forms.Form):
    show_email = forms.BooleanField(
        label=_("Show my email address on the consortium page"), required=False
    )


class ChecklistForm(forms.Form):
    """The whole onboarding checklist as one form: per item, done, a note and a document.

    The documents are read once (``documents``), so checking twelve choices costs no query.
    """

    def __init__(self, *args, checklist, documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = checklist.rows
        self._documents = {str(document.pk): document for document in documents}
        choices = [("", "—"), *((str(d.pk), d.title) for d in documents)]
        for row in self.rows:
            entry, key = row.entry, f"item-{row.item.pk}"
            self.fields[f"{key}-done"] = forms.BooleanField(
                label=row.item.title, required=False, initial=row.done
            )
            self.fields[f"{key}-note"] = forms.CharField(
                label=_("Note"),
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                max_length=4000,
                initial=entry.note if entry else "",
            )
            self.fields[f"{key}-document"] = forms.ChoiceField(
                label=_("Document"),
                choices=choices,
                required=False,
                initial=str(entry.document_id) if entry and entry.document_id else "",
            )

    def items(self):
        """Per checklist row, its three bound fields (the template's loop)."""
        for row in self.rows:
            key = f"item-{row.item.pk}"
            yield row, self[f"{key}-done"], self[f"{key}-note"], self[f"{key}-document"]

    def changes(self) -> list[ChecklistChange]:
        data = self.cleaned_data
        return [
            ChecklistChange(
                item=row.item,
                done=data[f"item-{row.item.pk}-done"],
                note=data[f"item-{row.item.pk}-note"],
                document=self._documents.get(data[f"item-{row.item.pk}-document"]),
            )
            for row in self.rows
        ]


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "PDF, PNG, JPEG, office documents (docx, xlsx, pptx, odt, ods, odp), "
            "text, CSV or Markdown."
        ),
    )
    visibility = forms.ChoiceField(
        label=_("Who may see it"),
        choices=Document.Visibility.choices,
        initial=Document.Visibility.MEMBERS,
    )


class ProgressReportForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Report"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown. Every member's contacts receive it by email."),
    )

    # Signed digest of the title and text the lead saw rendered: publishing needs it, so a
    # report is never mailed unseen, nor changed after its preview.
    previewed = forms.CharField(widget=forms.HiddenInput, required=False)

    PREVIEW_SALT = "consortia.report-preview"

    def _digest(self, scope: str) -> str:
        text = f"{scope}\n{self.cleaned_data['title']}\n{self.cleaned_data['body']}"
        return hashlib.sha256(text.encode()).hexdigest()

    def preview_token(self, scope: str) -> str:
        return signing.dumps(self._digest(scope), salt=self.PREVIEW_SALT)

    def was_previewed(self, scope: str) -> bool:
        try:
            seen = signing.loads(self.cleaned_data["previewed"], salt=self.PREVIEW_SALT)
        except signing.BadSignature:
            return False
        return seen == self._digest(scope)
