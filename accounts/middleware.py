import zoneinfo

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.staff import needs_two_factor, two_factor_exempt


class PersonPreferencesMiddleware:
    """Speak a signed-in person's chosen language and show times in their time zone.

    Runs after LocaleMiddleware (cookie, then Accept-Language) and authentication: a
    language saved on the profile wins over both.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response


class StaffTwoFactorMiddleware:
    """Staff set up two-factor authentication before they reach any other page.

    The one place the rule lives (accounts.staff.needs_two_factor): whoever may enter the
    admin or holds a staff power, and has no authenticator yet, is led to
    ``/accounts/2fa/totp/activate/`` from every page but the account pages (signing out,
    confirming an address, two-factor authentication itself) — the admin, the manage
    pages, private forums and every staff action on the public pages included. A cached
    signed-in person carries the answer (accounts.backends): no query for anyone else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not two_factor_exempt(request.path)
            and needs_two_factor(user)
        ):
            messages.warning(
                request,
                _(
                    "ORCID staff use two-factor authentication. Set it up with an "
                    "authenticator app to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
