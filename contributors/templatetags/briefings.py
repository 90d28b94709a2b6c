"""The briefings section of the mail settings page reads its data through this tag.

The mail settings page includes ``contributors/_briefing_settings.html`` (registered in
contributors/apps.py, see mail/lists.py) with ``user`` and ``request``, so the mail app
needs to know nothing of groups.
"""

from django import template

from contributors import selectors

register = template.Library()


@register.simple_tag
def briefing_choices(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return selectors.briefing_choices(user)
