from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.errors import InvalidInput
from forums import permissions as forum_permissions
from forums import services as forum_services
from forums.models import Subscription
from forums.notifications import mail_settings_of
from mail import services
from mail.models import Unsubscription

# The briefings part of the contributors app adds its section to the settings page by
# providing this template (it gets ``user`` and ``request``; its forms post to its own
# views and come back here). Until it exists, the page has no briefings section.
BRIEFING_SETTINGS_TEMPLATE = "contributors/_briefing_settings.html"
WATCH_MODES = [*Subscription.Mode.values, "off"]


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


def _briefing_template() -> str:
    try:
        get_template(BRIEFING_SETTINGS_TEMPLATE)
    except TemplateDoesNotExist:
        return ""
    return BRIEFING_SETTINGS_TEMPLATE


def _known_list(value: str) -> str:
    if value not in services.LIST_NAMES:
        raise InvalidInput(_("There is no such list."))
    return value


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose a forum or a topic.")) from None


def _apply(request: HttpRequest) -> str:
    """Carry out one change of the settings form; return the message to show."""
    data = request.POST
    action = data.get("action", "")
    if action == "watch":
        mode = data.get("mode", "")
        if mode not in WATCH_MODES:
            raise InvalidInput(_("Choose how you want to receive mail."))
        # Fetched through the permission helpers: a forum you cannot see is a 404.
        if data.get("forum"):
            forum = forum_permissions.get_forum_by_id_for_user(request.user, _int(data["forum"]))
            forum_services.subscription_set(by=request.user, forum=forum, mode=mode)
        else:
            topic = forum_permissions.get_topic_for_user(request.user, _int(data.get("topic")))
            forum_services.subscription_set(by=request.user, topic=topic, mode=mode)
        return _("Your mail settings are saved.")
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
    raise InvalidInput(_("This change is not known."))


@login_required
@require_http_methods(["GET", "POST"])
def mail_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        messages.success(request, _apply(request))
        return redirect("mail:settings")
    data = mail_settings_of(request.user)
    unsubscribed = set(
        Unsubscription.objects.filter(user=request.user).values_list("list_id", flat=True)
    )
    lists = [
        {"id": list_id, "name": name, "unsubscribed": list_id in unsubscribed}
        for list_id, name in services.LIST_NAMES.items()
    ]
    return render(
        request,
        "mail/settings.html",
        {
            "data": data,
            "lists": lists,
            "unsubscribed": unsubscribed,
            "modes": Subscription.Mode.choices,
            "briefing_template": _briefing_template(),
        },
    )
