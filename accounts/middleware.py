import zoneinfo

from django.utils import timezone, translation


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
