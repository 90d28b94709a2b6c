"""Who may do what with mail: the one rule each, asked by the services and the admin alike.

mail sits below accounts in the layers, so it asks Django's permission system directly,
as ``accounts.staff.holds`` does.
"""

from __future__ import annotations

RESEND_DELIVERY = "mail.resend_delivery"


def can_resend_deliveries(user) -> bool:
    """Staff holding ``mail.resend_delivery`` (both staff groups) send failed mail again."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(RESEND_DELIVERY))
