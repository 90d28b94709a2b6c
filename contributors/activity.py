"""A person's activity in the apps above contributors, for profiles and the review page.

contributors sits below forums in the layers (README), so it never asks forums itself: an
app above registers a provider in its ``AppConfig.ready`` (forums: posts, accepted answers
and ideas) and the pages show what the providers give, nothing where none is registered.
"""

import logging
from collections.abc import Callable, Iterable

from django.db import transaction

logger = logging.getLogger(__name__)

# Person id -> counts by name ({"posts": 3, "accepted_answers": 1, …}).
Counts = dict[int, dict[str, int]]
Provider = Callable[[list[int]], Counts]

_providers: dict[str, Provider] = {}


def register(area: str, provider: Provider) -> None:
    """Let ``provider`` answer for ``area`` (``"forums"``); called from AppConfig.ready."""
    _providers[area] = provider


def counts(area: str, user_ids: Iterable[int]) -> Counts:
    """The counts ``area``'s provider gives for these people; empty without a provider."""
    provider = _providers.get(area)
    if provider is None:
        return {}
    try:
        # A savepoint: if the provider fails, the page's transaction stays usable.
        with transaction.atomic():
            return provider(list(user_ids)) or {}
    except Exception:
        logger.exception("the %s activity provider failed; its activity is not shown", area)
        return {}
