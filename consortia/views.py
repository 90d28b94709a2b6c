"""Thin views: authorize (first line), parse a form, call one service or selector, render."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consortia import permissions, selectors, services
from consortia.filters import ConsortiumFilter
from consortia.forms import (
    ChecklistForm,
    ContactEmailForm,
    ContactRequestForm,
    DecisionForm,
    DetailsForm,
    DocumentForm,
    InvitationForm,
    JoinForm,
    OrganizationSearchForm,
    ProgressReportForm,
    ProposeForm,
)
from consortia.models import (
    Consortium,
    ConsortiumContact,
    ContactInvitation,
    Document,
    Membership,
    Verification,
)
from core.errors import DomainError, form_error
from core.pagecache import cached_page
from core.ratelimit import rate_limit
from core.submissions import submitted_once

PAGE_SIZE = 25
# The link of an invitation opened in this browser, kept so that it survives signing up
# or signing in (the dashboard offers it until it is accepted or closed).
INVITATION_SESSION_KEY = "consortia.invitation"


def _decision_note(request: HttpRequest) -> str | None:
    """The note of an accept or decline; None (with the errors as messages) if invalid: a
    note too long is refused, never dropped."""
    form = DecisionForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["note"]
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return None


# --- Public pages --------------------------------------------------------------------------


@require_GET
@cached_page("consortia", query=(*ConsortiumFilter.base_filters, "page"))
def consortium_list(request: HttpRequest) -> HttpResponse:
    filterset = ConsortiumFilter(request.GET or None, queryset=selectors.directory_queryset())
    status = 200
    if filterset.is_bound and not filterset.is_valid():
        status = 400
    selected = request.GET.get("country", "")
    queryset = Consortium.objects.none() if status == 400 else filterset.qs
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    world_map = selectors.world_map()
    # Only a country with consortia is drawn as selected: any other input selects nothing.
    world_map.selected_country = selected if selected in world_map.counts else ""
    context = {"filter": filterset, "page": page, "world_map": world_map}
    return render(request, "consortia/list.html", context, status=status)


@require_GET
@cached_page("consortia")
def consortium_detail(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_visible_consortium(
        request.user,
        slug,
        Consortium.objects.only("name", "slug", "verification", "proposed_by"),
    )
    page = selectors.consortium_page(slug=slug, user=request.user)
    context = {
        "name": consortium.name,
        "slug": slug,
        # Only a verified consortium has a public feed of its progress reports.
        "verified": consortium.verification == Verification.VERIFIED,
        "page": page,
        "consortium": page.consortium,
    }
    return render(request, "consortia/detail.html", context)


@require_GET
def report_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    report = permissions.get_report_for_user(request.user, slug, pk)
    return render(
        request, "consortia/report.html", {"report": report, "consortium": report.consortium}
    )


@require_GET
def document_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    document = permissions.get_document_for_user(request.user, slug, pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    # Permission is checked on every request: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response


# --- Joining -------------------------------------------------------------------------------


def _registers_organization(request: HttpRequest) -> bool:
    """A join request or proposal that registers a new organization (none is chosen)."""
    return not request.POST.get("organization")


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
@rate_limit("join")
@rate_limit("organization", when=_registers_organization)
def consortium_join(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_visible_consortium(
        request.user, slug, Consortium.objects.select_related("lead_organization")
    )
    form = JoinForm(
        request.POST if request.method == "POST" else None,
        organizations=permissions.organizations_for_user(request.user),
    )
    status, already_registered = 200, None
    if request.method == "POST":
        if form.is_valid():
            organization, new_organization = form.organization_choice()
            try:
                membership = services.membership_request(
                    consortium=consortium,
                    by=request.user,
                    message=form.cleaned_data["message"],
                    organization=organization,
                    new_organization=new_organization,
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
                already_registered = getattr(error, "organization", None)
            else:
                messages.success(
                    request,
                    _("Your request for %(org)s to join %(name)s was sent to its lead contacts.")
                    % {"org": membership.organization.name, "name": consortium.name},
                )
                return redirect("consortia:mine")
        else:
            status = 400
    context = {"form": form, "consortium": consortium, "already_registered": already_registered}
    return render(request, "consortia/join.html", context, status=status)


def _render_dashboard(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    token = request.session.get(INVITATION_SESSION_KEY)
    invitation = selectors.open_invitation(token) if token else None
    context = {
        "dashboard": selectors.dashboard(request.user),
        "invitation": invitation,
        "invitation_token": token if invitation else "",
        "decision_form": DecisionForm(),
    }
    return render(request, "consortia/mine.html", context, status=status)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return _render_dashboard(request)


@login_required
@require_POST
def membership_leave(request: HttpRequest, pk: int) -> HttpResponse:
    membership = permissions.get_membership_for_contact(request.user, pk)
    services.membership_leave(membership=membership, by=request.user)
    messages.success(
        request,
        _("%(org)s has left %(name)s.")
        % {"org": membership.organization.name, "name": membership.consortium.name},
    )
    return redirect("consortia:mine")


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
@rate_limit("propose")
@rate_limit("organization", when=_registers_organization)
def consortium_propose(request: HttpRequest) -> HttpResponse:
    form = ProposeForm(
        request.POST if request.method == "POST" else None,
        organizations=permissions.organizations_for_user(request.user),
    )
    status, already_registered = 200, None
    if request.method == "POST":
        if form.is_valid():
            organization, new_organization = form.organization_choice()
            data = form.cleaned_data
            try:
                consortium = services.consortium_propose(
                    by=request.user,
                    name=data["name"],
                    kind=data["kind"],
                    countries=data["countries"],
                    description=data["description"],
                    website=data["website"],
                    organization=organization,
                    new_organization=new_organization,
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
                already_registered = getattr(error, "organization", None)
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s is proposed. ORCID staff verify it before it is listed; "
                        "meanwhile, work through the checklist below."
                    )
                    % {"name": consortium.name},
                )
                return redirect("consortia:manage", slug=consortium.slug)
        else:
            status = 400
    context = {"form": form, "already_registered": already_registered}
    return render(request, "consortia/propose.html", context, status=status)


# --- Managing ------------------------------------------------------------------------------
#
# The manage area is one page per section (overview, requests, members, contacts, checklist,
# documents, reports). After an action the person lands on the section they acted in, with
# the message at the top; a form in error comes back with its first wrong field focused.

SECTIONS = ("overview", "requests", "members", "contacts", "checklist", "documents", "reports")


def _section_url(consortium: Consortium, section: str) -> str:
    name = "consortia:manage" if section == "overview" else f"consortia:manage_{section}"
    return reverse(name, kwargs={"slug": consortium.slug})


def _focus_first_error(form) -> None:
    """Put ``autofocus`` on the first field in error (works without JavaScript)."""
    names = [name for name in form.fields if name in form.errors] or list(form.fields)[:1]
    if form.errors and names:  # a form-wide error: its first field
        form.fields[names[0]].widget.attrs["autofocus"] = True


def _render_section(
    request: HttpRequest,
    consortium: Consortium,
    section: str,
    context: dict,
    *,
    status: int = 200,
) -> HttpResponse:
    for value in context.values():
        if hasattr(value, "errors") and hasattr(value, "fields") and value.is_bound:
            _focus_first_error(value)
    context = {"consortium": consortium, "section": section, **context}
    return render(request, f"consortia/manage/{section}.html", context, status=status)


def _render_overview(
    request: HttpRequest, consortium: Consortium, *, status: int = 200, details_form=None
) -> HttpResponse:
    overview = selectors.manage_overview(consortium)
    context = {
        "overview": overview,
        "countries": list(consortium.country_links.all()),
        "shortfalls": services.consortium_agreement_shortfalls(consortium)
        if consortium.status == Consortium.Status.FORMING
        else services.consortium_membership_shortfalls(consortium),
        "details_form": details_form
        or DetailsForm(
            initial={
                "description": consortium.description,
                "website": consortium.website,
                "countries": [str(link.country) for link in consortium.country_links.all()],
            }
        ),
        "can_finalize": permissions.can_finalize_consortium(request.user),
        "can_deactivate": permissions.can_deactivate_consortium(request.user),
    }
    return _render_section(request, consortium, "overview", context, status=status)


@login_required
@require_GET
def consortium_manage(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    return _render_overview(request, consortium)


def _render_requests(request: HttpRequest, consortium: Consortium, *, status: int = 200):
    context = {"pending": selectors.pending_requests(consortium), "decision_form": DecisionForm()}
    return _render_section(request, consortium, "requests", context, status=status)


@login_required
@require_GET
def manage_requests(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    return _render_requests(request, consortium)


@login_required
@require_GET
def manage_members(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    context = {"members": selectors.members_with_contacts(consortium)}
    return _render_section(request, consortium, "members", context)


def _render_contacts(
    request: HttpRequest, consortium: Consortium, *, status: int = 200, invitation_form=None
) -> HttpResponse:
    context = {
        "contacts": selectors.lead_contacts(consortium),
        "invitations": selectors.invitations(consortium),
        "invitation_form": invitation_form or InvitationForm(),
    }
    return _render_section(request, consortium, "contacts", context, status=status)


@login_required
@require_GET
def manage_contacts(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    return _render_contacts(request, consortium)


def _done(request: HttpRequest, consortium: Consortium, section: str, message: str):
    """Success: the message, and back to the section acted in."""
    messages.success(request, message)
    return redirect(_section_url(consortium, section))


def _confirm(
    request: HttpRequest,
    consortium: Consortium,
    section: str,
    *,
    title: str,
    consequence: str,
    button: str,
) -> HttpResponse:
    """The confirmation page of a destructive action: it names what will happen; its
    form posts to the same address."""
    context = {"title": title, "consequence": consequence, "button": button}
    return render(
        request,
        "consortia/manage/confirm.html",
        {
            "consortium": consortium,
            "section": section,
            "cancel_url": _section_url(consortium, section),
            **context,
        },
    )


def _membership_for_lead(request: HttpRequest, slug: str, pk: int):
    """The consortium the person leads (403 otherwise) and one of its memberships (404)."""
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    membership = get_object_or_404(
        Membership.objects.select_related("organization"), pk=pk, consortium=consortium
    )
    return consortium, membership


def _decide(request: HttpRequest, slug: str, pk: int, decide, success: str) -> HttpResponse:
    """Accept or decline a request with the lead's note; an invalid note is refused (400),
    never dropped: the lead sees why and the request stays undecided."""
    consortium, membership = _membership_for_lead(request, slug, pk)
    note = _decision_note(request)
    if note is None:
        return _render_requests(request, consortium, status=400)
    decide(membership=membership, by=request.user, note=note)
    return _done(request, consortium, "requests", success % {"org": membership.organization.name})


@login_required
@require_POST
def request_accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _decide(request, slug, pk, services.membership_accept, _("%(org)s is now a member."))


@login_required
@require_POST
def request_decline(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _decide(
        request,
        slug,
        pk,
        services.membership_decline,
        _("The request of %(org)s was declined."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consortium, membership = _membership_for_lead(request, slug, pk)
    org = membership.organization.name
    if request.method == "GET":
        return _confirm(
            request,
            consortium,
            "members",
            title=_("Remove %(org)s?") % {"org": org},
            consequence=_(
                "%(org)s will no longer be a member of %(name)s: its contacts will no longer "
                "see the members' documents nor receive the progress reports. To come back, "
                "it has to ask to join again."
            )
            % {"org": org, "name": consortium.name},
            button=_("Remove %(org)s") % {"org": org},
        )
    services.membership_leave(membership=membership, by=request.user)
    return _done(request, consortium, "members", _("%(org)s is no longer a member.") % {"org": org})


@login_required
@require_POST
def details_update(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    form = DetailsForm(request.POST)
    if not form.is_valid():
        return _render_overview(request, consortium, status=400, details_form=form)
    try:
        services.consortium_update_details(
            consortium=consortium,
            by=request.user,
            description=form.cleaned_data["description"],
            website=form.cleaned_data["website"],
            countries=form.cleaned_data["countries"],
        )
    except DomainError as error:
        form_error(form, error)
        return _render_overview(request, consortium, status=error.status_code, details_form=form)
    return _done(request, consortium, "overview", _("The consortium's details were saved."))


@login_required
@require_POST
@rate_limit("invitation")
def contact_invite(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _render_contacts(request, consortium, status=400, invitation_form=form)
    try:
        invitation = services.contact_invitation_send(
            consortium=consortium,
            by=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
    except DomainError as error:
        form_error(form, error)
        return _render_contacts(request, consortium, status=error.status_code, invitation_form=form)
    # The same answer whether or not the address has an account.
    return _done(
        request,
        consortium,
        "contacts",
        _("An invitation is on its way to %(email)s. It is valid for %(days)d days.")
        % {"email": invitation.email, "days": services.INVITATION_DAYS},
    )


@login_required
@require_POST
def invitation_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    invitation = get_object_or_404(ContactInvitation, pk=pk, consortium=consortium)
    services.contact_invitation_withdraw(invitation=invitation, by=request.user)
    return _done(
        request,
        consortium,
        "contacts",
        _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    contact = get_object_or_404(
        ConsortiumContact.objects.select_related("user", "consortium"), pk=pk, consortium=consortium
    )
    person = contact.user.name or contact.user.email
    if request.method == "GET":
        return _confirm(
            request,
            consortium,
            "contacts",
            title=_("Remove %(person)s as a lead contact?") % {"person": person},
            consequence=_(
                "%(person)s will no longer be a lead contact of %(name)s: they will no longer "
                "manage it nor get its requests to join by email. Their account stays."
            )
            % {"person": person, "name": consortium.name},
            button=_("Remove %(person)s") % {"person": person},
        )
    services.consortium_contact_remove(contact=contact, by=request.user)
    return _done(
        request,
        consortium,
        "contacts",
        _("%(person)s is no longer a lead contact.") % {"person": contact.user},
    )


def _render_checklist(
    request: HttpRequest, consortium: Consortium, *, form=None, status: int = 200
) -> HttpResponse:
    checklist = selectors.checklist(consortium)
    if form is None:
        documents = selectors.consortium_documents(consortium)
        form = ChecklistForm(checklist=checklist, documents=documents)
    context = {"checklist": checklist, "form": form}
    return _render_section(request, consortium, "checklist", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def manage_checklist(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole checklist is one form with one Save: nothing ticked is silently lost."""
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    if request.method == "GET":
        return _render_checklist(request, consortium)
    checklist = selectors.checklist(consortium)
    form = ChecklistForm(
        request.POST,
        checklist=checklist,
        documents=selectors.consortium_documents(consortium),
    )
    if not form.is_valid():
        return _render_checklist(request, consortium, form=form, status=400)
    changed = services.checklist_save(
        consortium=consortium, by=request.user, changes=form.changes()
    )
    return _done(
        request,
        consortium,
        "checklist",
        ngettext(
            "The checklist is saved: %(count)d item changed.",
            "The checklist is saved: %(count)d items changed.",
            changed,
        )
        % {"count": changed},
    )


