"""Rate limits on the actions anyone signed in can repeat: a branded 429 page beyond them.

``@rate_limit("join")`` on a view counts each attempt to change something (every method
but GET, HEAD, OPTIONS and TRACE; viewing a form costs nothing) per person — per client
address (core.client) for visitors who are not signed in — and answers ``429 Too Many
Requests`` with ``Retry-After`` once the person has used up ``settings.RATE_LIMITS[action]``
(``"10/h"``: ten per hour; ``s``, ``m``, ``h``, ``d``). Every attempt counts, whatever the
view then answers: a refused form or a 404 costs an attempt too, so the limit also bounds
probing. ``when=`` narrows it to some requests (a new organization in a join request).
Inside a view, :func:`refusal` does the same in one call.

The refused request never reaches the view: nothing is saved or sent. The 429 page says
so, shows what the person typed (to copy it), and says when to try again.

Counters are windows of the clock (``10/h``: each hour from :00) in the default cache:
on Redis one ``INCR`` and ``EXPIRE`` in a transaction (core.redis_cache), a key that
expires with its window. Redis lives apart from the cached HTML, so a flood of pages
cannot evict a counter (README, "Two Redis roles"). While Redis does not answer, each
process counts for itself (:class:`LocalCounters`): limits keep holding — at most one
allowance per process — and a Redis outage never refuses everyone, only the person who
went past the limit.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.client import client_address

logger = logging.getLogger(__name__)

# What each limited action is called on the 429 page. A new action needs a name here and
# a default in settings.RATE_LIMITS.
ACTIONS = {
    "join": _("Requests to join a consortium"),
    "propose": _("Consortium proposals"),
    "organization": _("Registrations of a new organization"),
    "invitation": _("Contact invitations"),
    "contact_request": _("Requests to act for an organization"),
    "session": _("Session proposals"),
    "contribution": _("Contributions added to a profile"),
    "flag": _("Posts flagged to the moderators"),
    "data_export": _("Requests for a copy of your data"),
    "api": _("Requests to the open data API and feeds"),
}
PERIODS = {
    "s": (1, _("per second")),
    "m": (60, _("per minute")),
    "h": (60 * 60, _("per hour")),
    "d": (24 * 60 * 60, _("per day")),
}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# Fields never shown back on the 429 page.
_HIDDEN_FIELDS = ("csrfmiddlewaretoken", "password", "token", "secret")


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int
    period: str  # "h"

    @property
    def period_label(self) -> str:
        return str(PERIODS[self.period][1])


def parse_rate(text: str) -> Rate:
    """``"10/h"`` → ten per hour. Raises ValueError for anything else."""
    count, _slash, period = text.strip().partition("/")
    if not count.isdigit() or int(count) < 1 or period not in PERIODS:
        raise ValueError(f"a rate is a count and a period, like 10/h, not {text!r}")
    return Rate(limit=int(count), seconds=PERIODS[period][0], period=period)


def rate_for(action: str) -> Rate:
    return parse_rate(settings.RATE_LIMITS[action])


# --- counting --------------------------------------------------------------------------


class LocalCounters:
    """Per-process window counters for when Redis does not answer: bounded in size (the
    oldest counter goes first), each forgotten when its window has passed."""

    def __init__(self, capacity: int = 10_000):
        self.capacity = capacity
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def incr(self, key: str, expires_at: float) -> int:
        now = time.time()
        with self._lock:
            count, _ = self._counts.get(key, (0, expires_at))
            self._counts[key] = (count + 1, expires_at)
            self._counts.move_to_end(key)
            if len(self._counts) > self.capacity:
                for old in [k for k, (_, until) in self._counts.items() if until <= now]:
                    del self._counts[old]
                while len(self._counts) > self.capacity:
                    self._counts.popitem(last=False)
            return count + 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


local_counters = LocalCounters()


def _count(key: str, seconds: int, window_ends_at: float) -> int:
    """Add one to the counter ``key`` of this window; its new value."""
    backend = caches["default"]
    incr_window = getattr(backend, "incr_window", None)
    if incr_window is not None:  # Redis (core.redis_cache)
        count = incr_window(key, seconds)
        if count is not None:
            return count
        return local_counters.incr(key, window_ends_at)
    # Local memory and other backends: one process, or atomic enough (add, then incr).
    backend.add(key, 0, seconds)
    try:
        return backend.incr(key)
    except ValueError:  # expired in between: a new window
        backend.add(key, 0, seconds)
        return backend.incr(key)


def _who(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user-{user.pk}"
    address = client_address(request)
    if address is None:
        return None
    ip = ipaddress.ip_address(address)
    if ip.version == 6:  # one person usually holds a whole /64
        ip = ipaddress.ip_network(f"{ip}/64", strict=False).network_address
    return f"address-{ip}"


def refusal(request: HttpRequest, action: str) -> HttpResponse | None:
    """Count this attempt at ``action``; the 429 page when it is one too many, else None."""
    who = _who(request)
    if who is None:  # no person and no address: nothing to tell anyone apart by
        return None
    rate = rate_for(action)
    now = time.time()
    window = int(now // rate.seconds)
    window_ends_at = (window + 1) * rate.seconds
    count = _count(f"ratelimit:{action}:{who}:{window}", rate.seconds, window_ends_at)
    if count <= rate.limit:
        return None
    retry_after = max(1, math.ceil(window_ends_at - now))
    logger.info("rate limit: %s refused for %s (%s of %s)", action, who, count, rate.limit)
    return _too_many(request, action, rate, retry_after)


def _typed(request: HttpRequest) -> list[tuple[str, str]]:
    """What the person submitted, to show back: text fields only, no secrets."""
    return [
        (name, value)
        for name, values in request.POST.lists()
        if not any(hidden in name.lower() for hidden in _HIDDEN_FIELDS)
        for value in values
        if value.strip()
    ]


def _too_many(request: HttpRequest, action: str, rate: Rate, retry_after: int) -> HttpResponse:
    context = {
        "action": ACTIONS[action],
        "limit": rate.limit,
        "period": rate.period_label,
        "retry_at": timezone.now() + timedelta(seconds=retry_after),
        "typed": _typed(request),
        "had_files": bool(request.FILES),
    }
    response = render(request, "core/rate_limited.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(action: str, *, when: Callable[[HttpRequest], bool] | None = None):
    """Refuse attempts beyond ``settings.RATE_LIMITS[action]`` with a 429 (see above)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown rate-limited action {action!r}")

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in SAFE_METHODS and (when is None or when(request)):
                refused = refusal(request, action)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
