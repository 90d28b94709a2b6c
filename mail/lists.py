"""The sections other apps add to the mail settings page (``/mail/settings/``).

Mail sits below the apps whose mail it sends, so it cannot ask them what a person
subscribed to: each app registers its section in its ``AppConfig.ready`` instead — a
template, the context it needs for a person, and the function saving its part of the form.

    register_settings_section(
        "forums", template="forums/_mail_settings.html", context=settings_context,
        save=settings_save, position=10,
    )

The page is ONE form with one Save: the sections by ``position``, then the lists of
``LIST_NAMES`` (mail's own). A section's template gets ``section`` (what its ``context``
returned), ``user``, ``request`` and ``unsubscribed`` (the list ids the person left); its
fields carry which rows they show, so its ``save`` changes exactly those rows.
``context(user, unsubscribed=…)`` may return ``receives``, {list id: what the person
receives from that list}: the lists block shows that statement instead of its own, so a
list reads the same at the top and at the bottom of the page.

``mail.services.mail_settings_save`` calls every section's ``save(user, data)`` (``data``:
the POST, a ``QueryDict``) in one transaction, then mail's lists: a ``DomainError`` (or a
permission-aware fetch's ``Http404``) from any of them leaves everything as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SaveHandler = Callable[[Any, Any], None]


@dataclass(frozen=True)
class SettingsSection:
    key: str
    template: str
    context: Callable[..., dict] | None = None
    save: SaveHandler | None = None
    position: int = 100


SECTIONS: dict[str, SettingsSection] = {}


def register_settings_section(
    key: str,
    *,
    template: str,
    context: Callable[..., dict] | None = None,
    save: SaveHandler | None = None,
    position: int = 100,
) -> None:
    """Add (or replace) an app's section of the mail settings page."""
    SECTIONS[key] = SettingsSection(
        key=key, template=template, context=context, save=save, position=position
    )


def settings_sections() -> list[SettingsSection]:
    return sorted(SECTIONS.values(), key=lambda section: (section.position, section.key))