def _render_documents(
    request: HttpRequest, consortium: Consortium, *, status: int = 200, document_form=None
) -> HttpResponse:
    context = {
        "documents": selectors.consortium_documents(consortium),
        "document_form": document_form or DocumentForm(prefix="document"),
    }
    return _render_section(request, consortium, "documents", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def manage_documents(request: HttpRequest, slug: str) -> HttpResponse:
    """The documents, and uploading one (POST)."""
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    if request.method == "GET":
        return _render_documents(request, consortium)
    form = DocumentForm(request.POST, request.FILES, prefix="document")
    if not form.is_valid():
        return _render_documents(request, consortium, status=400, document_form=form)
    try:
        document = services.document_upload(
            consortium=consortium,
            by=request.user,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
            visibility=form.cleaned_data["visibility"],
        )
    except DomainError as error:
        form_error(form, error)
        return _render_documents(request, consortium, status=error.status_code, document_form=form)
    return _done(
        request, consortium, "documents", _("“%(title)s” was uploaded.") % {"title": document.title}
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    document = get_object_or_404(
        Document.objects.select_related("consortium"), pk=pk, consortium=consortium
    )
    if request.method == "GET":
        return _confirm(
            request,
            consortium,
            "documents",
            title=_("Delete “%(title)s”?") % {"title": document.title},
            consequence=_(
                "“%(title)s” (%(file)s) will be deleted for everyone, and checklist items "
                "that point at it will no longer do so. This cannot be undone."
            )
            % {"title": document.title, "file": document.original_name},
            button=_("Delete “%(title)s”") % {"title": document.title},
        )
    services.document_delete(document=document, by=request.user)
    return _done(
        request, consortium, "documents", _("“%(title)s” was deleted.") % {"title": document.title}
    )


def _render_reports(
    request: HttpRequest,
    consortium: Consortium,
    *,
    status: int = 200,
    report_form=None,
    preview=None,
) -> HttpResponse:
    context = {
        "reports": selectors.recent_reports(consortium),
        "report_form": report_form or ProgressReportForm(prefix="report"),
        "preview": preview,
    }
    return _render_section(request, consortium, "reports", context, status=status)


def _preview_scope(request: HttpRequest, consortium: Consortium) -> str:
    """What a preview token is bound to: this consortium and this person."""
    return f"{consortium.pk}:{request.user.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def manage_reports(request: HttpRequest, slug: str) -> HttpResponse:
    """The progress reports; a new one is previewed first (``action=preview``), then
    published and mailed (``action=publish``) only as it was previewed."""
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    if request.method == "GET":
        return _render_reports(request, consortium)
    form = ProgressReportForm(request.POST, prefix="report")
    if not form.is_valid():
        return _render_reports(request, consortium, status=400, report_form=form)
    scope = _preview_scope(request, consortium)
    if request.POST.get("action") != "publish" or not form.was_previewed(scope):
        # A preview, or a publish of a text that was not previewed as it is now.
        data = form.cleaned_data
        previewed = ProgressReportForm(
            initial={**data, "previewed": form.preview_token(scope)}, prefix="report"
        )
        preview = {"title": data["title"], "body": data["body"]}
        return _render_reports(request, consortium, report_form=previewed, preview=preview)
    try:
        report = services.progress_report_publish(
            consortium=consortium,
            by=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
        )
    except DomainError as error:
        form_error(form, error)
        return _render_reports(request, consortium, status=error.status_code, report_form=form)
    return _done(
        request,
        consortium,
        "reports",
        _("“%(title)s” is published and on its way to the members.") % {"title": report.title},
    )


@login_required
@require_POST
def consortium_finalize(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_to_finalize(request.user, slug)
    services.consortium_finalize_agreement(consortium=consortium, by=request.user)
    return _done(
        request,
        consortium,
        "overview",
        _("The agreement of %(name)s is finalized: it is active.") % {"name": consortium.name},
    )


@login_required
@require_http_methods(["GET", "POST"])
def consortium_deactivate(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_to_deactivate(request.user, slug)
    if request.method == "GET":
        return _confirm(
            request,
            consortium,
            "overview",
            title=_("Mark %(name)s inactive?") % {"name": consortium.name},
            consequence=_(
                "%(name)s will be marked inactive: it takes no more requests to join, and "
                "its lead organization may then leave it."
            )
            % {"name": consortium.name},
            button=_("Mark %(name)s inactive") % {"name": consortium.name},
        )
    services.consortium_mark_inactive(consortium=consortium, by=request.user)
    return _done(
        request,
        consortium,
        "overview",
        _("%(name)s is marked inactive.") % {"name": consortium.name},
    )


def _csv_cell(value) -> str:
    """Keep spreadsheets from running member-supplied text as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@login_required
@require_GET
def members_csv(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{consortium.slug}-members.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Organization"),
            _("ROR ID"),
            _("Country"),
            _("Organization type"),
            _("Not-for-profit"),
            _("Member since"),
            _("Contact name"),
            _("Contact email"),
            _("Contact role"),
        ]
    )
    for membership in selectors.members_with_contacts(consortium):
        organization = membership.organization
        base = [
            organization.name,
            organization.ror_url,
            organization.country.name,
            organization.get_org_type_display(),
            _("yes") if organization.is_not_for_profit else _("no"),
            (membership.decided_at or membership.created_at).date().isoformat(),
        ]
        contacts = list(organization.contacts.all())
        if not contacts:
            writer.writerow([_csv_cell(v) for v in [*base, "", "", ""]])
        for contact in contacts:
            writer.writerow(
                [
                    _csv_cell(v)
                    for v in [
                        *base,
                        contact.user.name,
                        contact.user.email,
                        contact.get_role_display(),
                    ]
                ]
            )
    return response


# --- Invitations, contact requests, one's own contact details ----------------------------------


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page of an invitation link: who invites whom to what; accept it signed in."""
    invitation = permissions.get_invitation(token)
    is_open = invitation.is_open(timezone.now())
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            contact = services.contact_invitation_accept(token=token, by=request.user)
        except DomainError as error:
            if error.status_code == 410:
                request.session.pop(INVITATION_SESSION_KEY, None)
            invitation.refresh_from_db()
            context = {"invitation": invitation, "error": error, "is_open": False}
            return render(request, "consortia/invitation.html", context, status=error.status_code)
        request.session.pop(INVITATION_SESSION_KEY, None)
        messages.success(
            request,
            _("You are now a lead contact of %(name)s.") % {"name": contact.consortium.name},
        )
        return redirect("consortia:manage", slug=contact.consortium.slug)
    if is_open:
        request.session[INVITATION_SESSION_KEY] = token
    else:
        request.session.pop(INVITATION_SESSION_KEY, None)
    context = {"invitation": invitation, "is_open": is_open, "path": request.path}
    return render(request, "consortia/invitation.html", context, status=200 if is_open else 410)


@login_required
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationSearchForm(request.GET or None)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.organizations_to_ask(text), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {"form": form, "page": page, "query": text}
    return render(request, "consortia/organizations.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("contact_request")
def organization_ask(request: HttpRequest, pk: int) -> HttpResponse:
    ror_id = request.GET.get("ror", "")
    organization = permissions.get_organization_to_ask(request.user, pk, ror_id)
    form = ContactRequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.contact_request_create(
                    organization=organization,
                    by=request.user,
                    role=form.cleaned_data["role"],
                    message=form.cleaned_data["message"],
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
            else:
                messages.success(
                    request,
                    _(
                        "Your request to act for %(org)s was sent to its contacts and ORCID "
                        "staff. You will get an email when one of them answers."
                    )
                    % {"org": organization.name},
                )
                return redirect("consortia:mine")
        else:
            status = 400
    context = {"form": form, "organization": organization, "ror_id": ror_id}
    return render(request, "consortia/ask.html", context, status=status)


def _decide_contact_request(request: HttpRequest, pk: int, decide, success: str) -> HttpResponse:
    contact_request = permissions.get_contact_request_to_decide(request.user, pk)
    note = _decision_note(request)
    if note is None:
        return _render_dashboard(request, status=400)
    decide(request=contact_request, by=request.user, note=note)
    messages.success(
        request,
        success % {"person": contact_request.user, "org": contact_request.organization.name},
    )
    return redirect("consortia:mine")


@login_required
@require_POST
def contact_request_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide_contact_request(
        request, pk, services.contact_request_accept, _("%(person)s now acts for %(org)s.")
    )


@login_required
@require_POST
def contact_request_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide_contact_request(
        request,
        pk,
        services.contact_request_decline,
        _("The request of %(person)s to act for %(org)s was declined."),
    )


@login_required
@require_POST
def contact_email(request: HttpRequest, pk: int) -> HttpResponse:
    contact = permissions.get_own_consortium_contact(request.user, pk)
    form = ContactEmailForm(request.POST)
    form.is_valid()  # a checkbox: absent or anything else is "no"
    show = bool(form.cleaned_data.get("show_email"))
    services.consortium_contact_show_email(contact=contact, by=request.user, show=show)
    messages.success(
        request,
        (
            _("The page of %(name)s now shows your email address.")
            if show
            else _("The page of %(name)s no longer shows your email address.")
        )
        % {"name": contact.consortium.name},
    )
    return redirect("consortia:mine")
