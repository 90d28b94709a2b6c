"""Cache generations: one version number per area of the portal, for cached fragments.

A fragment that shows an area's data is cached under a key that includes the area's
*generation* (``{% generation "consortia" as gen %}{% cache 300 name gen LANGUAGE_CODE %}``,
or :func:`fragment_key` in Python). Every change of the area's data bumps the generation,
so the next request misses the cache and draws the fragment anew: nothing is ever served
stale, and nothing has to know which keys to delete.

What bumps a generation:

* ``post_save``, ``post_delete`` and ``m2m_changed`` of every model of the area's app
  (services, the admin, the shell; see :func:`connect_area`);
* :func:`bump` called explicitly where data changes without a signal
  (``QuerySet.update()``, ``bulk_create()``): the forums' services, for instance;
* a change of a user (names appear everywhere) bumps every area, except a sign-in's
  ``last_login``.

A bump happens at once *and* again after the commit: a page rendered by another process
between the two read the data from before the commit and may have cached it under the
first new generation; the second bump drops that copy too.

A generation that is not in the cache (first use, eviction) starts from the clock in
microseconds, so it never repeats a value that keys of cached fragments may still carry.

Where things live: the generations in the default cache (the main Redis, with the
sessions, the rate-limit counters and the Celery queues), the HTML they key — cached
fragments (``{% cache … using="pages" %}``) and whole pages (core.pagecache) — in the
``pages`` cache, which may be a Redis of its own that evicts freely (``PAGE_CACHE_URL``,
``allkeys-lru``): however many pages are drawn, eviction there cannot reach what must
stand. Without ``PAGE_CACHE_URL`` the ``pages`` alias is the default cache itself.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

AREAS = ("consortia", "contributors", "forums", "events")
PREFIX = "generation:"
# The cache alias for HTML: cached pages and fragments (see above).
PAGES = "pages"
# Fragments expire anyway: a bound on what an evicted or unreachable generation can do.
FRAGMENT_SECONDS = 60 * 60


def area_key(area: str) -> str:
    """The cache key of ``area``'s generation."""
    if area not in AREAS:
        raise ValueError(f"unknown cache area {area!r}")
    return PREFIX + area


def pages_with_generations() -> bool:
    """Whether cached HTML is stored with the generations (one cache, one round trip to
    read both) rather than in a cache of its own."""
    configured = settings.CACHES
    return configured.get(PAGES, configured["default"]) == configured["default"]


def _fresh() -> int:
    return time.time_ns() // 1000


def generation(*areas: str) -> str:
    """The current generation of ``areas`` (one cache round trip), as a key part."""
    return read(areas)[0]


def read(areas, *keys: str) -> tuple[str, dict]:
    """The current generation of ``areas`` and the cached values of ``keys``, in one round
    trip: ``(generation, {key: value found})``."""
    area_keys = [area_key(area) for area in areas]
    found = cache.get_many([*area_keys, *keys])
    missing = {key: _fresh() for key in area_keys if key not in found}
    if missing:
        cache.set_many(missing, None)
        found.update(missing)
    return ".".join(str(found[key]) for key in area_keys), {
        key: found[key] for key in keys if key in found
    }


# Bumps made by this process, per area: a version for memos that live one request (a
# person's groups, say), which must see this request's own changes but need no round trip.
_local_bumps: collections.Counter = collections.Counter()


def local_version(area: str) -> int:
    """How often this process has bumped ``area``: changes when its data changed here."""
    return _local_bumps[area]


def _bump_now(areas: tuple[str, ...]) -> None:
    for area in areas:
        _local_bumps[area] += 1
        key = area_key(area)
        try:
            cache.incr(key)
        except ValueError:  # not in the cache: start afresh
            cache.set(key, _fresh(), None)


def bump(*areas: str) -> None:
    """Mark the data of ``areas`` as changed: now, and again after the commit."""
    areas = areas or AREAS
    _bump_now(areas)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump_now(areas), robust=True)


def changes(*areas: str):
    """Decorator for a service: run it atomically and bump ``areas`` when it succeeds.

    For services that write with ``QuerySet.update()`` (no signal), like the forums'.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with transaction.atomic():
                result = func(*args, **kwargs)
                bump(*areas)
            return result

        return wrapper

    return decorate


def viewer_key(request) -> str:
    """What a cached fragment depends on besides the data and the language: who looks.

    Anonymous visitors all see the same; a signed-in person gets fragments of their own.
    Forms in cached fragments draw their CSRF token with ``{% csrf_token_late %}``: it is
    filled in per response (core.middleware), never kept in the cache.
    """
    user = request.user
    return f"user-{user.pk}" if user.is_authenticated else "anonymous"


def fragment_key(name: str, *parts) -> str:
    """A cache key for a fragment: its name and a digest of what it depends on."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()
    return f"fragment:{name}:{digest}"


def connect_area(area: str, app_label: str) -> None:
    """Bump ``area`` whenever a model of ``app_label`` is saved, deleted or re-linked."""

    def changed(sender, **kwargs) -> None:
        if kwargs.get("raw"):  # loaddata
            return
        bump(area)

    for model in apps.get_app_config(app_label).get_models():
        for signal in (post_save, post_delete):
            signal.connect(changed, sender=model, weak=False, dispatch_uid=f"gen-{area}-{model}")
    m2m_changed.connect(_m2m_changed, weak=False, dispatch_uid="gen-m2m")
    _M2M_AREAS[app_label] = area


_M2M_AREAS: dict[str, str] = {}


def _m2m_changed(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_"):
        area = _M2M_AREAS.get(type(instance)._meta.app_label)
        if area:
            bump(area)


def user_changed(sender, instance=None, update_fields=None, raw=False, **kwargs) -> None:
    """A person's name, ORCID iD or affiliation shows in every area (not a sign-in)."""
    if raw or (update_fields and set(update_fields) <= {"last_login"}):
        return
    bump(*AREAS)
