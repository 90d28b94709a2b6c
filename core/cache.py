"""Cache generations, and the one place they are bumped: the database connection itself.

The portal caches whole pages (core.pagecache) under the *generation* of the areas they
show: one version number per area, kept in the default cache (Redis). Every write to an
area's tables bumps its generation, so the next request draws the page anew: nothing is
served stale, and nothing has to know which keys to delete.

**Who bumps.** Nobody by hand. :func:`install` puts a hook on every database connection
(``connection_created``, so web requests, Celery tasks, management commands and the shell
alike) that reads each statement before it runs: an ``INSERT``, ``UPDATE`` or ``DELETE``
of a table of an area (:func:`areas_of`, from the app labels: every table of the
``forums`` app belongs to ``forums``; people's tables — the user model, groups,
permissions, authenticators — to ``people``) is noted. So a service, a
``QuerySet.update()``, an admin action, a management command or raw SQL cannot write
without invalidating. Two writes show nowhere and bump nothing: a sign-in's
``last_login``, and the rows of a model marked ``shown_on_no_page`` (reply keys).

**When.** In a transaction, the areas a transaction owes are written to
:class:`core.models.PendingInvalidation` *in the same transaction*, and bumped when it
commits (``on_commit``); the row is deleted once Redis has the bumps. In autocommit the row
is written first, then the statement runs and the bumps follow at once. A transaction also
bumps at its first write after a page was read in this process, so a transaction that
reads a cached page sees its own writes (the tests run in one); the bump on commit is the
one that counts: a page drawn by another process before the commit, under whatever
generation, is dropped by it.

**Survival.** A process killed between its commit and Redis (a gunicorn worker, a Celery
worker), or a Redis that does not answer (down, hung: every call has a short socket
timeout, and the backend stops asking for a while, core.redis_cache), leaves its rows;
:func:`replay_pending` (``core.tasks.replay_invalidations``: on beat every
``CACHE_SWEEP_SECONDS`` and at worker start) bumps their areas and deletes them. A page is
never stale longer than that. A bump that fails is logged, never raised: a committed write
is never turned into an error page by the cache.

A generation that is not in the cache (first use, eviction, deleted while Redis was away)
starts from the clock in microseconds, so it never repeats a value an old key may carry.

Where things live: the generations in the default cache (the main Redis, with the
sessions, the rate-limit counters and the Celery queues), the pages they key in the
``pages`` cache, which may be a Redis of its own that evicts freely (``PAGE_CACHE_URL``).
"""

from __future__ import annotations

import collections
import functools
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate

from core.models import PendingInvalidation

logger = logging.getLogger(__name__)

AREAS = ("consortia", "contributors", "forums", "events", "people")
# Apps whose tables are people's: names and ORCID iDs show on every page, and the cached
# signed-in person carries their groups, permissions and two-factor state.
PEOPLE_APPS = ("accounts", "auth", "mfa")
PREFIX = "generation:"
# The cache alias for HTML (core.pagecache).
PAGES = "pages"


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


# How many times this process read generations: a transaction bumps again at once only
# when a page may have been read since its last bump (see above).
_reads = 0


def read(areas: Iterable[str], *keys: str) -> tuple[str, dict]:
    """The current generation of ``areas`` and the cached values of ``keys``, in one round
    trip: ``(generation, {key: value found})``."""
    global _reads
    _reads += 1
    area_keys = [area_key(area) for area in areas]
    found = cache.get_many([*area_keys, *keys])
    missing = {key: _fresh() for key in area_keys if key not in found}
    if missing:
        cache.set_many(missing, None)
        found.update(missing)
    return ".".join(str(found[key]) for key in area_keys), {
        key: found[key] for key in keys if key in found
    }


def generation(*areas: str) -> str:
    """The current generation of ``areas`` (one cache round trip)."""
    return read(areas)[0]


