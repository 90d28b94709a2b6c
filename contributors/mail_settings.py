"""The briefings section of the mail settings page (registered in contributors/apps.py).

A box per group in the page's one form (mail/lists.py): ``groups`` the ticked ones,
``briefing_group`` every group the page showed, so a save changes exactly those.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from contributors import selectors, services
from contributors.forms import BriefingChoicesForm
from core.errors import InvalidInput


def settings_context(user, *, unsubscribed: set[str]) -> dict:
    """Every group, ticked where the person receives its briefings."""
    return {"choices": selectors.briefing_choices(user)}


def settings_save(user, data) -> None:
    """Receive the briefings of the ticked groups among those the page showed."""
    if "briefing_group" not in data:
        return
    form = BriefingChoicesForm(
        {"groups": data.getlist("groups"), "shown": data.getlist("briefing_group")}
    )
    if not form.is_valid():
        raise InvalidInput(
            _("Your briefing choices were not changed"),
            details=[error for errors in form.errors.values() for error in errors],
        )
    shown = {group.pk for group in form.cleaned_data["shown"]}
    kept = selectors.briefing_groups_of(user, exclude=shown)  # not on the page: unchanged
    services.briefing_subscriptions_set(by=user, groups=[*kept, *form.cleaned_data["groups"]])
