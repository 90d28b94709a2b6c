"""State changes of people's accounts."""

from __future__ import annotations

import io
import json
import logging
import uuid
import zipfile
from datetime import timedelta
from importlib import import_module

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import permissions, personal_data
from accounts.models import DataExport, User
from accounts.selectors import people_with_permission
from core.background import enqueue_on_commit
from core.errors import NotAllowed, RuleViolation, full_clean, invalid_input
from core.identifiers import normalize_orcid, orcid_url
from mail.selectors import person_mail
from mail.services import (
    ACCOUNT_LIST,
    deliver,
    deliveries_purge,
    distinctive_name,
    person_mail_forget,
)

logger = logging.getLogger(__name__)

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


# --- People's data: the export, deleting an account, retention --------------------------
#
# Every app's part of a person's data is an Area (accounts.personal_data) registered in its
# AppConfig.ready; these services go through them. README, "People's data".


def _export_expiry(now):
    return now + timedelta(hours=settings.DATA_EXPORT_LINK_HOURS)


@transaction.atomic
def data_export_request(*, by: User) -> DataExport:
    """Ask for a copy of one's data: a ZIP of JSON files, built by a Celery task and mailed
    as a link. One request at a time (a second waits for the first to be built)."""
    if not getattr(by, "is_authenticated", False) or by.erased_at is not None:
        raise NotAllowed()
    # Taken on the person's row so two requests at once cannot both pass the check; the
    # partial unique constraint would refuse the second anyway.
    User.objects.select_for_update().filter(pk=by.pk).first()
    # A request whose task never ran (the broker lost it) or died does not hold the person
    # back for ever: after EXPORT_STALE_AFTER it counts as failed and they may ask again.
    now = timezone.now()
    DataExport.objects.filter(
        user=by, state__in=IN_PROGRESS, requested_at__lt=now - EXPORT_STALE_AFTER
    ).update(state=DataExport.State.FAILED, finished_at=now)
    if DataExport.objects.filter(user=by, state__in=IN_PROGRESS).exists():
        raise RuleViolation(
            _("Your data is already being prepared. You will get a mail when it is ready.")
        )
    export = DataExport.objects.create(user=by, parts_total=len(personal_data.areas()))
    enqueue_on_commit("accounts.tasks.build_data_export", str(export.pk))
    return export


IN_PROGRESS = [DataExport.State.PENDING, DataExport.State.BUILDING]
EXPORT_STALE_AFTER = DataExport.STALE_AFTER


def _archive(files: dict[str, object]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            text = json.dumps(files[name], ensure_ascii=False, indent=2, default=str)
            archive.writestr(f"{name}.json", text)
    return buffer.getvalue()


def data_export_build(*, export_id) -> DataExport | None:
    """Build the ZIP of a requested export, area by area (each one moves the progress the
    page shows), then mail the person its link. Idempotent: a built, failed or vanished
    export is left alone; a build a dead worker left half-way starts again."""
    export = DataExport.objects.filter(pk=export_id).select_related("user").first()
    if export is None or not export.in_progress:
        return export
    areas = personal_data.areas()
    DataExport.objects.filter(pk=export.pk).update(
        state=DataExport.State.BUILDING, parts_done=0, parts_total=len(areas)
    )
    files: dict[str, object] = {}
    try:
        for done, area in enumerate(areas, start=1):
            if area.export is not None:
                for name, content in area.export(export.user).items():
                    files[f"{area.name}/{name}"] = content
            DataExport.objects.filter(pk=export.pk).update(parts_done=done)
        archive = _archive(files)
    except Exception:
        logger.exception("the data export %s failed", export.pk)
        DataExport.objects.filter(pk=export.pk).update(
            state=DataExport.State.FAILED, finished_at=timezone.now()
        )
        return DataExport.objects.filter(pk=export.pk).first()
    now = timezone.now()
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update().select_related("user").filter(pk=export.pk)
        ).first()
        if export is None or not export.in_progress:  # the account was deleted meanwhile
            return export
        export.archive = archive
        export.state = DataExport.State.READY
        export.finished_at = now
        export.expires_at = _export_expiry(now)
        export.save(update_fields=["archive", "state", "finished_at", "expires_at"])
        site = settings.SITE_URL.rstrip("/")
        deliver(
            recipients=[export.user],
            kind="accounts.data_export",
            about=f"data-export:{export.pk}",
            subject=_("Your data from the ORCID Community Portal is ready"),
            template="accounts/email/data_export",
            context={
                "download_url": site + reverse("accounts:data_download", args=[export.pk]),
                "page_url": site + reverse("accounts:data"),
                "expires_at": export.expires_at,
            },
            list_id=ACCOUNT_LIST,
        )
    return export


def account_delete_blockers(*, user: User) -> list:
    """Why ``user``'s account may not be deleted yet, each saying what to do (the only lead
    contact of a consortium, an open nomination…); empty when it may."""
    reasons: list = []
    for area in personal_data.areas():
        if area.blockers is not None:
            reasons.extend(area.blockers(user))
    return reasons


