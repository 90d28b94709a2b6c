from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.adapters import ORCID_TAKEN_SESSION_KEY
from accounts.forms import AccountDeleteForm, OrcidConflictForm, ProfileForm
from accounts.permissions import get_export_for_owner
from accounts.selectors import data_export_archive, latest_data_export
from accounts.services import (
    account_delete,
    account_delete_blockers,
    data_export_request,
    orcid_conflict_report,
    user_set_language,
)
from core.errors import DomainError, form_error
from core.identifiers import orcid_url
from core.ratelimit import rate_limit


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
        return render(request, "accounts/profile.html", {"form": form}, status=400)
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def orcid_taken(request: HttpRequest) -> HttpResponse:
    """The ORCID iD this person just proved is connected to another account: say so, and
    let them ask ORCID staff. The iD comes from the session, where the sign-in put it."""
    orcid_id = request.session.get(ORCID_TAKEN_SESSION_KEY)
    if not orcid_id:
        return redirect("socialaccount_connections")
    form = OrcidConflictForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                orcid_conflict_report(
                    by=request.user, orcid_id=orcid_id, note=form.cleaned_data["note"]
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                del request.session[ORCID_TAKEN_SESSION_KEY]
                messages.success(
                    request,
                    _("ORCID staff have your request and will write to you at %(email)s.")
                    % {"email": request.user.email},
                )
                return redirect("socialaccount_connections")
    context = {"orcid_url": orcid_url(orcid_id), "form": form}
    return render(request, "accounts/orcid_taken.html", context, status=status)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: a cookie for everyone, the profile when signed in."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if request.user.is_authenticated:
        user_set_language(by=request.user, language=language)
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``: the admin has no sign-in form of its own.

    Django's would check the password without allauth's rate limits, lockout and
    two-factor step. Everyone signs in at ``/accounts/login/`` and comes back; a person
    signed in who may not enter the admin is refused (sending them to sign in again
    would loop). Staff without two-factor authentication never get here: they are led
    to set it up first (accounts.middleware.StaffTwoFactorMiddleware).
    """
    next_url = request.GET.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, settings.LOGIN_URL)
    if not admin.site.has_permission(request):
        raise PermissionDenied(_("Your account does not give access to the admin."))
    return redirect(next_url)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("data_export")
def data_export(request: HttpRequest) -> HttpResponse:
    """Ask for a copy of one's data; the page shows how far the latest request is."""
    if request.method == "POST":
        data_export_request(by=request.user)
        messages.success(
            request,
            _("Your data is being prepared. We will send you a mail with a link to download it."),
        )
        return redirect("accounts:data")
    latest = latest_data_export(request.user)
    context = {
        "export": latest,
        "expired": latest is not None and latest.is_expired(),
        "link_hours": settings.DATA_EXPORT_LINK_HOURS,
    }
    return render(request, "accounts/data_export.html", context)


@login_required
@require_http_methods(["GET"])
def data_download(request: HttpRequest, export_id) -> HttpResponse:
    """The ZIP of an export, to its owner only, until its link expires."""
    export = get_export_for_owner(request.user, export_id)
    response = HttpResponse(data_export_archive(export), content_type="application/zip")
    stamp = timezone.localtime(export.requested_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="orcid-community-data-{stamp}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


def _without_password(request: HttpRequest) -> bool:
    return request.user.is_authenticated and not request.user.has_usable_password()


@login_required
@require_http_methods(["GET", "POST"])
# An account without a password proves it is its owner by signing in with ORCID again
# (allauth's reauthentication, recent enough) before the POST is taken.
@reauthentication_required(allow_get=True, enabled=_without_password)
def account_delete_view(request: HttpRequest) -> HttpResponse:
    """Delete one's own account, after the password (or ORCID) confirms it."""
    blockers = account_delete_blockers(user=request.user)
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if blockers:
            status = 409
        elif form.is_valid():
            try:
                account_delete(user=request.user, by=request.user)
            except DomainError as exc:
                form_error(form, exc)
                status = exc.status_code
            else:
                logout(request)
                messages.success(request, _("Your account was deleted. Thank you for being here."))
                return redirect("home")
    context = {"form": form, "blockers": blockers}
    return render(request, "accounts/delete.html", context, status=status)
