"""Data in the portal's languages (django-modeltranslation, README "Languages")."""

from __future__ import annotations

from django.db import models


def fill_translations(obj: models.Model, texts: dict[str, str]) -> list[str]:
    """Set each empty translation field of ``obj`` named in ``texts`` (``{"name_ru": …}``)
    and save those fields: what staff translated already stays. Returns the fields set."""
    changed = [field for field, text in texts.items() if text and not getattr(obj, field)]
    for field in changed:
        setattr(obj, field, texts[field])
    if changed:
        obj.save(update_fields=changed)
    return changed
