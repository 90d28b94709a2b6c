"""Read queries about people."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Permission
from django.db.models import Exists, Q, QuerySet

from accounts.models import DataExport, User


def people_with_permission(perm: str) -> QuerySet[User]:
    """Active people who hold ``perm`` ("app_label.codename"): through one of their groups,
    directly, or as superusers. Who is mailed about work that needs that power."""
    app_label, codename = perm.split(".", 1)
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission)
            | Q(user_permissions__in=permission)
        )
        .distinct()
    )


def person_by_verified_email(address: str) -> User | None:
    """The active person who proved they own ``address`` (allauth's verified addresses),
    or None: identity by mail is never taken from an address nobody verified."""
    if not address:
        return None
    row = (
        EmailAddress.objects.filter(email__iexact=address.strip(), verified=True)
        .select_related("user")
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    return row.user


def _verified(address: str) -> Q:
    return Q(email__iexact=(address or "").strip(), verified=True)


def owns_verified_email(user: User, address: str) -> bool:
    """Whether ``address`` is one of ``user``'s verified addresses."""
    return EmailAddress.objects.filter(_verified(address), user=user).exists()


def owns_verified_email_column(user_id, address: str) -> Exists:
    """``owns_verified_email`` as a column of another query about the person whose id is
    ``user_id`` (an ``OuterRef``): asked with the row that names them, no query of its own."""
    return Exists(EmailAddress.objects.filter(_verified(address), user_id=user_id))


def latest_data_export(user) -> DataExport | None:
    """The person's latest request for their data (without its archive), for its page."""
    return DataExport.objects.filter(user=user).defer("archive").first()


def data_export_archive(export: DataExport) -> bytes:
    """The ZIP of a built export (asked after the permission check)."""
    return bytes(DataExport.objects.values_list("archive", flat=True).get(pk=export.pk))