def remember(key: str, areas: tuple[str, ...], seconds: int, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept in the cache under ``key`` while ``areas`` are unchanged (one
    round trip on a hit); ``None`` is never kept."""
    current, found = read(areas, key)
    entry = found.get(key)
    if entry is not None and entry[0] == current:
        return entry[1]
    value = compute()
    if value is not None:
        cache.set(key, (current, value), seconds)
    return value


# Writes made by this process, per area: a version for memos that live one request (a
# person's groups, say), which must see this request's own changes but need no round trip.
_local_writes: collections.Counter = collections.Counter()


def local_version(area: str) -> int:
    """How often this process has written ``area``: changes when its data changed here."""
    return _local_writes[area]


# --- which statements write which areas ------------------------------------------------------

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"]?(\w+)[`"]?', re.IGNORECASE)
_SET_COLUMNS = re.compile(r'[`"](\w+)[`"]\s*=')


@functools.cache
def _table_areas() -> dict[str, str]:
    """Every table of an area's app (its many-to-many tables too) and its area, but those
    of models that say their rows show on no page (``shown_on_no_page = True``: the
    secrets behind reply addresses, written by the thousand while digests go out)."""
    area_of_app = {area: area for area in AREAS} | dict.fromkeys(PEOPLE_APPS, "people")
    return {
        model._meta.db_table: area_of_app[model._meta.app_label]
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in area_of_app and not getattr(model, "shown_on_no_page", False)
    }


@functools.cache
def _quiet_columns() -> dict[str, frozenset[str]]:
    """Columns whose change shows nowhere: a sign-in's ``last_login``."""
    return {apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table: frozenset({"last_login"})}


@functools.lru_cache(maxsize=1024)
def areas_of(sql: str) -> frozenset[str]:
    """The areas a statement writes (none for a read or a table of no area)."""
    match = _WRITE.match(sql)
    if match is None:
        return frozenset()
    table = match.group(1)
    area = _table_areas().get(table)
    if area is None:
        return frozenset()
    quiet = _quiet_columns().get(table)
    if quiet and sql.lstrip()[:6].upper() == "UPDATE":
        assignments = re.split(r"\sWHERE\s", sql, maxsplit=1, flags=re.IGNORECASE)[0]
        if set(_SET_COLUMNS.findall(assignments.split(" SET ", 1)[-1])) <= quiet:
            return frozenset()
    return frozenset({area})


# --- the hook ----------------------------------------------------------------------------------

# Between pre_migrate and post_migrate: the outbox table may not exist yet.
_suspended = False


class _Batch:
    """What one transaction owes: its areas and its outbox rows, delivered once, by the first
    of its on-commit callbacks to run (every write registers one, so a commit simulated
    for the callbacks of a block — tests — delivers too)."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.areas: set[str] = set()
        # (areas, row id, position of its callback in run_on_commit, the callback): the
        # callback is still there unless a savepoint rolled it back, and the row with it.
        self.rows: list[tuple[frozenset[str], int, int, Callable[[], None]]] = []
        self.done = False

    def flush(self) -> None:
        if self.done:
            return
        self.done = True
        _deliver(self.alias, frozenset(self.areas), [row_id for _, row_id, _, _ in self.rows])


class _Owed:
    """A connection's open batch, and the read count of each area's last bump made at once."""

    def __init__(self) -> None:
        self.batch: _Batch | None = None
        self.bumped_at: dict[str, int] = {}


def _owed(connection) -> _Owed:
    owed = getattr(connection, "_occ_owed", None)
    if owed is None:
        owed = connection._occ_owed = _Owed()
    return owed


def _record(connection, areas: Iterable[str]) -> int:
    """Write the outbox row of ``areas`` on ``connection`` (in its transaction, if any)."""
    row = PendingInvalidation.objects.using(connection.alias).create(areas=",".join(sorted(areas)))
    return row.pk


def bump(*areas: str) -> bool:
    """Bump the generations of ``areas`` (every area without any) in the cache now;
    whether the cache took every bump. Never raises."""
    keys = [area_key(area) for area in areas or AREAS]
    if hasattr(cache, "bump"):  # Redis (core.redis_cache): one round trip for them all
        try:
            return cache.bump(keys, _fresh())
        except Exception:  # noqa: BLE001 - a cache that fails must not fail a committed write
            logger.exception("Could not bump the cache generations of %s", ", ".join(keys))
            return False
    delivered = True  # the local-memory cache of `make run`: one key at a time
    for key in keys:
        try:
            try:
                delivered &= cache.incr(key) is not None
            except ValueError:  # not in the cache: start afresh
                if not cache.add(key, _fresh(), None):
                    delivered &= cache.incr(key) is not None  # raced, or the cache is away
        except Exception:  # noqa: BLE001 - a cache that fails must not fail a committed write
            logger.exception("Could not bump the cache generation %s", key)
            delivered = False
    return delivered


def _deliver(alias: str, areas: frozenset[str], row_ids: list[int]) -> None:
    """Bump ``areas`` and, once the cache has the bumps, delete their outbox rows."""
    if not bump(*sorted(areas)):
        return  # the rows stay for the sweep
    try:
        # One DELETE statement: the outbox has no relations nor signals, and the collector
        # of QuerySet.delete() would wrap it in a transaction of its own (three round trips).
        rows = PendingInvalidation.objects.using(alias).filter(pk__in=row_ids)
        rows._raw_delete(alias)
    except DatabaseError:
        logger.exception("Could not delete delivered invalidations; the sweep will")


def _note(connection, areas: frozenset[str]) -> None:
    """In a transaction: owe ``areas`` (an outbox row unless a live one of this transaction
    has them; bumped on commit); bump at once those a page may have read since."""
    owed = _owed(connection)
    hooks = connection.run_on_commit

    def alive(index: int, callback) -> bool:
        return index < len(hooks) and hooks[index][1] is callback

    batch = owed.batch
    if batch is None or batch.done or not any(alive(i, cb) for _, _, i, cb in batch.rows):
        batch = owed.batch = _Batch(connection.alias)
    covered = frozenset().union(*(a for a, _, i, cb in batch.rows if alive(i, cb)))
    batch.areas.update(areas)
    callback = batch.flush
    missing = areas - covered
    if missing:
        batch.rows.append((missing, _record(connection, missing), len(hooks), callback))
    connection.on_commit(callback, robust=True)
    stale = [area for area in areas if owed.bumped_at.get(area) != _reads]
    if stale:
        bump(*stale)
        for area in stale:
            owed.bumped_at[area] = _reads


def _hook(execute, sql, params, many, context):
    """The execute wrapper of every connection (see above)."""
    areas = areas_of(sql) if isinstance(sql, str) and not _suspended else frozenset()
    if not areas:
        return execute(sql, params, many, context)
    connection = context["connection"]
    for area in areas:
        _local_writes[area] += 1
    if connection.in_atomic_block:
        result = execute(sql, params, many, context)
        _note(connection, areas)
        return result
    row_id = _record(connection, areas)  # autocommit: the row first, then the write
    try:
        return execute(sql, params, many, context)
    finally:
        _deliver(connection.alias, areas, [row_id])


def _install_on(sender, connection, **kwargs) -> None:
    if _hook not in connection.execute_wrappers:
        connection.execute_wrappers.append(_hook)


def _suspend(**kwargs) -> None:
    global _suspended
    _suspended = True


def _resume(**kwargs) -> None:
    global _suspended
    if _suspended:
        _suspended = False
        bump()  # whatever the migrations wrote


def install() -> None:
    """Hook every database connection, now and to come (core.apps)."""
    connection_created.connect(_install_on, dispatch_uid="core-cache-hook")
    pre_migrate.connect(_suspend, dispatch_uid="core-cache-suspend")
    post_migrate.connect(_resume, dispatch_uid="core-cache-resume")
    for connection in connections.all(initialized_only=True):
        _install_on(None, connection)


def replay_pending() -> int:
    """Bump the areas of every invalidation left pending (a process died between its commit
    and Redis, or Redis did not answer) and delete the rows; how many rows were replayed."""
    rows = list(PendingInvalidation.objects.values_list("pk", "areas"))
    if not rows:
        return 0
    areas = {area for _, joined in rows for area in joined.split(",") if area in AREAS}
    if not bump(*sorted(areas)):
        return 0
    PendingInvalidation.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return len(rows)
