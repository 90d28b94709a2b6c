"""Authentication backends that look the signed-in person up in the cache first.

Every request of a signed-in person loads them by primary key (``get_user``): on a page
served from the page cache (core.pagecache) that query was half of the request's cost.
The backends below keep the loaded person in the cache for :data:`USER_SECONDS`; any save
or deletion of a person drops the copy at once and again after the commit
(:func:`forget`), so a new password, a deactivation, a new name or staff status take
effect on the next request. What the cache holds is exactly what ``get_user`` would
return (active people only); the session's auth hash is still checked against it by
Django on every request.
"""

from __future__ import annotations

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends
from django.core.cache import cache
from django.db import transaction

USER_SECONDS = 5 * 60
PREFIX = "auth-user:"


def cache_key(user_id) -> str:
    return f"{PREFIX}{user_id}"


class CachedUserMixin:
    def get_user(self, user_id):
        key = cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, USER_SECONDS)
        return user


class ModelBackend(CachedUserMixin, django_backends.ModelBackend):
    """Django's ModelBackend (the admin, ``force_login``) with the cached lookup."""


class AuthenticationBackend(CachedUserMixin, allauth_backends.AuthenticationBackend):
    """allauth's backend (email and ORCID sign-in) with the cached lookup."""


def forget(sender=None, instance=None, raw=False, **kwargs) -> None:
    """Drop the cached copy of a person who changed: now, and again after the commit."""
    if instance is None or instance.pk is None:
        return
    key = cache_key(instance.pk)
    cache.delete(key)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.delete(key), robust=True)
