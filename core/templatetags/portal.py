from django import template
from django.utils.safestring import mark_safe

from core.identifiers import orcid_url, ror_url
from core.markdown import render_markdown
from core.middleware import CSRF_MARKER

register = template.Library()


@register.filter
def markdown(text: str):
    """Render user Markdown safely: ``{{ topic.body|markdown }}``."""
    return render_markdown(text)


@register.filter
def orcid_link(orcid_id: str) -> str:
    return orcid_url(orcid_id) if orcid_id else ""


@register.filter
def ror_link(ror_id: str) -> str:
    return ror_url(ror_id) if ror_id else ""


@register.simple_tag
def csrf_token_late():
    """``{% csrf_token %}`` for cached pages: the token is filled in per response
    (core.middleware.LateCsrfTokenMiddleware)."""
    return mark_safe(CSRF_MARKER)  # noqa: S308 - a constant
