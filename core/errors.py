"""The domain-error family, and the one place a refusal becomes a page.

Services raise these; a view lets them propagate and :class:`DomainErrorMiddleware`
answers with ``refused.html``, the error's status and its message. A view that shows a
form adds the error to the form instead (:func:`form_error`), so what was typed stays.
A ``PermissionDenied`` is shown on the same page (:func:`permission_denied`, the
project's ``handler403``), with its reason when it has one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain refused the action. ``message`` is translatable and user-facing."""

    status_code = 400
    default_message = _("This action is not allowed.")

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


def refused(request: HttpRequest, message, status: int, details=()) -> HttpResponse:
    """The refusal page: the reason, a way back, and the 4xx status."""
    back = request.META.get("HTTP_REFERER", "")
    if back and not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    context = {"message": message, "details": list(details), "back": back}
    return render(request, "refused.html", context, status=status)


class DomainErrorMiddleware:
    """A ``DomainError`` a view lets through becomes the refusal page with its status.

    Its ``process_exception`` runs after the view's transaction (``ATOMIC_REQUESTS`` or
    the service's own) has rolled back: nothing of the refused action is saved.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, DomainError):
            return None
        message, *details = error_texts(exception)
        return refused(request, message, exception.status_code, details)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """``handler403``: a 403 from a permission helper, shown with its reason."""
    message = str(exception) if exception and str(exception) else NotAllowed.default_message
    return refused(request, message, 403)