def _forget_sessions(user_id: int) -> None:
    # Sessions keep only the person's id, but they are theirs: every one that signs them in
    # goes (the session store's delete also drops the cached copy, cached_db).
    engine = import_module(settings.SESSION_ENGINE)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user_id):
            engine.SessionStore(session_key=session.session_key).delete()


@transaction.atomic
def account_delete(*, user: User, by: User | None, note: str = "") -> User:
    """Delete a person's account: everything personal goes, what the community keeps is
    anonymised ("a former member"), and an audit entry says who did it and when.

    ``by`` is the person themselves (their page confirmed their password or ORCID) or
    staff holding the permission, on their request (the admin; ``note`` says which
    request). The user row stays, emptied, as the thing kept posts, votes in decided
    nominations and agreement signatures point at; it can never sign in again.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if by is not None and not permissions.can_delete_account(by, user):
        raise NotAllowed(_("Only ORCID staff may delete someone else's account."))
    if user.erased_at is not None:
        raise RuleViolation(_("This account was already deleted."))
    blockers = account_delete_blockers(user=user)
    if blockers:
        raise RuleViolation(
            _("This account cannot be deleted yet."), details=[str(b) for b in blockers]
        )
    email, name = user.email, user.name
    addresses = list(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    for area in personal_data.areas():
        if area.erase is not None:
            area.erase(user)
    person_mail_forget(user_id=user.pk, email=email, name=name, addresses=addresses)
    _forget_sessions(user.pk)
    now = timezone.now()
    former = str(_("A former member"))
    # The admin's history of this person, and any entry whose label carried their name or
    # address, no longer says who they were.
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    )
    entries.update(object_repr=former)
    for needle in (email, distinctive_name(name)):
        if needle:
            LogEntry.objects.filter(object_repr__icontains=needle).update(object_repr=former)
    user.email = f"former-member-{uuid.uuid4().hex}@invalid"
    user.name = ""
    user.orcid_id = None
    user.unverified_orcid_id = ""
    user.affiliation = ""
    user.language = ""
    user.time_zone = ""
    user.public_id = uuid.uuid4()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.erased_at = now
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    actor = by if by is not None and by.pk != user.pk else None
    LogEntry.objects.create(
        user=actor or user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=former,
        action_flag=DELETION,
        change_message=(
            f"Account deleted on request by staff: {note.strip()}"
            if actor is not None
            else "Account deleted by its owner."
        )[:2000],
    )
    return user


def personal_data_purge(*, now=None) -> dict[str, int]:
    """Delete what the retention settings say is too old (beat, daily; idempotent):
    delivery records, IP addresses, expired sessions, expired data exports. Returns counts
    by kind."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    counts["deliveries"] = deliveries_purge(
        older_than=now - timedelta(days=settings.RETENTION_DELIVERY_DAYS)
    )
    expired_sessions = Session.objects.filter(expire_date__lt=now)
    counts["sessions"], _rows = expired_sessions.delete()
    counts["data_exports"], _rows = DataExport.objects.filter(expires_at__lt=now).delete()
    for area in personal_data.areas():
        if area.purge is not None:
            for kind, n in area.purge(now).items():
                counts[kind] = counts.get(kind, 0) + n
    return counts


# --- accounts' own area: the account, its addresses, connected accounts and mail ---------


def _export_account(user: User) -> personal_data.Export:
    profile = {
        "email": user.email,
        "name": user.name,
        "orcid_id": user.orcid_id,
        "affiliation": user.affiliation,
        "language": user.language,
        "time_zone": user.time_zone,
        "public_id": str(user.public_id),
        "date_joined": personal_data.iso(user.date_joined),
        "last_login": personal_data.iso(user.last_login),
        "is_staff": user.is_staff,
        "staff_groups": sorted(user.groups.values_list("name", flat=True)),
    }
    connected = [
        {
            "provider": a.provider,
            "uid": a.uid,
            "connected_at": personal_data.iso(a.date_joined),
            "last_login": personal_data.iso(a.last_login),
            "extra_data": a.extra_data,
        }
        for a in SocialAccount.objects.filter(user=user).order_by("pk")
    ]
    addresses = [
        {"email": a.email, "verified": a.verified, "primary": a.primary}
        for a in EmailAddress.objects.filter(user=user).order_by("pk")
    ]
    two_factor = [
        {"type": a.type, "created_at": personal_data.iso(a.created_at)}
        for a in Authenticator.objects.filter(user=user).order_by("pk")
    ]
    exports = [
        {"requested_at": personal_data.iso(e.requested_at), "state": e.state}
        for e in DataExport.objects.filter(user=user).only("requested_at", "state")
    ]
    mail = person_mail(user_id=user.pk)
    return {
        "profile": profile,
        "connected_accounts": connected,
        "email_addresses": addresses,
        "two_factor": two_factor,
        "data_exports": exports,
        "mail_deliveries": mail["deliveries"],
        "mail_unsubscriptions": mail["unsubscriptions"],
    }


def _erase_account(user: User) -> None:
    # Each ORCID account's deletion also clears the iD (accounts.adapters).
    for account in SocialAccount.objects.filter(user=user):
        account.delete()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    DataExport.objects.filter(user=user).delete()


ACCOUNT_AREA = personal_data.Area(name="account", export=_export_account, erase=_erase_account)
