"""Warm a process before gunicorn forks its workers (see gunicorn_conf.py).

Loads what a worker would otherwise load on its first requests: the URL patterns (and
with them every view module), the compiled templates of the main pages (Django's cached
loader keeps them per process, so the forked workers inherit them), the translation
catalogs of every language and the template tag libraries. Touches neither the database
nor the cache; closes any database connection anyway, so no two processes share one.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connections
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation


def template_names() -> list[str]:
    """Every template of the project's own templates folder."""
    root = Path(settings.BASE_DIR) / "templates"
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.html"))


def warm_up() -> None:
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    for name in template_names():
        try:
            get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError):
            continue
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("ORCID Community Portal")
    connections.close_all()
