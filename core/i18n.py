"""Data in the portal's languages (django-modeltranslation, README "Languages")."""

from __future__ import annotations

from django.db import models
from django.utils.functional import lazy


def fill_translations(obj: models.Model, texts: dict[str, str]) -> list[str]:
    """Set each empty translation field of ``obj`` named in ``texts`` (``{"name_ru": …}``)
    and save those fields: what staff translated already stays. Returns the fields set."""
    changed = [field for field, text in texts.items() if text and not getattr(obj, field)]
    for field in changed:
        setattr(obj, field, texts[field])
    if changed:
        obj.save(update_fields=changed)
    return changed


def read_when_shown(obj: models.Model, field: str) -> str:
    """``obj.<field>`` read when it is turned into text, in the language active then: a
    translated name in a mail's subject is formatted in each recipient's language, not
    in the language of the person whose action sent it."""
    return lazy(lambda: getattr(obj, field), str)()
