"""Authentication backends that look the signed-in person up in the cache first.

Every request of a signed-in person loads them by primary key (``get_user``): on a page
served from the page cache (core.pagecache) that query was half of the request's cost.
The backends below keep the loaded person in the cache for :data:`USER_SECONDS`, together
with their permissions (one query instead of Django's two) and, for staff, whether they
have two-factor authentication (accounts.staff): permission checks and the two-factor
rule cost no query on a cached request. The copy is kept under the generation of the
``people`` area (core.cache): any write to people's tables — a person, their groups or
permissions, a group's permissions, an authenticator — bumps it, so a new password, a
deactivation, a new name, a staff power granted or taken take effect on the next request.
What the cache holds is exactly what ``get_user`` would return (active people only); the
session's auth hash is still checked against it by Django on every request.

Signing in is allauth's alone (rate limits, lockout, two-factor authentication): Django's
backend here only loads people and answers permission questions, it checks no password.
"""

from __future__ import annotations

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends
from django.contrib.auth.models import Permission
from django.db.models import Q

from accounts.staff import has_staff_powers, has_two_factor
from core import cache

USER_SECONDS = 5 * 60
PREFIX = "auth-user:"


def cache_key(user_id) -> str:
    return f"{PREFIX}{user_id}"


def permissions_of(user) -> set[str]:
    """Every permission of ``user`` ("app_label.codename"), direct or through a group, in
    one query; a superuser holds them all."""
    permissions = Permission.objects.all()
    if not user.is_superuser:
        permissions = permissions.filter(Q(user=user) | Q(group__user=user)).distinct()
    return {
        f"{app_label}.{codename}"
        for app_label, codename in permissions.values_list(
            "content_type__app_label", "codename"
        ).order_by()
    }


class CachedUserMixin:
    def get_user(self, user_id):
        return cache.remember(
            cache_key(user_id), ("people",), USER_SECONDS, lambda: self._load(user_id)
        )

    def _load(self, user_id):
        user = super().get_user(user_id)
        if user is not None:
            # Known before the copy is cached, so a cached request asks no query.
            self.get_all_permissions(user)
            if has_staff_powers(user):
                has_two_factor(user)
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = permissions_of(user_obj)
        return user_obj._perm_cache


class ModelBackend(CachedUserMixin, django_backends.ModelBackend):
    """Django's ModelBackend (``force_login``, permissions) with the cached lookup; it
    checks no password: every sign-in goes through allauth's forms."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None


class AuthenticationBackend(CachedUserMixin, allauth_backends.AuthenticationBackend):
    """allauth's backend (email and ORCID sign-in) with the cached lookup."""
