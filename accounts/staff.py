"""Who is staff: the people who hold a staff power, and what they need before using it.

A staff power is a permission: one of the custom permissions the portal's apps declare in
their models' ``Meta.permissions`` (``consortia.finalize_consortium``,
``forums.moderate_forums`` …), granted through the staff groups (README, "Staff and their
powers") or one by one. ``is_staff`` only opens the admin's door; what a person may do
there, and on the public pages, is what their permissions say.

Every holder of a staff power — and everyone who may enter the admin — must have
two-factor authentication: ``accounts.middleware.StaffTwoFactorMiddleware`` leads them to
set it up before any other page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import NotAllowed

# The apps whose custom permissions are staff powers (the project's own, not Django's).
STAFF_APPS = ("accounts", "consortia", "contributors", "forums", "events", "mail")

# The groups the data migration accounts/0002 creates (README, "Staff and their powers").
CONSORTIA_STAFF = "Consortia staff"
COMMUNITY_STAFF = "Community staff"
STAFF_GROUPS = (CONSORTIA_STAFF, COMMUNITY_STAFF)


@functools.cache
def staff_permissions() -> frozenset[str]:
    """Every staff power, as ``"app_label.codename"``."""
    return frozenset(
        f"{model._meta.app_label}.{codename}"
        for label in STAFF_APPS
        if apps.is_installed(label)
        for model in apps.get_app_config(label).get_models()
        for codename, _name in model._meta.permissions
    )


def holds(user, permission: str) -> bool:
    """Whether a signed-in ``user`` holds ``permission`` ("app_label.codename"): the one
    question each app's permission rules ask about a staff power."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(permission))


def require_staff_power(by, rule: Callable[[object], bool]) -> None:
    """A service's check that the person acting holds a staff power: ``rule`` is the app's
    permission helper (``permissions.can_nominate``). ``by=None`` is the portal itself
    acting (a management command, the demo data, another service), never a visitor: a
    request always has a person, signed in or anonymous."""
    if by is not None and not rule(by):
        raise NotAllowed(_("Only ORCID staff may do this."))


def has_staff_powers(user) -> bool:
    """Whether ``user`` may enter the admin or holds a staff power (superusers hold all).

    Free once the person's permissions are known: the signed-in person comes from the
    cache with them (accounts.backends).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return not staff_permissions().isdisjoint(user.get_all_permissions())


def has_two_factor(user) -> bool:
    """Whether ``user`` has set up two-factor authentication (a TOTP authenticator).

    Asked once per user object; the cached signed-in person carries the answer
    (accounts.backends), dropped whenever an authenticator is added or removed.
    """
    known = user.__dict__.get("_has_two_factor")
    if known is None:
        known = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()
        user.__dict__["_has_two_factor"] = known
    return known


def needs_two_factor(user) -> bool:
    """Staff without two-factor authentication: they set it up before anything else."""
    return has_staff_powers(user) and not has_two_factor(user)


def can_use_admin(user) -> bool:
    """Whether the admin would let ``user`` in and show them something: the header's link."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and (user.is_superuser or user.get_all_permissions())
    )


def two_factor_exempt(path: str) -> bool:
    """Pages a person without two-factor authentication still reaches: signing in and out,
    setting up two-factor authentication and the rest of the account pages, static files
    (``/favicon.ico`` too) and the health check."""
    prefixes = ("/accounts/", "/healthz", "/favicon.ico", "/" + settings.STATIC_URL.lstrip("/"))
    return path.startswith(prefixes)
