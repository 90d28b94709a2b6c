"""Pages of the contributors app: thin, each fetching its object through ``permissions``."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contributors import permissions, selectors, services
from contributors.filters import ContributorFilter
from contributors.forms import (
    BriefingForm,
    ContributionForm,
    RecuseForm,
    SignForm,
    VoteForm,
)
from contributors.models import Agreement, Contribution, Level, Signature
from core.client import client_address
from core.errors import DomainError, InvalidInput, form_error
from core.markdown import render_markdown
from core.pagecache import cached_page
from core.ratelimit import rate_limit

PAGE_SIZE = 24
BRIEFINGS_PAGE_SIZE = 20


# --- The directory and profiles -----------------------------------------------------------


@require_GET
@cached_page("contributors", query=(*ContributorFilter.base_filters, "page"))
def contributor_list(request: HttpRequest) -> HttpResponse:
    filterset = ContributorFilter(request.GET or None, queryset=selectors.contributor_directory())

    facets = selectors.directory_facets()
    directory = {
        "page": Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "level_counts": [
            (level, facets["levels"].get(level.value, 0))
            for level in (Level.CONTRIBUTOR, Level.OST)
        ],
        "kind_counts": [(kind, facets["kinds"].get(kind.value, 0)) for kind in Contribution.Kind],
    }
    context = {
        "filter": filterset,
        "directory": directory,
        "query_without_page": _query_without_page(request),
    }
    status = 400 if filterset.is_bound and not filterset.is_valid() else 200
    return render(request, "contributors/contributor_list.html", context, status=status)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def my_profile(request: HttpRequest) -> HttpResponse:
    return redirect(request.user)


def _profile_context(request: HttpRequest, person, form=None) -> dict:
    viewer = request.user
    return {
        "person": person,
        "data": selectors.profile_page(person),
        "is_owner": viewer.is_authenticated and viewer.pk == person.pk,
        "can_add": permissions.can_add_contribution(viewer, person),
        "can_verify": permissions.can_verify_contributions(viewer),
        "form": form or ContributionForm(),
    }


@require_GET
@cached_page("contributors", "forums")
def profile(request: HttpRequest, orcid_id: str) -> HttpResponse:
    person = permissions.get_person_for_profile(request.user, orcid_id=orcid_id)
    if person.orcid_id != orcid_id:
        # The same iD written another way (a link, no hyphens): its one address.
        return redirect(person, permanent=True)
    return render(request, "contributors/profile.html", _profile_context(request, person))


@require_GET
@cached_page("contributors", "forums")
def profile_by_public_id(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = permissions.get_person_for_profile(request.user, public_id=public_id)
    if person.orcid_id:
        # Someone with a verified iD is shown at it; not permanently: ORCID can be
        # disconnected again.
        return redirect(person)
    return render(request, "contributors/profile.html", _profile_context(request, person))


@require_POST
@login_required
@rate_limit("contribution")
def contribution_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = permissions.get_person_for_profile(request.user, public_id=public_id)
    permissions.require_can_add_contribution(request.user, person)
    form = ContributionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.contribution_add(user=person, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
            status = exc.status_code
        else:
            if permissions.can_verify_contributions(request.user):
                messages.success(request, _("The contribution was added and verified."))
            else:
                messages.success(
                    request, _("Your contribution was added; ORCID staff will verify it.")
                )
            return redirect(person)
    context = _profile_context(request, person, form=form)
    return render(request, "contributors/profile.html", context, status=status)


@require_POST
@login_required
def contribution_verify(
    request: HttpRequest, public_id: UUID, contribution_id: int
) -> HttpResponse:
    person = permissions.get_person_for_profile(request.user, public_id=public_id)
    contribution = permissions.get_contribution_to_verify(request.user, person, contribution_id)
    if services.contribution_verify(contribution=contribution, by=request.user):
        messages.success(request, _("The contribution was verified."))
    else:
        messages.info(request, _("The contribution was already verified."))
    return redirect(person)


# --- Groups -------------------------------------------------------------------------------


@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    return render(request, "contributors/group_list.html", {"groups": selectors.groups_overview()})


@require_GET
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = permissions.get_group(slug)
    can_write = permissions.can_write_briefings(request.user, group)
    context = {
        "group": selectors.group_detail(group.slug),
        "can_write_briefings": can_write,
        **selectors.group_briefings(group, request.user, can_write=can_write),
    }
    return render(request, "contributors/group_detail.html", context)


# --- Briefings ----------------------------------------------------------------------------


@require_GET
def briefing_list(request: HttpRequest, slug: str) -> HttpResponse:
    group = permissions.get_group(slug)
    page = Paginator(selectors.published_briefings(group), BRIEFINGS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "group": group,
        "page": page,
        "briefings": page.object_list,
        "can_write_briefings": permissions.can_write_briefings(request.user, group),
    }
    return render(request, "contributors/briefing_list.html", context)


@require_GET
def briefing_detail(request: HttpRequest, slug: str, briefing_id: int) -> HttpResponse:
    briefing, can_write = permissions.get_briefing_for_viewer(request.user, slug, briefing_id)
    context = {"briefing": briefing, "group": briefing.group, "can_write_briefings": can_write}
    return render(request, "contributors/briefing_detail.html", context)


def _briefing_form_page(request, *, group, briefing=None, form=None, status=200, preview=None):
    context = {
        "group": group,
        "briefing": briefing,
        "form": form or BriefingForm(),
        "preview": preview,
    }
    return render(request, "contributors/briefing_form.html", context, status=status)


def _briefing_save(request: HttpRequest, *, group, briefing=None) -> HttpResponse:
    """The POST of the new and edit pages: preview, or save the draft."""
    form = BriefingForm(request.POST)
    if not form.is_valid():
        return _briefing_form_page(request, group=group, briefing=briefing, form=form, status=400)
    if "preview" in request.POST:
        preview = render_markdown(form.cleaned_data["body"])
        return _briefing_form_page(
            request, group=group, briefing=briefing, form=form, preview=preview
        )
    try:
        if briefing is None:
            briefing = services.briefing_create(group=group, by=request.user, **form.cleaned_data)
        else:
            briefing = services.briefing_update(
                briefing=briefing, by=request.user, **form.cleaned_data
            )
    except DomainError as exc:
        form_error(form, exc)
        return _briefing_form_page(
            request, group=group, briefing=briefing, form=form, status=exc.status_code
        )
    messages.success(request, _("The draft is saved. Publish it when it is ready."))
    return redirect(briefing)


@login_required
@require_http_methods(["GET", "POST"])
def briefing_new(request: HttpRequest, slug: str) -> HttpResponse:
    group = permissions.get_group_for_briefing_writer(request.user, slug)
    if request.method == "POST":
        return _briefing_save(request, group=group)
    return _briefing_form_page(request, group=group)


@login_required
@require_http_methods(["GET", "POST"])
def briefing_edit(request: HttpRequest, slug: str, briefing_id: int) -> HttpResponse:
    briefing = permissions.get_briefing_for_writer(request.user, slug, briefing_id)
    if briefing.is_published:
        messages.error(
            request, _("This briefing was published and mailed; it can no longer change.")
        )
        return redirect(briefing)
    if request.method == "POST":
        return _briefing_save(request, group=briefing.group, briefing=briefing)
    form = BriefingForm(initial={"title": briefing.title, "body": briefing.body})
    return _briefing_form_page(request, group=briefing.group, briefing=briefing, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def briefing_publish(request: HttpRequest, slug: str, briefing_id: int) -> HttpResponse:
    briefing = permissions.get_briefing_for_writer(request.user, slug, briefing_id)
    if request.method == "POST":
        sent = services.briefing_publish(briefing=briefing, by=request.user)
        messages.success(
            request,
            _("The briefing is published and mailed to %(count)s subscribers.") % {"count": sent},
        )
        return redirect(briefing)
    context = {
        "briefing": briefing,
        "group": briefing.group,
        "recipient_count": selectors.briefing_recipients(briefing.group).count(),
    }
    return render(request, "contributors/briefing_publish.html", context)


@login_required
@require_POST
def briefing_subscription(request: HttpRequest, slug: str) -> HttpResponse:
    """The "Subscribe to briefings" toggle of the group page."""
    group = permissions.get_group(slug)
    action = request.POST.get("action")
    if action == "subscribe":
        services.briefing_subscribe(by=request.user, group=group)
        messages.success(request, _("You will receive this group's briefings by mail."))
    elif action == "unsubscribe":
        services.briefing_unsubscribe(by=request.user, group=group)
        messages.success(request, _("You no longer receive this group's briefings."))
    else:
        raise InvalidInput(_("Unknown action."))
    return redirect(group)


# --- Review by the steering group ---------------------------------------------------------


@login_required
@require_GET
@cached_page("contributors", query=("page",))
def review_list(request: HttpRequest) -> HttpResponse:
    permissions.require_reviewer(request.user)
    queue = selectors.review_queue(request.user, page=request.GET.get("page"))
    return render(request, "contributors/review_list.html", {"queue": queue})


# The review page's two forms: its action → (form, the service it calls, the message).
_REVIEW_ACTIONS = {
    "vote": (
        VoteForm,
        lambda nomination, by, data: services.vote_cast(
            nomination=nomination, by=by, choice=data["choice"], comment=data["comment"]
        ),
        gettext_lazy("Your vote was recorded."),
    ),
    "recuse": (
        RecuseForm,
        lambda nomination, by, data: services.vote_recuse(
            nomination=nomination, by=by, reason=data["reason"]
        ),
        gettext_lazy("You recused yourself from this nomination."),
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
@cached_page("contributors", "forums")
def nomination_review(request: HttpRequest, nomination_id: int) -> HttpResponse:
    nomination = permissions.get_nomination_for_reviewer(request.user, nomination_id)
    bound: dict[str, object] = {}  # the action's form, bound to the POST, when it is invalid
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in _REVIEW_ACTIONS:
            raise InvalidInput(_("Unknown action."))
        form_class, act, done = _REVIEW_ACTIONS[action]
        form = form_class(request.POST)
        if form.is_valid():
            act(nomination, request.user, form.cleaned_data)
            messages.success(request, done)
            return redirect(nomination)
        bound[action] = form
        status = 400
    mine = selectors.nomination_viewer_part(nomination, request.user)
    vote_form = bound.get("vote")
    if vote_form is None:
        my_vote = mine["my_vote"]
        vote_form = VoteForm(
            initial={"choice": my_vote.choice, "comment": my_vote.comment} if my_vote else None
        )
    context = {
        "nomination": nomination,
        "nominee": nomination.nominee,
        "data": selectors.nomination_review(nomination, request.user),
        "mine": mine,
        "vote_form": vote_form,
        "recuse_form": bound.get("recuse") or RecuseForm(),
        "voting_closed": nomination.voting_closed(),
    }
    return render(request, "contributors/nomination_review.html", context, status=status)


# --- The OST agreement --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def agreement(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    current = Agreement.objects.current()
    to_sign = selectors.approved_unsigned_nomination(request.user)
    form = None
    status = 200
    if request.method == "POST":
        form = SignForm(request.POST)
        if not form.is_valid():
            status = 400
            messages.error(request, _("Type your full name and confirm to sign."))
        else:
            nomination = permissions.get_nomination_to_sign(
                request.user, form.cleaned_data["nomination"]
            )
            services.agreement_sign(
                by=request.user,
                nomination=nomination,
                agreement_version=form.cleaned_data["version"],
                full_name=form.cleaned_data["full_name"],
                confirmed=form.cleaned_data["confirm"],
                ip_address=client_address(request),
            )
            messages.success(request, _("Thank you for signing. You are now an OST member."))
            return redirect("contributors:agreement")
    elif to_sign and current:
        form = SignForm(initial={"nomination": to_sign.pk, "version": current.version})
    signatures = (
        list(Signature.objects.filter(signer=request.user).select_related("agreement"))
        if request.user.is_authenticated
        else []
    )
    context = {
        "agreement": current,
        "to_sign": to_sign,
        "form": form if (to_sign and current) else None,
        "signatures": signatures,
    }
    return render(request, "contributors/agreement.html", context, status=status)
