"""Read queries about people."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from accounts.models import User


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
