"""Thin views: authorize (first line), parse a form, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, InvalidInput, NotAllowed, RuleViolation, form_error
from core.ratelimit import rate_limit
from core.regions import Region
from events import calendar, permissions, selectors, services
from events.forms import AcceptForm, DeclineForm, ProposalForm, RegionFilterForm, SlidesForm


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Public pages --------------------------------------------------------------------------


@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    form = RegionFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        context = {"form": form, "meetings": selectors.MeetingList([], []), "region": None}
        return render(request, "events/list.html", context, status=400)
    region = form.cleaned_data.get("region", "") if form.is_bound else ""
    context = {
        "form": form,
        "meetings": selectors.meeting_list(region=region),
        "region": Region(region).label if region else None,
        "region_code": region,
    }
    return render(request, "events/list.html", context)


@require_GET
def meeting_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.meeting_page(slug=slug, user=request.user)
    return render(request, "events/detail.html", {"page": page, "meeting": page.meeting})


@require_GET
def meeting_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = selectors.meeting_for_calendar(slug)
    return _ics(calendar.meeting_ics(meeting), f"{meeting.slug}.ics")


@require_GET
def session_detail(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    session = permissions.get_session_for_user(request.user, slug, session_id)
    context = {
        "session": session,
        "meeting": session.meeting,
        "can_edit": permissions.can_edit_session(request.user, session),
        "can_mark_held": permissions.can_manage_programme(request.user),
        "slides_form": SlidesForm(initial={"slides_url": session.slides_url}),
    }
    return render(request, "events/session.html", context)


@require_GET
def session_calendar(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    session = permissions.get_session_for_user(request.user, slug, session_id)
    if not session.is_on_programme:
        raise DomainError(_("A proposal has no time slot yet, so it has no calendar file."))
    return _ics(calendar.session_ics(session), f"{session.meeting.slug}-session-{session.pk}.ics")


# --- Sign-up -------------------------------------------------------------------------------


@require_POST
@login_required
def meeting_register(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = permissions.get_meeting(slug)
    registration = services.meeting_register(meeting=meeting, by=request.user)
    if registration.state == registration.State.CONFIRMED:
        messages.success(request, _("You are registered for this meeting."))
    else:
        messages.info(
            request,
            _(
                "The meeting is full: you are on the waiting list. We will email you if a "
                "seat becomes free."
            ),
        )
    return redirect(meeting)


@require_POST
@login_required
def registration_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = permissions.get_meeting(slug)
    services.registration_cancel(meeting=meeting, by=request.user)
    messages.success(request, _("Your registration is cancelled."))
    return redirect(meeting)


# --- Call for sessions ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("session")
def session_propose(request: HttpRequest, slug: str) -> HttpResponse:
    meeting = permissions.get_meeting(slug)
    if not meeting.call_is_open():
        raise RuleViolation(_("The call for sessions of this meeting is not open."))
    form = ProposalForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = services.session_propose(
                    meeting=meeting,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    abstract=form.cleaned_data["abstract"],
                    co_speakers=form.cleaned_data["co_speakers"],
                )
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
            else:
                messages.success(
                    request,
                    _("Thank you: your proposal is in. You will hear from the reviewers by email."),
                )
                return redirect(session)
        else:
            status = 400
    return render(request, "events/propose.html", {"form": form, "meeting": meeting}, status=status)


@require_GET
def proposal_list(request: HttpRequest, slug: str) -> HttpResponse:
    permissions.require_reviewer(request.user)
    meeting = permissions.get_meeting(slug)
    context = {"meeting": meeting, **selectors.proposals_for_review(meeting)}
    if permissions.can_manage_programme(request.user):
        context["registrations"] = selectors.registrations_of(meeting)
    return render(request, "events/proposals.html", context)


@require_http_methods(["GET", "POST"])
def proposal_review(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    session = permissions.get_session_for_reviewer(request.user, slug, session_id)
    meeting = session.meeting
    action = request.POST.get("action") if request.method == "POST" else None
    accept_form = AcceptForm(
        request.POST if action == "accept" else None, meeting=meeting, prefix="accept"
    )
    decline_form = DeclineForm(request.POST if action == "decline" else None, prefix="decline")
    status = 200
    if request.method == "POST":
        form = {"accept": accept_form, "decline": decline_form}.get(action)
        if form is None:
            raise InvalidInput(_("Choose accept or decline."))
        if form.is_valid():
            try:
                if action == "accept":
                    services.session_accept(
                        session=session,
                        by=request.user,
                        starts_at=form.cleaned_data["starts_at"],
                        ends_at=form.cleaned_data["ends_at"],
                        room=form.cleaned_data["room"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(request, _("The session is on the programme."))
                else:
                    services.session_decline(
                        session=session, by=request.user, note=form.cleaned_data["note"]
                    )
                    messages.success(request, _("The proposal is declined."))
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
            else:
                return redirect("events:proposals", meeting.slug)
        else:
            status = 400
    context = {
        "session": session,
        "meeting": meeting,
        "accept_form": accept_form,
        "decline_form": decline_form,
    }
    return render(request, "events/review.html", context, status=status)


# --- After the session ---------------------------------------------------------------------


@require_POST
@login_required
def session_slides(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    session = permissions.get_session_for_user(request.user, slug, session_id)
    if not permissions.can_edit_session(request.user, session):
        raise NotAllowed(_("Only the speakers and ORCID staff add the slides."))
    form = SlidesForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("Give a valid link to the slides."))
    services.session_set_slides(
        session=session, by=request.user, slides_url=form.cleaned_data["slides_url"]
    )
    messages.success(request, _("The slides link is saved."))
    return redirect(session)


@require_POST
def session_mark_held(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    permissions.require_staff(request.user)
    session = permissions.get_session_for_user(request.user, slug, session_id)
    recorded = services.session_mark_held(session=session, by=request.user)
    if recorded:
        messages.success(
            request,
            _("The session is marked as held; the talk is on each speaker's profile."),
        )
    else:
        messages.info(request, _("The session was already marked as held."))
    return redirect(session)
