from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.errors import InvalidInput
from mail import lists, services
from mail.models import Unsubscription


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no session.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, list_id = services.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "mail/unsubscribe_invalid.html", status=400)
    context = {"list_name": services.list_name(list_id), "token": token}
    if request.method == "POST":
        services.unsubscribe(user_id=user_id, list_id=list_id)
        return render(request, "mail/unsubscribe_done.html", context)
    return render(request, "mail/unsubscribe_confirm.html", context)


def _known_list(value: str) -> str:
    if value not in services.LIST_NAMES:
        raise InvalidInput(_("There is no such list."))
    return value


def _apply(request: HttpRequest) -> str:
    """Carry out one change of the settings form; return the message to show."""
    data = request.POST
    action = data.get("action", "")
    if action == "unsubscribe":
        list_id = _known_list(data.get("list", ""))
        services.unsubscribe(user_id=request.user.pk, list_id=list_id)
        return _("You receive no more mail from “%(list)s”.") % {
            "list": services.LIST_NAMES[list_id]
        }
    if action == "resubscribe":
        list_id = _known_list(data.get("list", ""))
        services.resubscribe(user_id=request.user.pk, list_id=list_id)
        return _("You receive mail from “%(list)s” again.") % {"list": services.LIST_NAMES[list_id]}
    handler = lists.settings_action(action)  # a section's own form (mail/lists.py)
    if handler is not None:
        return handler(request.user, data)
    raise InvalidInput(_("This change is not known."))


@login_required
@require_http_methods(["GET", "POST"])
def mail_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        messages.success(request, _apply(request))
        return redirect("mail:settings")
    unsubscribed = set(
        Unsubscription.objects.filter(user=request.user).values_list("list_id", flat=True)
    )
    sections = [
        {
            "template": section.template,
            "data": section.context(request.user) if section.context else {},
        }
        for section in lists.settings_sections()
    ]
    mailing_lists = [
        {"id": list_id, "name": name, "unsubscribed": list_id in unsubscribed}
        for list_id, name in services.LIST_NAMES.items()
    ]
    return render(
        request,
        "mail/settings.html",
        {"sections": sections, "lists": mailing_lists, "unsubscribed": unsubscribed},
    )
