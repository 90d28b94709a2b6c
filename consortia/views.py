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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consortia import permissions, selectors, services
from consortia.filters import ConsortiumFilter
from consortia.forms import (
    ChecklistEntryForm,
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
    ChecklistItem,
    Consortium,
    ConsortiumContact,
    ContactInvitation,
    Document,
    Membership,
    ProgressReport,
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


def _render_manage(
    request: HttpRequest, consortium: Consortium, *, status: int = 200, **forms
) -> HttpResponse:
    context = {
        "consortium": consortium,
        "countries": list(consortium.country_links.all()),
        "pending": selectors.pending_requests(consortium),
        "members": selectors.members_with_contacts(consortium),
        "contacts": list(
            ConsortiumContact.objects.filter(consortium=consortium).select_related("user")
        ),
        "checklist": selectors.checklist(consortium),
        "documents": selectors.consortium_documents(consortium),
        "reports": list(ProgressReport.objects.filter(consortium=consortium)[:10]),
        "shortfalls": services.consortium_agreement_shortfalls(consortium)
        if consortium.status == Consortium.Status.FORMING
        else services.consortium_membership_shortfalls(consortium),
        "invitations": selectors.invitations(consortium),
        "invitation_form": forms.get("invitation_form") or InvitationForm(),
        "document_form": forms.get("document_form") or DocumentForm(prefix="document"),
        "report_form": forms.get("report_form") or ProgressReportForm(prefix="report"),
        "details_form": forms.get("details_form")
        or DetailsForm(
            initial={
                "description": consortium.description,
                "website": consortium.website,
                "countries": [str(link.country) for link in consortium.country_links.all()],
            }
        ),
        "decision_form": DecisionForm(),
        "checklist_error": forms.get("checklist_error"),
        "can_finalize": permissions.can_finalize_consortium(request.user),
        "can_deactivate": permissions.can_deactivate_consortium(request.user),
    }
    return render(request, "consortia/manage.html", context, status=status)


@login_required
@require_GET
def consortium_manage(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    return _render_manage(request, consortium)


def _act(request: HttpRequest, consortium: Consortium, action, success: str) -> HttpResponse:
    """Run one service; success → back to the manage page (a domain error goes through)."""
    action()
    messages.success(request, success)
    return redirect("consortia:manage", slug=consortium.slug)


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
        return _render_manage(request, consortium, status=400)
    return _act(
        request,
        consortium,
        lambda: decide(membership=membership, by=request.user, note=note),
        success % {"org": membership.organization.name},
    )


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
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consortium, membership = _membership_for_lead(request, slug, pk)
    return _act(
        request,
        consortium,
        lambda: services.membership_leave(membership=membership, by=request.user),
        _("%(org)s is no longer a member.") % {"org": membership.organization.name},
    )


@login_required
@require_POST
def details_update(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    form = DetailsForm(request.POST)
    if not form.is_valid():
        return _render_manage(request, consortium, status=400, details_form=form)
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
        return _render_manage(request, consortium, status=error.status_code, details_form=form)
    messages.success(request, _("The consortium's details were saved."))
    return redirect("consortia:manage", slug=consortium.slug)


@login_required
@require_POST
@rate_limit("invitation")
def contact_invite(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _render_manage(request, consortium, status=400, invitation_form=form)
    try:
        invitation = services.contact_invitation_send(
            consortium=consortium,
            by=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
    except DomainError as error:
        form_error(form, error)
        return _render_manage(request, consortium, status=error.status_code, invitation_form=form)
    # The same answer whether or not the address has an account.
    messages.success(
        request,
        _("An invitation is on its way to %(email)s. It is valid for %(days)d days.")
        % {"email": invitation.email, "days": services.INVITATION_DAYS},
    )
    return redirect(
        reverse("consortia:manage", kwargs={"slug": consortium.slug}) + "#contacts-title"
    )


@login_required
@require_POST
def invitation_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    invitation = get_object_or_404(ContactInvitation, pk=pk, consortium=consortium)
    return _act(
        request,
        consortium,
        lambda: services.contact_invitation_withdraw(invitation=invitation, by=request.user),
        _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email},
    )


@login_required
@require_POST
def contact_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    contact = get_object_or_404(
        ConsortiumContact.objects.select_related("user", "consortium"), pk=pk, consortium=consortium
    )
    return _act(
        request,
        consortium,
        lambda: services.consortium_contact_remove(contact=contact, by=request.user),
        _("%(person)s is no longer a lead contact.") % {"person": contact.user},
    )


@login_required
@require_POST
def checklist_update(request: HttpRequest, slug: str, item_pk: int) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    item = get_object_or_404(ChecklistItem, pk=item_pk, is_active=True)
    form = ChecklistEntryForm(request.POST, consortium=consortium)
    if not form.is_valid():
        # Say what is wrong: a note too long is not a document of another consortium.
        for name, errors in form.errors.items():
            if name == "document":
                errors = [
                    _(
                        "The checklist item could not be saved: choose a document of this consortium."
                    )
                ]
            for error in errors:
                messages.error(request, error)
        return _render_manage(request, consortium, status=400)
    data = form.cleaned_data
    return _act(
        request,
        consortium,
        lambda: services.checklist_entry_update(
            consortium=consortium,
            item=item,
            by=request.user,
            done=data["done"],
            note=data["note"],
            document=data["document"],
        ),
        _("Checklist item “%(item)s” saved.") % {"item": item.title},
    )


@login_required
@require_POST
def document_upload(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    # Prefixed: the manage page has two "title" fields (documents and reports).
    form = DocumentForm(request.POST, request.FILES, prefix="document")
    if not form.is_valid():
        return _render_manage(request, consortium, status=400, document_form=form)
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
        return _render_manage(request, consortium, status=error.status_code, document_form=form)
    messages.success(request, _("“%(title)s” was uploaded.") % {"title": document.title})
    return redirect("consortia:manage", slug=consortium.slug)


@login_required
@require_POST
def document_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    document = get_object_or_404(
        Document.objects.select_related("consortium"), pk=pk, consortium=consortium
    )
    return _act(
        request,
        consortium,
        lambda: services.document_delete(document=document, by=request.user),
        _("“%(title)s” was deleted.") % {"title": document.title},
    )


@login_required
@require_POST
def report_publish(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    form = ProgressReportForm(request.POST, prefix="report")
    if not form.is_valid():
        return _render_manage(request, consortium, status=400, report_form=form)
    try:
        report = services.progress_report_publish(
            consortium=consortium,
            by=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
        )
    except DomainError as error:
        form_error(form, error)
        return _render_manage(request, consortium, status=error.status_code, report_form=form)
    messages.success(
        request,
        _("“%(title)s” is published and on its way to the members.") % {"title": report.title},
    )
    return redirect("consortia:manage", slug=consortium.slug)


@login_required
@require_POST
def consortium_finalize(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_to_finalize(request.user, slug)
    return _act(
        request,
        consortium,
        lambda: services.consortium_finalize_agreement(consortium=consortium, by=request.user),
        _("The agreement of %(name)s is finalized: it is active.") % {"name": consortium.name},
    )


@login_required
@require_POST
def consortium_deactivate(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_to_deactivate(request.user, slug)
    return _act(
        request,
        consortium,
        lambda: services.consortium_mark_inactive(consortium=consortium, by=request.user),
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
    # The file leaves the permission check with whoever downloads it: it says who it is for.
    writer.writerow(
        [
            _(
                "Confidential: the contact details of the members of %(name)s, for its lead "
                "contacts and ORCID staff only. Do not share this file."
            )
            % {"name": _csv_cell(consortium.name)}
        ]
    )
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
