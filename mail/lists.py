"""The sections other apps add to the mail settings page (``/mail/settings/``).

Mail sits below the apps whose mail it sends, so it cannot ask them what a person
subscribed to: each app registers its section in its ``AppConfig.ready`` instead — a
template, the context it needs for a person, and the form actions it carries out.

    register_settings_section(
        "forums", template="forums/_mail_settings.html", context=forums_mail_settings,
        actions={"watch": subscription_change}, position=10,
    )

The page shows the sections by ``position``, then the lists of ``LIST_NAMES`` (mail's
own). A section's template gets ``section`` (what its ``context`` returned), ``user``,
``request`` and ``unsubscribed`` (the list ids the person left). Its forms post to the
settings page with an ``action`` the section registered (its handler gets the person and
the form data and returns the message to show, or raises a ``DomainError``; a
permission-aware fetch may raise ``Http404``), or to a view of the app's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ActionHandler = Callable[[Any, Mapping[str, str]], str]


@dataclass(frozen=True)
class SettingsSection:
    key: str
    template: str
    context: Callable[[Any], dict] | None = None
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    position: int = 100


SECTIONS: dict[str, SettingsSection] = {}


def register_settings_section(
    key: str,
    *,
    template: str,
    context: Callable[[Any], dict] | None = None,
    actions: dict[str, ActionHandler] | None = None,
    position: int = 100,
) -> None:
    """Add (or replace) an app's section of the mail settings page."""
    SECTIONS[key] = SettingsSection(
        key=key, template=template, context=context, actions=dict(actions or {}), position=position
    )


def settings_sections() -> list[SettingsSection]:
    return sorted(SECTIONS.values(), key=lambda section: (section.position, section.key))


def settings_action(action: str) -> ActionHandler | None:
    """The handler a section registered for a form ``action`` of the page (None: unknown)."""
    for section in SECTIONS.values():
        if action in section.actions:
            return section.actions[action]
    return None
