"""The briefings section of the mail settings page reads its data through this tag.

``mail.views`` includes ``contributors/_briefing_settings.html`` with ``user`` and
``request`` only, so the mail app needs to know nothing of groups.
"""

from django import template

from contributors import selectors

register = template.Library()


@register.simple_tag
def briefing_choices(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return selectors.briefing_choices(user)
