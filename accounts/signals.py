"""What a change of someone's powers drops: their cached copy and the pages drawn for them.

The signed-in person is cached with their permissions and two-factor state
(accounts.backends), and whole pages are cached per viewer (core.pagecache): a staff group
joined or left, a permission granted or taken, an authenticator added or removed must
show on the next request, in every worker.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from accounts import backends
from accounts.models import User
from core.cache import AREAS, bump


def _changed(user_ids: Iterable) -> None:
    backends.forget_people(user_ids)
    bump(*AREAS)


def people_relinked(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A person's groups or direct permissions changed (from either side of the relation)."""
    if action not in ("pre_clear", "post_add", "post_remove"):
        return
    if isinstance(instance, User):
        _changed([instance.pk])
    elif action == "pre_clear":  # a group's (or a permission's) people, all of them
        _changed(instance.user_set.values_list("pk", flat=True))
    else:
        _changed(pk_set or ())


def group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("pre_clear", "post_add", "post_remove"):
        return
    if isinstance(instance, Group):
        groups = [instance.pk]
    elif action == "pre_clear":
        groups = list(instance.group_set.values_list("pk", flat=True))
    else:
        groups = list(pk_set or ())
    _changed(User.objects.filter(groups__in=groups).values_list("pk", flat=True))


def group_deleted(sender, instance: Group, **kwargs) -> None:
    _changed(instance.user_set.values_list("pk", flat=True))


def permission_deleted(sender, instance: Permission, **kwargs) -> None:
    _changed(
        User.objects.filter(Q(user_permissions=instance) | Q(groups__permissions=instance))
        .values_list("pk", flat=True)
        .distinct()
    )


def authenticator_changed(sender, instance, raw=False, **kwargs) -> None:
    # No page shows whether its viewer has two-factor authentication: the copy only.
    if not raw:
        backends.forget_people([instance.user_id])
