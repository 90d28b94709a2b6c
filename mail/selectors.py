"""Reads of mail's tables for the apps that build digests (mail's writes are its services)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mail.lists import settings_sections
from mail.models import BounceScore, Delivery, DigestRun, DigestSection, Unsubscription
from mail.services import LIST_NAMES, PLAN_KEY


def digest_run_find(
    *, kind: str = "", period: str = "", pk: int | None = None
) -> tuple[DigestRun, str] | None:
    """The run of ``kind`` and ``period`` (or the one with the id ``pk``) and its plan.

    Returns (run, plan text), the plan as given to :func:`mail.services.digest_run_start`;
    None if there is no such run.
    """
    if pk is not None:
        run = DigestRun.objects.filter(pk=pk).first()
    else:
        run = DigestRun.objects.filter(kind=kind, period=period).first()
    if run is None:
        return None
    plan = DigestSection.objects.get(run=run, language="", key=PLAN_KEY)
    return run, plan.text


def digest_run_neighbours(
    *, kind: str, period_prefix: str, until: datetime
) -> tuple[datetime | None, datetime | None]:
    """Around a window ending at ``until``: where the run before it ended, and where the
    run after it (a period run late, after a later one) began; None where there is none."""
    runs = DigestRun.objects.filter(kind=kind, period__startswith=period_prefix)
    previous = runs.filter(until__lt=until).order_by("-until").values_list("until", flat=True)
    later = runs.filter(until__gt=until).order_by("until").values_list("since", flat=True)
    return previous.first(), later.first()


def unsubscribed(*, user_ids: Sequence[int], list_ids: Iterable[str]) -> set[tuple[int, str]]:
    """Which of these people left which of these lists: {(user id, list id)}."""
    return set(
        Unsubscription.objects.filter(
            user_id__any=list(user_ids), list_id__in=list(list_ids)
        ).values_list("user_id", "list_id")
    )


def unsubscribed_lists(user) -> set[str]:
    """The ids of the lists ``user`` left (one click in a mail, or the settings page)."""
    return set(Unsubscription.objects.filter(user=user).values_list("list_id", flat=True))


def mail_settings_page(user) -> dict:
    """What ``/mail/settings/`` shows: every app's section, then each list with one
    statement of what the person receives from it (a fixed number of queries)."""
    unsubscribed = unsubscribed_lists(user)
    sections = []
    receives: dict[str, object] = {}
    for section in settings_sections():
        data = section.context(user, unsubscribed=unsubscribed) if section.context else {}
        receives.update(data.get("receives", {}))
        sections.append({"key": section.key, "template": section.template, "data": data})
    lists = []
    for list_id, name in LIST_NAMES.items():
        left = list_id in unsubscribed
        if left:
            statement = _("You receive nothing from this list: you unsubscribed from it.")
        else:
            statement = receives.get(list_id) or _("You receive its mail when it concerns you.")
        lists.append({"id": list_id, "name": name, "receiving": not left, "statement": statement})
    return {
        "sections": sections,
        "lists": lists,
        "unsubscribed": unsubscribed,
        "bounced": bounced_addresses(user),
    }


def bounced_addresses(user) -> list:
    """The person's addresses to which list mail stopped because it bounced (one query)."""
    own = EmailAddress.objects.filter(user=user).values("email")
    return list(
        BounceScore.objects.filter(
            Q(email__in=own) | Q(email=(user.email or "").lower()), disabled_at__isnull=False
        ).order_by("email")
    )


def person_mail(*, user_id: int) -> dict[str, list[dict]]:
    """A person's mail for the export of their data: the deliveries to them (what kind of
    mail, to which address, when, its state) and the lists they left. Not the subject or
    the body: mail about others ("the nomination of …") names them."""
    deliveries = [
        {
            "kind": d.kind,
            "list": d.list_id,
            "to": d.to_email,
            "state": d.state,
            "created_at": d.created_at.isoformat(),
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        }
        for d in Delivery.objects.filter(recipient_id=user_id).order_by("created_at", "pk")
    ]
    unsubscriptions = [
        {"list": u.list_id}
        for u in Unsubscription.objects.filter(user_id=user_id).order_by("list_id")
    ]
    return {"deliveries": deliveries, "unsubscriptions": unsubscriptions}
