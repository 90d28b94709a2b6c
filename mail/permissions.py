"""Who may do what with mail: the one rule each, asked by the services and the admin alike.

mail sits below accounts in the layers, so it asks Django's permission system directly,
as ``accounts.staff.holds`` does.
"""

from __future__ import annotations

# allauth's addresses directly, not accounts.selectors: mail sits below accounts.
from allauth.account.models import EmailAddress

RESEND_DELIVERY = "mail.resend_delivery"


def can_resend_deliveries(user) -> bool:
    """Staff holding ``mail.resend_delivery`` (both staff groups) send failed mail again."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(RESEND_DELIVERY))


ENABLE_BOUNCING_ADDRESS = "mail.enable_bouncing_address"


def can_enable_bouncing_address(user, email: str) -> bool:
    """An address's owner (one of their verified addresses), or staff holding
    ``mail.enable_bouncing_address``, turns list mail to it on again."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm(ENABLE_BOUNCING_ADDRESS):
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()
