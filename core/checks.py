"""System checks of the portal's own settings (``manage.py check``; ``--deploy`` for the
ones that matter only in production). Registered in core.apps."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core import checks

from core.ratelimit import ACTIONS, parse_rate

# Keys that are public: the development key of settings.py and the placeholder that
# docker-compose.yml once carried. Anyone can sign sessions and unsubscribe links with them.
KNOWN_KEYS = frozenset(
    {
        "django-insecure-development-key-not-for-production",
        "change-me-to-a-long-random-string-before-any-real-use-0123456789",
    }
)
MIN_SECRET_KEY_LENGTH = 50


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """In production the secret key is the operator's own, long and random."""
    key = settings.SECRET_KEY
    if key in KNOWN_KEYS or key.startswith("django-insecure"):
        return [
            checks.Error(
                "DJANGO_SECRET_KEY is a development key that anyone can read in the source.",
                hint="Set DJANGO_SECRET_KEY to a long random string, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="core.E001",
            )
        ]
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return [
            checks.Error(
                f"DJANGO_SECRET_KEY has {len(key)} characters; it needs at least "
                f"{MIN_SECRET_KEY_LENGTH}.",
                hint="Set DJANGO_SECRET_KEY to a long random string, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="core.E002",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_forwarded_allow_ips(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every entry of FORWARDED_ALLOW_IPS is an address, a network or ``*``."""
    errors = []
    for entry in settings.FORWARDED_ALLOW_IPS:
        if entry.strip() == "*":
            continue
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"FORWARDED_ALLOW_IPS has {entry!r}, which is no address or network.",
                    hint="Comma-separated addresses or networks (10.0.0.0/8), or *.",
                    id="core.E003",
                )
            )
    return errors


@checks.register()
def check_rate_limits(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every rate-limited action has a limit, and every limit reads like ``10/h``."""
    errors = []
    for action in ACTIONS:
        text = settings.RATE_LIMITS.get(action)
        try:
            if text is None:
                raise ValueError(f"no limit for {action!r}")
            parse_rate(text)
        except ValueError as exc:
            errors.append(
                checks.Error(
                    f"RATE_LIMITS[{action!r}]: {exc}.",
                    hint='A count and a period: "10/h" (s, m, h or d).',
                    id="core.E004",
                )
            )
    return errors
