"""The domain-error family: services raise these; views turn them into a 4xx and a message."""

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
