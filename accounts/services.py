"""State changes of people's accounts."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import people_with_permission
from core.errors import RuleViolation, full_clean, invalid_input
from core.identifiers import normalize_orcid, orcid_url
from mail.services import ACCOUNT_LIST, deliver

ORCID = "orcid"  # allauth's provider id
# Who is asked when an iD is connected to someone else's account: resolving it means
# disconnecting an ORCID account in the admin.
ORCID_CONFLICT_PERMISSION = "socialaccount.delete_socialaccount"


class OrcidIdTaken(RuleViolation):
    """The ORCID iD someone proved is connected to another account of the portal."""

    default_message = _("This ORCID iD is already connected to another account of the portal.")


def user_orcid_connect_check(*, user: User | None, orcid_id: str) -> None:
    """Raise the domain error that would refuse connecting ``orcid_id`` to ``user`` (None:
    an account about to be created by signing in with ORCID)."""
    if user is not None and user.orcid_id and user.orcid_id != orcid_id:
        raise RuleViolation(
            _(
                "Your account is already connected to the ORCID iD %(orcid)s. Remove that "
                "connection first to connect another iD."
            )
            % {"orcid": user.orcid_id}
        )
    others = User.objects.filter(orcid_id=orcid_id)
    accounts = SocialAccount.objects.filter(provider=ORCID, uid=orcid_id)
    if user is not None and user.pk:
        others = others.exclude(pk=user.pk)
        accounts = accounts.exclude(user_id=user.pk)
    if others.exists() or accounts.exists():
        raise OrcidIdTaken()


@transaction.atomic
def user_orcid_connect(*, user: User, account: SocialAccount) -> User:
    """Record the ORCID iD a person proved by signing in with ORCID: the uid of their
    ORCID account (allauth's ``SocialAccount``, filled from ORCID's token response)."""
    if account.provider != ORCID or account.user_id != user.pk:
        raise ValueError("Only the person's own ORCID account proves their iD.")
    try:
        orcid_id = normalize_orcid(account.uid)
    except ValidationError as exc:
        raise invalid_input(exc) from exc
    if user.orcid_id == orcid_id:
        return user
    user_orcid_connect_check(user=user, orcid_id=orcid_id)
    user.orcid_id = orcid_id
    user.unverified_orcid_id = ""
    full_clean(user, exclude=["password"], validate_unique=False, validate_constraints=False)
    user.save(update_fields=["orcid_id", "unverified_orcid_id"])
    return user


@transaction.atomic
def user_orcid_disconnect(*, account: SocialAccount) -> None:
    """The person's ORCID account is gone (disconnected, or deleted by staff): the iD it
    proved is no longer theirs on the portal."""
    if account.provider != ORCID:
        return
    try:
        orcid_id = normalize_orcid(account.uid)
    except ValidationError:
        return
    # Saved (not .update()): the cached signed-in person and cached pages are dropped.
    user = User.objects.filter(pk=account.user_id, orcid_id=orcid_id).first()
    if user is not None:
        user.orcid_id = None
        user.save(update_fields=["orcid_id"])


def orcid_conflict_report(*, by: User, orcid_id: str, note: str = "") -> int:
    """Ask ORCID staff to look into an iD ``by`` proved that another account holds.

    One mail per staff member, person and iD (asking again sends nothing new); staff
    answer the person directly (Reply-To). Returns how many staff members were asked.
    """
    holder = User.objects.filter(orcid_id=orcid_id).exclude(pk=by.pk).first()
    if holder is None:
        account = SocialAccount.objects.filter(provider=ORCID, uid=orcid_id).first()
        holder = account.user if account is not None else None
    if holder is None or holder.pk == by.pk:
        raise RuleViolation(
            _("This ORCID iD is not connected to another account any more: connect it again.")
        )
    staff = people_with_permission(ORCID_CONFLICT_PERMISSION)
    if not staff.exists():
        raise RuleViolation(
            _("No ORCID staff member can take this request on the portal yet. Try again later.")
        )
    site = settings.SITE_URL.rstrip("/")
    deliver(
        recipients=staff,
        kind="accounts.orcid_conflict",
        about=f"orcid-conflict:{by.pk}:{orcid_id}",
        subject=_("ORCID iD %(orcid)s: connected to another account"),
        subject_params={"orcid": orcid_id},
        template="accounts/email/orcid_conflict",
        context={
            "person": by,
            "holder": holder,
            "orcid_url": orcid_url(orcid_id),
            "note": (note or "").strip(),
            "person_admin_url": site + reverse("admin:accounts_user_change", args=[by.pk]),
            "holder_admin_url": site + reverse("admin:accounts_user_change", args=[holder.pk]),
        },
        list_id=ACCOUNT_LIST,
        reply_to=by.email,
    )
    return staff.count()


def user_set_language(*, by: User, language: str) -> User:
    """Remember the language the person chose (the portal and its mail use it)."""
    by.language = language
    full_clean(by, exclude=["password"])
    by.save(update_fields=["language"])
    return by
