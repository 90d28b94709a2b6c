"""The domain-error family, and the one place a refusal becomes a page.

Services raise these; a view lets them propagate and :class:`DomainErrorMiddleware`
answers with ``refused.html``, the error's status and its message. A view that shows a
form adds the error to the form instead (:func:`form_error`), so what was typed stays.
A ``PermissionDenied`` is shown on the same page (:func:`permission_denied`, the
project's ``handler403``), with its reason when it has one; so are Django's own refusals,
each with a title of its own: a bad request (``handler400``), an address with no page
(``handler404``), a form whose CSRF token has expired (``CSRF_FAILURE_VIEW``) and a method
the address does not take (the middleware draws the page on an empty 405). The 500 page
needs no database and lives with the 503 (core.outage); the 429 is core.ratelimit's.
"""

from __future__ import annotations

from django.core.exceptions import DisallowedHost, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain refused the action. ``message`` is translatable and user-facing."""

    status_code = 400
    default_message = _("This action is not allowed.")
    title = None  # the refusal page's heading: "This did not work" unless a kind says more

    def __init__(self, message=None, *, details: list | None = None):
        self.message = message or self.default_message
        self.details = list(details or [])
        super().__init__(str(self.message))


class RuleViolation(DomainError):
    """The action breaks a domain rule (e.g. the five-member minimum)."""

    status_code = 409
    default_message = _("This action breaks a rule of the portal.")


class NotAllowed(DomainError):
    """The person may not take this action on this object."""

    status_code = 403
    default_message = _("You are not allowed to do this.")
    title = _("Not allowed")


class InvalidInput(DomainError):
    status_code = 400
    default_message = _("The input is not valid.")


def invalid_input(exc: ValidationError) -> InvalidInput:
    """A ``ValidationError`` as the domain error: its first message, the others as details."""
    messages = exc.messages
    return InvalidInput(messages[0] if messages else None, details=messages[1:])


def full_clean(instance, **kwargs) -> None:
    """A service's model validation: what it refuses is ``InvalidInput`` (a clear 400),
    so no service lets a ``ValidationError`` out. ``kwargs`` go to ``Model.full_clean``."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        raise invalid_input(exc) from exc


def error_texts(error: DomainError) -> list[str]:
    """The message, then each detail that does not repeat it."""
    message = str(error.message)
    return [message, *(str(d) for d in error.details if str(d) != message)]


def form_error(form, error: DomainError) -> None:
    """Show a refusal on the form that asked for the action (its non-field errors)."""
    for text in error_texts(error):
        form.add_error(None, text)


def _way_back(request: HttpRequest) -> str:
    """The page the person came from, when it is on this site."""
    back = request.META.get("HTTP_REFERER", "")
    if not back:
        return ""
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 of a request to a host the portal does not serve
        return ""
    safe = url_has_allowed_host_and_scheme(
        back, allowed_hosts={host}, require_https=request.is_secure()
    )
    return back if safe else ""


def refused(request: HttpRequest, message, status: int, details=(), *, title=None) -> HttpResponse:
    """The refusal page: a title, the reason, a way back, and the 4xx status."""
    context = {
        "title": title,
        "message": message,
        "details": list(details),
        "back": _way_back(request),
    }
    return render(request, "refused.html", context, status=status)


class DomainErrorMiddleware:
    """A ``DomainError`` a view lets through becomes the refusal page with its status.

    Its ``process_exception`` runs after the view's transaction (``ATOMIC_REQUESTS`` or
    the service's own) has rolled back: nothing of the refused action is saved.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            # ``require_POST`` and friends answer an empty 405: the page, keeping ``Allow``.
            page = refused(
                request,
                _("This address does not take that kind of request."),
                405,
                title=_("Not possible here"),
            )
            page["Allow"] = response.get("Allow", "")
            return page
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, DomainError):
            return None
        message, *details = error_texts(exception)
        return refused(request, message, exception.status_code, details, title=exception.title)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """``handler403``: a 403 from a permission helper, shown with its reason."""
    message = str(exception) if exception and str(exception) else NotAllowed.default_message
    return refused(request, message, 403, title=_("Not allowed"))


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """``handler400``: a request the portal cannot read (a broken form, a foreign host)."""
    message = _("The portal could not understand this request. Please go back and try again.")
    return refused(request, message, 400, title=_("Bad request"))


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """``handler404``: no page here. The exception's text is for developers, not shown."""
    message = _(
        "There is no page at this address. It may have moved or been removed, "
        "or the link may be mistyped."
    )
    return refused(request, message, 404, title=_("Page not found"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent from a page open too long, or without cookies."""
    message = _(
        "This form could not be accepted because the page it was on has expired. "
        "Reload the page, then send the form again. Cookies must be allowed for this site."
    )
    return refused(request, message, 403, title=_("This form has expired"))
