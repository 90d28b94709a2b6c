from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mail import services


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no session.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, list_id = services.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "mail/unsubscribe_invalid.html", status=400)
    context = {"list_name": services.LIST_NAMES.get(list_id, list_id), "token": token}
    if request.method == "POST":
        services.unsubscribe(user_id=user_id, list_id=list_id)
        return render(request, "mail/unsubscribe_done.html", context)
    return render(request, "mail/unsubscribe_confirm.html", context)
