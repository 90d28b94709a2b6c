"""The forums' sections of the mail settings page (registered in forums/apps.py).

The ORCID API Users list and every other forum and topic a person watches, with a form
per subscription that posts ``action=watch`` to the settings page (mail/lists.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from core.errors import InvalidInput
from forums import permissions, services
from forums.models import Subscription
from forums.notifications import mail_settings_of

WATCH_MODES = [*Subscription.Mode.values, "off"]


def settings_context(user) -> dict:
    """What the section's template shows (a fixed number of queries)."""
    data = mail_settings_of(user)
    return {
        "api_forum": data.api_forum,
        "api_mode": data.api_mode,
        "watched": data.watched,
        "modes": Subscription.Mode.choices,
    }


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput(_("Choose a forum or a topic.")) from None


def settings_watch(user, data: Mapping[str, str]) -> str:
    """The section's form: watch a forum or topic in a mode, or stop ("off")."""
    mode = data.get("mode", "")
    if mode not in WATCH_MODES:
        raise InvalidInput(_("Choose how you want to receive mail."))
    # Fetched through the permission helpers: a forum you cannot see is a 404.
    if data.get("forum"):
        forum = permissions.get_forum_by_id_for_user(user, _int(data["forum"]))
        services.subscription_set(by=user, forum=forum, mode=mode)
    else:
        topic = permissions.get_topic_for_user(user, _int(data.get("topic")))
        services.subscription_set(by=user, topic=topic, mode=mode)
    return _("Your mail settings are saved.")
