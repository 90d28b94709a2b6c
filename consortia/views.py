"""Thin views: authorize (first line), parse a form, call one service or selector, render."""

from __future__ import annotations

import csv
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consortia import permissions, selectors, services
from consortia.filters import ConsortiumFilter
from consortia.forms import (
    ChecklistEntryForm,
    ContactForm,
    DecisionForm,
    DetailsForm,
    DocumentForm,
    JoinForm,
    ProgressReportForm,
    ProposeForm,
)
from consortia.models import (
    ChecklistItem,
    Consortium,
    ConsortiumContact,
    Document,
    Membership,
    ProgressReport,
)
from core.cache import viewer_key
from core.errors import DomainError
from core.pagecache import cached_page

PAGE_SIZE = 25


def _add_domain_error(form, error: DomainError) -> None:
    form.add_error(None, str(error.message))
    for detail in error.details:
        if str(detail) != str(error.message):
            form.add_error(None, str(detail))


def _message_domain_error(request: HttpRequest, error: DomainError) -> None:
    text = " ".join([str(error.message), *[str(d) for d in error.details]])
    messages.error(request, text)


# --- Public pages --------------------------------------------------------------------------


@require_GET
@cached_page("consortia")
def consortium_list(request: HttpRequest) -> HttpResponse:
    filterset = ConsortiumFilter(request.GET or None, queryset=selectors.directory_queryset())
    status = 200
    if filterset.is_bound and not filterset.is_valid():
        status = 400
    selected = request.GET.get("country", "")

    # The template caches the directory (map, filters, results) per consortia generation
    # (core.cache): the queries run only when it is drawn, through these callables.
    @functools.cache
    def page():
        queryset = Consortium.objects.none() if status == 400 else filterset.qs
        return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))

    @functools.cache
    def world_map():
        world = selectors.world_map()
        # Only a country with consortia is drawn as selected (and the map is cached per
        # selection): any other input selects nothing.
        world.selected_country = selected if selected in world.counts else ""
        return world

    context = {"filter": filterset, "page": page, "world_map": world_map}
    return render(request, "consortia/list.html", context, status=status)


@require_GET
@cached_page("consortia")
def consortium_detail(request: HttpRequest, slug: str) -> HttpResponse:
    name = Consortium.objects.filter(slug=slug).values_list("name", flat=True).first()
    if name is None:
        raise Http404
    # The template caches the page's content per consortia generation and viewer
    # (core.cache): the consortium's members, contacts, documents and reports are looked
    # up only when it is drawn.
    page = SimpleLazyObject(lambda: selectors.consortium_page(slug=slug, user=request.user))
    context = {
        "name": name,
        "slug": slug,
        "page": page,
        "consortium": SimpleLazyObject(lambda: page.consortium),
        "viewer_key": viewer_key(request),
    }
    return render(request, "consortia/detail.html", context)


@require_GET
def report_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    report = get_object_or_404(
        ProgressReport.objects.select_related("consortium", "published_by"),
        pk=pk,
        consortium__slug=slug,
    )
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


