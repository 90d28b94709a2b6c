"""What each app holds about a person: to export it, to erase it, and to purge it on time.

accounts sits below the apps that hold most of a person's data (README, "Layers"), so it
never asks them itself: each app registers an :class:`Area` in its ``AppConfig.ready``
(accounts and mail's own rows are accounts' area), and the services of this app —
``data_export_build``, ``account_delete``, ``personal_data_purge`` — go through the areas.
An app that holds something about people and registers nothing is a gap the tests of
``tests/accounts/test_personal_data.py`` catch (they scan every table after a deletion).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A file name without ".json" -> what goes in it (JSON-able: dicts, lists, str, numbers).
Export = dict[str, Any]


@dataclass(frozen=True)
class Area:
    """One app's part of a person's data.

    ``export(user)``: the person's files (only theirs: nothing another person wrote or
    may not show them). ``erase(user)``: delete or anonymise the person's rows, inside
    ``account_delete``'s transaction; what the community keeps stays, pointing at the
    emptied account. ``blockers(user)``: why the account may not go yet (translatable
    messages saying what to do), none when it may. ``purge(now)``: delete what the
    retention settings say is too old; returns counts by kind.
    """

    name: str
    export: Callable[[Any], Export] | None = None
    erase: Callable[[Any], None] | None = None
    blockers: Callable[[Any], list] | None = None
    purge: Callable[[datetime], dict[str, int]] | None = None


_areas: dict[str, Area] = {}


def register(area: Area) -> None:
    """Add (or replace) an app's area; called from AppConfig.ready."""
    _areas[area.name] = area


def areas() -> list[Area]:
    """Every registered area, in a stable order (by name)."""
    return [_areas[name] for name in sorted(_areas)]


def iso(value) -> str | None:
    """A date or time for JSON (None stays None)."""
    return value.isoformat() if value is not None else None
