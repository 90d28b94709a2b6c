"""The forums' sections of the mail settings page (registered in forums/apps.py).

The ORCID API Users list and every other forum and topic a person watches: one delivery
menu per row, all in the page's one form (mail/lists.py). Each row's menu is named
``mode-forum-<id>`` or ``mode-topic-<id>`` and the row is listed in ``watch``, so a save
changes exactly the rows the page showed, and only those whose delivery changed.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from core.errors import InvalidInput
from forums import permissions, services
from forums.models import Subscription
from forums.notifications import LIST_API_USERS, LIST_WATCHED, mail_settings_of

OFF = "off"  # not watched (no Subscription row)
WATCH_MODES = [*Subscription.Mode.values, OFF]
# The same words as the lists block's (mail.selectors), so the page says it once.
LEFT = gettext_noop("You receive nothing from this list: you unsubscribed from it.")
MAILING_MODES = {Subscription.Mode.EACH, Subscription.Mode.DAILY, Subscription.Mode.WEEKLY}


def _api_users_statement(api_mode: str, topics: list[str]) -> str:
    """What the person receives from the ORCID API Users list, in one sentence
    (``topics``: the modes of the list's topics the person watches, which override the
    list's mode for them)."""
    if api_mode in MAILING_MODES:
        statement = {
            Subscription.Mode.EACH: _("You receive each message of the list."),
            Subscription.Mode.DAILY: _("You receive a daily digest of the list."),
            Subscription.Mode.WEEKLY: _("You receive a weekly digest of the list."),
        }[api_mode]
        if topics:
            statement += " " + ngettext(
                "%(count)d topic you watch has a delivery of its own.",
                "%(count)d topics you watch have a delivery of their own.",
                len(topics),
            ) % {"count": len(topics)}
        return statement
    mailed = sum(mode in MAILING_MODES for mode in topics)
    if mailed:
        return ngettext(
            "You receive only the %(count)d topic of the list you watch.",
            "You receive only the %(count)d topics of the list you watch.",
            mailed,
        ) % {"count": mailed}
    return _("You receive nothing from this list: choose a delivery to subscribe.")


def settings_context(user, *, unsubscribed: set[str]) -> dict:
    """What the section's template shows (a fixed number of queries), with one statement
    per list and per row of what the person receives."""
    data = mail_settings_of(user)
    api_topics: list[str] = []
    watched = 0
    for item in data.watched:
        item.left = item.list_id in unsubscribed
        if item.list_id == LIST_API_USERS and item.kind == "topic":
            api_topics.append(item.mode)
        else:
            watched += item.mode in MAILING_MODES
    if LIST_API_USERS in unsubscribed:
        api_statement = _(LEFT)
    else:
        api_statement = _api_users_statement(data.api_mode, api_topics)
    if LIST_WATCHED in unsubscribed:
        watched_statement = _(LEFT)
    elif watched:
        watched_statement = ngettext(
            "You receive the mail of %(count)d forum or topic you watch.",
            "You receive the mail of %(count)d forums and topics you watch.",
            watched,
        ) % {"count": watched}
    else:
        watched_statement = _("You receive nothing: you watch no forum or topic with mail.")
    return {
        "api_forum": data.api_forum,
        "api_mode": data.api_mode or OFF,
        "api_left": LIST_API_USERS in unsubscribed,
        "api_statement": api_statement,
        "watched_statement": watched_statement,
        "watched": data.watched,
        "modes": Subscription.Mode.choices,
        "receives": {LIST_API_USERS: api_statement, LIST_WATCHED: watched_statement},
    }


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(_("Choose a forum or a topic.")) from None


def settings_save(user, data) -> None:
    """The section's rows of the form: watch each forum or topic in its mode, or stop."""
    rows = []
    for row in data.getlist("watch"):
        kind, _sep, pk = row.partition("-")
        if kind not in ("forum", "topic"):
            raise InvalidInput(_("Choose a forum or a topic."))
        mode = data.get(f"mode-{row}", "")
        if mode not in WATCH_MODES:
            raise InvalidInput(_("Choose how you want to receive mail."))
        rows.append((kind, _int(pk), mode))
    if not rows:
        return
    current = {
        ("forum" if forum_id else "topic", forum_id or topic_id): mode
        for forum_id, topic_id, mode in Subscription.objects.filter(user=user).values_list(
            "forum_id", "topic_id", "mode"
        )
    }
    for kind, pk, mode in rows:
        if current.get((kind, pk), OFF) == mode:
            continue
        # Fetched through the permission helpers: a forum you cannot see is a 404.
        if kind == "forum":
            forum = permissions.get_forum_by_id_for_user(user, pk)
            services.subscription_set(by=user, forum=forum, mode=mode)
        else:
            topic = permissions.get_topic_for_user(user, pk)
            services.subscription_set(by=user, topic=topic, mode=mode)
