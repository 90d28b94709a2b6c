from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from mail import selectors, services


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no session.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, list_id = services.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "mail/unsubscribe_invalid.html", status=400)
    context = {"list_name": services.list_name(list_id), "token": token}
    if request.method == "POST":
        context["undo_token"] = services.unsubscribe_one_click(user_id=user_id, list_id=list_id)
        return render(request, "mail/unsubscribe_done.html", context)
    return render(request, "mail/unsubscribe_confirm.html", context)


@require_POST
def unsubscribe_undo(request: HttpRequest) -> HttpResponse:
    """The undo button of the page after a one-click unsubscribe (the token is the proof)."""
    try:
        user_id, list_id, delivery_ids = services.read_undo_token(request.POST.get("token", ""))
    except signing.BadSignature:
        return render(request, "mail/unsubscribe_invalid.html", status=400)
    services.unsubscribe_undo(user_id=user_id, list_id=list_id, delivery_ids=delivery_ids)
    return render(
        request, "mail/unsubscribe_undone.html", {"list_name": services.list_name(list_id)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def mail_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.mail_settings_save(by=request.user, data=request.POST)
        messages.success(request, _("Your mail settings are saved."))
        return redirect("mail:settings")
    return render(request, "mail/settings.html", selectors.mail_settings_page(request.user))


@login_required
@require_POST
def bounce_enable(request: HttpRequest) -> HttpResponse:
    """Turn list mail on again for one of the person's addresses that bounced."""
    if services.bounce_enable(by=request.user, email=request.POST.get("email", "")):
        messages.success(request, _("Mail to this address is on again."))
    return redirect("mail:settings")
