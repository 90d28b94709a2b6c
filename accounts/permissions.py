"""Who may do what with people's accounts and their data: one function per rule, asked by
the pages, the services and the admin alike."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import DataExport, User
from accounts.staff import holds

# Deleting someone else's account on their request (the admin's action): the same
# permission Django's admin asks to delete a person, held by superusers.
DELETE_ACCOUNT = "accounts.delete_user"


def can_delete_account(by, user: User) -> bool:
    """A person deletes their own account; staff holding the permission delete another's
    on request (an audit entry records who)."""
    if not getattr(by, "is_authenticated", False):
        return False
    return by.pk == user.pk or holds(by, DELETE_ACCOUNT)


def get_export_for_owner(user, export_id: UUID) -> DataExport:
    """The person's own export, built and not expired; 404 for anyone else's, one still
    being built, or one past its time (the link says it expires)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("No such export."))
    export = (
        DataExport.objects.filter(pk=export_id, user=user, state=DataExport.State.READY)
        .only("pk", "user_id", "state", "expires_at", "requested_at")
        .first()
    )
    if export is None or export.is_expired(timezone.now()):
        raise Http404(_("This export does not exist or its link has expired."))
    return export
