"""Fill the CSRF token into pages whose forms were drawn into a cached page."""

from django.middleware.csrf import get_token
from django.utils.html import format_html

# What ``{% csrf_token_late %}`` draws: a cached page keeps this, never a token.
CSRF_MARKER = "<!--occ:csrf-token-->"
_MARKER = CSRF_MARKER.encode()


class LateCsrfTokenMiddleware:
    """Replace ``{% csrf_token_late %}``'s marker with the request's own CSRF token field.

    A cached page (core.pagecache) may hold forms; a token drawn into it would be the one
    of the request that drew it. The marker is filled in per response instead, so one
    cached copy serves every request of a person (or every anonymous visitor). Sits below
    CsrfViewMiddleware, which then sets the cookie the token belongs to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and _MARKER in response.content
        ):
            field = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            )
            response.content = response.content.replace(_MARKER, field.encode())
        return response