@login_required
@require_http_methods(["GET", "POST"])
def consortium_join(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = get_object_or_404(
        Consortium.objects.select_related("lead_organization"), slug=slug
    )
    form = JoinForm(
        request.POST if request.method == "POST" else None,
        organizations=permissions.organizations_for_user(request.user),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            organization, new_organization = form.organization_choice()
            try:
                membership = services.membership_request(
                    consortium=consortium,
                    user=request.user,
                    message=form.cleaned_data["message"],
                    organization=organization,
                    new_organization=new_organization,
                )
            except DomainError as error:
                _add_domain_error(form, error)
                status = error.status_code
            else:
                messages.success(
                    request,
                    _("Your request for %(org)s to join %(name)s was sent to its lead contacts.")
                    % {"org": membership.organization.name, "name": consortium.name},
                )
                return redirect("consortia:mine")
        else:
            status = 400
    return render(
        request, "consortia/join.html", {"form": form, "consortium": consortium}, status=status
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "consortia/mine.html", {"dashboard": selectors.dashboard(request.user)})


@login_required
@require_POST
def membership_leave(request: HttpRequest, pk: int) -> HttpResponse:
    membership = permissions.get_membership_for_contact(request.user, pk)
    try:
        services.membership_leave(membership=membership, user=request.user)
    except DomainError as error:
        _message_domain_error(request, error)
        response = render(
            request,
            "consortia/mine.html",
            {"dashboard": selectors.dashboard(request.user)},
            status=error.status_code,
        )
        return response
    messages.success(
        request,
        _("%(org)s has left %(name)s.")
        % {"org": membership.organization.name, "name": membership.consortium.name},
    )
    return redirect("consortia:mine")


@login_required
@require_http_methods(["GET", "POST"])
def consortium_propose(request: HttpRequest) -> HttpResponse:
    form = ProposeForm(
        request.POST if request.method == "POST" else None,
        organizations=permissions.organizations_for_user(request.user),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            organization, new_organization = form.organization_choice()
            data = form.cleaned_data
            try:
                consortium = services.consortium_propose(
                    user=request.user,
                    name=data["name"],
                    kind=data["kind"],
                    countries=data["countries"],
                    description=data["description"],
                    website=data["website"],
                    organization=organization,
                    new_organization=new_organization,
                )
            except DomainError as error:
                _add_domain_error(form, error)
                status = error.status_code
            else:
                messages.success(
                    request,
                    _("%(name)s is proposed. It is forming: work through the checklist below.")
                    % {"name": consortium.name},
                )
                return redirect("consortia:manage", slug=consortium.slug)
        else:
            status = 400
    return render(request, "consortia/propose.html", {"form": form}, status=status)


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
        "contact_form": forms.get("contact_form") or ContactForm(),
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
    """Run one service; success → back to the manage page, a domain error → 4xx page."""
    try:
        action()
    except DomainError as error:
        _message_domain_error(request, error)
        return _render_manage(request, consortium, status=error.status_code)
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
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _render_manage(request, consortium, status=400)
    note = form.cleaned_data["note"]
    return _act(
        request,
        consortium,
        lambda: decide(membership=membership, user=request.user, note=note),
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
        lambda: services.membership_leave(membership=membership, user=request.user),
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
            user=request.user,
            description=form.cleaned_data["description"],
            website=form.cleaned_data["website"],
            countries=form.cleaned_data["countries"],
        )
    except DomainError as error:
        _add_domain_error(form, error)
        return _render_manage(request, consortium, status=error.status_code, details_form=form)
    messages.success(request, _("The consortium's details were saved."))
    return redirect("consortia:manage", slug=consortium.slug)


@login_required
@require_POST
def contact_add(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_for_lead(request.user, slug)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _render_manage(request, consortium, status=400, contact_form=form)
    try:
        contact = services.consortium_contact_add(
            consortium=consortium,
            user=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
    except DomainError as error:
        _add_domain_error(form, error)
        return _render_manage(request, consortium, status=error.status_code, contact_form=form)
    messages.success(request, _("%(person)s is now a lead contact.") % {"person": contact.user})
    return redirect("consortia:manage", slug=consortium.slug)


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
        lambda: services.consortium_contact_remove(contact=contact, user=request.user),
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
            user=request.user,
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
            user=request.user,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
            visibility=form.cleaned_data["visibility"],
        )
    except DomainError as error:
        _add_domain_error(form, error)
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
        lambda: services.document_delete(document=document, user=request.user),
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
            user=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
        )
    except DomainError as error:
        _add_domain_error(form, error)
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
        lambda: services.consortium_finalize_agreement(consortium=consortium, user=request.user),
        _("The agreement of %(name)s is finalized: it is active.") % {"name": consortium.name},
    )


@login_required
@require_POST
def consortium_deactivate(request: HttpRequest, slug: str) -> HttpResponse:
    consortium = permissions.get_consortium_to_deactivate(request.user, slug)
    return _act(
        request,
        consortium,
        lambda: services.consortium_mark_inactive(consortium=consortium, user=request.user),
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
