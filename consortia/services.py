"""Every state change of the consortia app: atomic, keyword-only, raising domain errors.

Mail goes through ``mail.services.deliver`` inside the same transaction as the event, so
a mail is sent (after commit) exactly when the event happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from accounts.selectors import people_with_permission
from consortia import permissions, rules
from consortia.documents import sniff
from consortia.models import (
    RESERVED_SLUGS,
    ChecklistEntry,
    ChecklistItem,
    Consortium,
    ConsortiumContact,
    ConsortiumCountry,
    Document,
    Membership,
    Organization,
    OrganizationContact,
    ProgressReport,
)
from consortia.regions import region_of_countries
from core.background import enqueue_on_commit
from core.errors import InvalidInput, NotAllowed, RuleViolation
from core.identifiers import normalize_ror
from mail.services import deliver

User = get_user_model()
LIST_ID = "consortia"


@dataclass(frozen=True)
class NewOrganization:
    """What a person enters to register an organization."""

    name: str
    country: str
    org_type: str
    ror_id: str = ""
    website: str = ""


# --- Who ---------------------------------------------------------------------------------


def _lead_contacts(consortium: Consortium) -> list:
    return [
        contact.user
        for contact in ConsortiumContact.objects.filter(consortium=consortium).select_related(
            "user"
        )
    ]


def _staff() -> list:
    """Staff who act for every consortium's lead: mailed when a consortium needs a lead."""
    return list(people_with_permission(permissions.MANAGE_ANY_CONSORTIUM))


def _require_lead_or_staff(user, consortium: Consortium) -> None:
    if not permissions.can_manage_consortium(user, consortium):
        raise NotAllowed(
            _("Only the lead contacts of %(name)s and staff may do this.")
            % {"name": consortium.name}
        )


def _require_staff(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed(_("Only ORCID staff may do this."))


def _require_organization_contact(user, organization: Organization) -> None:
    if not permissions.can_act_for_organization(user, organization):
        raise NotAllowed(
            _("Only the contacts of %(name)s may act for it.") % {"name": organization.name}
        )


# --- Rules, with the data they need --------------------------------------------------------


def _member_countries(consortium: Consortium) -> list[str]:
    """The country of each active not-for-profit member (what the minimum counts)."""
    return [
        str(code)
        for code in Membership.objects.active()
        .filter(
            consortium=consortium,
            organization__org_type__in=Organization.NOT_FOR_PROFIT_TYPES,
        )
        .values_list("organization__country", flat=True)
    ]


def _open_pre_agreement_items(consortium: Consortium) -> list[str]:
    done = ChecklistEntry.objects.filter(consortium=consortium, done=True).values("item_id")
    return list(
        ChecklistItem.objects.filter(is_active=True, phase=ChecklistItem.Phase.PRE_AGREEMENT)
        .exclude(pk__in=done)
        .values_list("title", flat=True)
    )


def consortium_membership_shortfalls(consortium: Consortium) -> list[str]:
    return rules.membership_shortfalls(
        kind=consortium.kind, member_countries=_member_countries(consortium)
    )


def consortium_agreement_shortfalls(consortium: Consortium) -> list[str]:
    return rules.agreement_shortfalls(
        kind=consortium.kind,
        member_countries=_member_countries(consortium),
        open_checklist_items=_open_pre_agreement_items(consortium),
    )


def _full_clean(instance) -> None:
    """Model validation as a domain error: a clear 400, never a 500."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        messages = exc.messages
        raise InvalidInput(messages[0], details=messages) from exc


def _lock(consortium: Consortium) -> Consortium:
    # Membership changes of one consortium take its row lock first, so two members leaving
    # at the same time are counted one after the other and the flag is never missed.
    return Consortium.objects.select_for_update().get(pk=consortium.pk)


# --- Organizations -------------------------------------------------------------------------


def _clean_new_organization(data: NewOrganization) -> NewOrganization:
    errors = []
    ror_id = ""
    if data.ror_id:
        try:
            ror_id = normalize_ror(data.ror_id)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if data.country not in countries:
        errors.append(_("Choose a country from the list."))
    if data.org_type not in Organization.Type.values:
        errors.append(_("Choose an organization type from the list."))
    if not data.name.strip():
        errors.append(_("Enter the organization's name."))
    if errors:
        raise InvalidInput(errors[0], details=errors)
    if ror_id and Organization.objects.filter(ror_id=ror_id).exists():
        raise RuleViolation(
            _(
                "An organization with the ROR ID %(ror)s is already registered. Ask one of "
                "its contacts to act for it."
            )
            % {"ror": ror_id}
        )
    return NewOrganization(
        name=data.name.strip(),
        country=data.country,
        org_type=data.org_type,
        ror_id=ror_id,
        website=data.website,
    )


@transaction.atomic
def organization_register(*, user, data: NewOrganization) -> Organization:
    """Register an organization with ``user`` as its main relationship contact."""
    data = _clean_new_organization(data)
    organization = Organization(
        name=data.name,
        ror_id=data.ror_id,
        country=data.country,
        org_type=data.org_type,
        website=data.website,
    )
    _full_clean(organization)
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError as exc:  # a concurrent registration of the same ROR ID
        raise RuleViolation(
            _("An organization with the ROR ID %(ror)s is already registered.")
            % {"ror": data.ror_id}
        ) from exc
    OrganizationContact.objects.create(
        organization=organization, user=user, role=OrganizationContact.Role.MAIN
    )
    return organization


def _organization_for(
    *, user, organization: Organization | None, new_organization: NewOrganization | None
) -> Organization:
    if organization is not None:
        _require_organization_contact(user, organization)
        return organization
    if new_organization is None:
        raise InvalidInput(_("Choose your organization or register it."))
    return organization_register(user=user, data=new_organization)


# --- Membership ----------------------------------------------------------------------------


@transaction.atomic
def membership_request(
    *,
    consortium: Consortium,
    user,
    message: str = "",
    organization: Organization | None = None,
    new_organization: NewOrganization | None = None,
) -> Membership:
    """An organization's contact asks to join; the lead contacts are told by email."""
    if consortium.status == Consortium.Status.INACTIVE:
        raise RuleViolation(
            _("%(name)s is inactive and does not take new members.") % {"name": consortium.name}
        )
    organization = _organization_for(
        user=user, organization=organization, new_organization=new_organization
    )
    active = (
        Membership.objects.active()
        .filter(organization=organization)
        .select_related("consortium")
        .first()
    )
    if active is not None:
        if active.consortium_id == consortium.pk:
            raise RuleViolation(
                _("%(org)s is already a member of %(name)s.")
                % {"org": organization.name, "name": consortium.name}
            )
        raise RuleViolation(
            _(
                "%(org)s is already an active member of %(other)s. An organization can be "
                "an active member of one consortium only; leave %(other)s first."
            )
            % {"org": organization.name, "other": active.consortium.name}
        )
    pending = _("%(org)s has already asked to join %(name)s; the request is waiting.") % {
        "org": organization.name,
        "name": consortium.name,
    }
    if (
        Membership.objects.pending()
        .filter(organization=organization, consortium=consortium)
        .exists()
    ):
        raise RuleViolation(pending)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                consortium=consortium,
                organization=organization,
                requested_by=user,
                message=message.strip(),
            )
    except IntegrityError as exc:  # the same request sent twice at the same moment
        raise RuleViolation(pending) from exc
    deliver(
        recipients=_lead_contacts(consortium) or _staff(),
        kind="consortia.join_requested",
        about=membership,
        subject=gettext_lazy("New request to join %(name)s"),
        subject_params={"name": consortium.name},
        template="consortia/email/join_requested",
        context={"membership": membership, "consortium": consortium, "requester": user},
        list_id=LIST_ID,
    )
    return membership


def _locked_membership(membership: Membership) -> Membership:
    # Lock the membership row only ("self"): PostgreSQL cannot lock the nullable side of
    # the outer join to requested_by.
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("organization", "consortium", "requested_by")
        .get(pk=membership.pk)
    )


@transaction.atomic
def membership_accept(*, membership: Membership, user, note: str = "") -> Membership:
    """A lead contact accepts a request; the requester is told by email."""
    _require_lead_or_staff(user, membership.consortium)
    consortium = _lock(membership.consortium)
    # Requests sent before the consortium was marked inactive are still waiting.
    if consortium.status == Consortium.Status.INACTIVE:
        raise RuleViolation(
            _("%(name)s is inactive and does not take new members.") % {"name": consortium.name}
        )
    membership = _locked_membership(membership)
    if membership.state != Membership.State.REQUESTED:
        raise RuleViolation(_("This request has already been answered."))
    elsewhere = (
        Membership.objects.active()
        .filter(organization=membership.organization)
        .select_related("consortium")
        .first()
    )
    if elsewhere is not None:
        raise RuleViolation(
            _("%(org)s has meanwhile become an active member of %(other)s.")
            % {"org": membership.organization.name, "other": elsewhere.consortium.name}
        )
    membership.state = Membership.State.ACTIVE
    membership.decided_by = user
    membership.decided_at = timezone.now()
    membership.decision_note = note.strip()
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as exc:
        raise RuleViolation(
            _("%(org)s is already an active member of a consortium.")
            % {"org": membership.organization.name}
        ) from exc
    _notify_requester(membership, kind="consortia.request_accepted", accepted=True)
    consortium_refresh_minimum(consortium=consortium, cause=membership)
    return membership


@transaction.atomic
def membership_decline(*, membership: Membership, user, note: str = "") -> Membership:
    """A lead contact declines a request, with a note; the requester is told by email."""
    _require_lead_or_staff(user, membership.consortium)
    membership = _locked_membership(membership)
    if membership.state != Membership.State.REQUESTED:
        raise RuleViolation(_("This request has already been answered."))
    membership.state = Membership.State.DECLINED
    membership.decided_by = user
    membership.decided_at = timezone.now()
    membership.decision_note = note.strip()
    membership.save()
    _notify_requester(membership, kind="consortia.request_declined", accepted=False)
    return membership


def _notify_requester(membership: Membership, *, kind: str, accepted: bool) -> None:
    if membership.requested_by is None:
        return
    deliver(
        recipients=[membership.requested_by],
        kind=kind,
        about=membership,
        subject=gettext_lazy("Your request to join %(name)s was accepted")
        if accepted
        else gettext_lazy("Your request to join %(name)s was declined"),
        subject_params={"name": membership.consortium.name},
        template="consortia/email/request_accepted"
        if accepted
        else "consortia/email/request_declined",
        context={"membership": membership, "consortium": membership.consortium},
        list_id=LIST_ID,
    )


@transaction.atomic
def membership_leave(*, membership: Membership, user) -> Membership:
    """An active member leaves (its contact) or is removed (a lead contact or staff).

    If an active consortium falls below the minimum, it is flagged and its lead contacts
    and staff get an email.
    """
    consortium = membership.consortium
    if not permissions.can_manage_consortium(user, consortium):
        _require_organization_contact(user, membership.organization)
    consortium = _lock(consortium)
    membership = _locked_membership(membership)
    if membership.state != Membership.State.ACTIVE:
        raise RuleViolation(
            _("%(org)s is not an active member.") % {"org": membership.organization.name}
        )
    membership.consortium = consortium  # the locked row
    if membership.is_held_as_lead:
        raise RuleViolation(
            _(
                "The lead organization cannot leave its own consortium; staff can mark the "
                "consortium inactive instead."
            )
        )
    membership.state = Membership.State.LEFT
    membership.left_at = timezone.now()
    membership.decided_by = user
    membership.save()
    consortium_refresh_minimum(consortium=consortium, cause=membership)
    return membership


def consortium_refresh_minimum(*, consortium: Consortium, cause) -> bool:
    """Set or clear the below-minimum flag of an active consortium; True if it is below.

    Becoming below the minimum mails the lead contacts and staff (once per ``cause``).
    """
    if consortium.status != Consortium.Status.ACTIVE:
        if consortium.below_minimum:
            consortium.below_minimum = False
            consortium.below_minimum_since = None
            consortium.save(update_fields=["below_minimum", "below_minimum_since"])
        return False
    shortfalls = consortium_membership_shortfalls(consortium)
    if shortfalls and not consortium.below_minimum:
        consortium.below_minimum = True
        consortium.below_minimum_since = timezone.now()
        consortium.save(update_fields=["below_minimum", "below_minimum_since"])
        recipients = {u.pk: u for u in [*_lead_contacts(consortium), *_staff()]}
        deliver(
            recipients=recipients.values(),
            kind="consortia.below_minimum",
            about=cause,
            subject=gettext_lazy("%(name)s is below the membership minimum"),
            subject_params={"name": consortium.name},
            template="consortia/email/below_minimum",
            context={"consortium": consortium, "shortfalls": shortfalls},
            list_id=LIST_ID,
        )
    elif not shortfalls and consortium.below_minimum:
        consortium.below_minimum = False
        consortium.below_minimum_since = None
        consortium.save(update_fields=["below_minimum", "below_minimum_since"])
    return bool(shortfalls)


# --- Consortia -----------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "consortium"
    if base in RESERVED_SLUGS:
        base = f"{base}-consortium"
    slug, n = base, 1
    while Consortium.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_countries(kind: str, codes: Sequence[str]) -> list[str]:
    unique = list(dict.fromkeys(str(code).upper() for code in codes))
    unknown = [code for code in unique if code not in countries]
    if unknown:
        raise InvalidInput(_("Unknown country: %(codes)s.") % {"codes": ", ".join(unknown)})
    if kind == Consortium.Kind.NATIONAL and len(unique) != 1:
        raise InvalidInput(_("A national consortium serves exactly one country."))
    if kind == Consortium.Kind.REGIONAL and len(unique) < 2:
        raise InvalidInput(_("A regional consortium serves two or more countries."))
    if kind not in Consortium.Kind.values:
        raise InvalidInput(_("Choose national or regional."))
    return unique


@transaction.atomic
def consortium_set_countries(*, consortium: Consortium, countries: Sequence[str]) -> None:
    """Replace the consortium's countries and derive its ORCID region from them."""
    codes = _clean_countries(consortium.kind, countries)
    ConsortiumCountry.objects.filter(consortium=consortium).exclude(country__in=codes).delete()
    existing = {str(c) for c in consortium.country_links.values_list("country", flat=True)}
    ConsortiumCountry.objects.bulk_create(
        [ConsortiumCountry(consortium=consortium, country=c) for c in codes if c not in existing]
    )
    consortium_refresh_region(consortium=consortium)


def consortium_refresh_region(*, consortium: Consortium) -> None:
    """Derive the ORCID region from the countries (called after they change)."""
    codes = [str(c) for c in consortium.country_links.values_list("country", flat=True)]
    region = region_of_countries(codes)
    if region and region != consortium.region:
        consortium.region = region
        consortium.save(update_fields=["region"])


@transaction.atomic
def consortium_propose(
    *,
    user,
    name: str,
    kind: str,
    countries: Sequence[str],
    description: str = "",
    website: str = "",
    organization: Organization | None = None,
    new_organization: NewOrganization | None = None,
) -> Consortium:
    """A person proposes a consortium: it starts *forming*, its lead organization a member
    and the proposer its main contact."""
    codes = _clean_countries(kind, countries)
    if not name.strip():
        raise InvalidInput(_("Enter the consortium's name."))
    lead = _organization_for(
        user=user, organization=organization, new_organization=new_organization
    )
    elsewhere = Membership.objects.active().filter(organization=lead).select_related("consortium")
    if (active := elsewhere.first()) is not None:
        raise RuleViolation(
            _(
                "%(org)s is an active member of %(other)s; an organization can be an active "
                "member of one consortium only."
            )
            % {"org": lead.name, "other": active.consortium.name}
        )
    consortium = Consortium(
        name=name.strip(),
        slug=_unique_slug(name),
        kind=kind,
        region=region_of_countries(codes),
        lead_organization=lead,
        description=description,
        website=website,
        status=Consortium.Status.FORMING,
        proposed_by=user,
    )
    _full_clean(consortium)
    consortium.save()
    ConsortiumCountry.objects.bulk_create(
        [ConsortiumCountry(consortium=consortium, country=code) for code in codes]
    )
    ConsortiumContact.objects.create(
        consortium=consortium, user=user, role=ConsortiumContact.Role.MAIN
    )
    Membership.objects.create(
        consortium=consortium,
        organization=lead,
        state=Membership.State.ACTIVE,
        requested_by=user,
        decided_by=user,
        decided_at=timezone.now(),
    )
    # The checklist starts with every item open; the first one is done by proposing.
    items = list(ChecklistItem.objects.filter(is_active=True))
    ChecklistEntry.objects.bulk_create(
        [ChecklistEntry(consortium=consortium, item=item) for item in items]
    )
    return consortium


@transaction.atomic
def consortium_update_details(
    *,
    consortium: Consortium,
    user,
    description: str,
    website: str,
    countries: Sequence[str],
) -> Consortium:
    """Lead contacts edit what the consortium page says, and the countries it serves."""
    _require_lead_or_staff(user, consortium)
    consortium = _lock(consortium)
    codes = _clean_countries(consortium.kind, countries)
    consortium.description = description
    consortium.website = website
    _full_clean(consortium)
    consortium.save(update_fields=["description", "website"])
    consortium_set_countries(consortium=consortium, countries=codes)
    return consortium


@transaction.atomic
def consortium_finalize_agreement(*, consortium: Consortium, user) -> Consortium:
    """Staff finalize the agreement: the consortium becomes *active* — only when every
    pre-agreement checklist item is done and the membership rules hold."""
    _require_staff(permissions.can_finalize_consortium(user))
    consortium = _lock(consortium)
    if consortium.status != Consortium.Status.FORMING:
        raise RuleViolation(
            _("Only a forming consortium can have its agreement finalized; %(name)s is %(status)s.")
            % {"name": consortium.name, "status": consortium.get_status_display().lower()}
        )
    shortfalls = consortium_agreement_shortfalls(consortium)
    if shortfalls:
        raise RuleViolation(
            _("The agreement of %(name)s cannot be finalized yet.") % {"name": consortium.name},
            details=shortfalls,
        )
    consortium.status = Consortium.Status.ACTIVE
    consortium.agreement_finalized_at = timezone.now()
    consortium.save(update_fields=["status", "agreement_finalized_at"])
    return consortium


@transaction.atomic
def consortium_mark_inactive(*, consortium: Consortium, user) -> Consortium:
    """Staff mark a consortium inactive (it no longer takes members)."""
    _require_staff(permissions.can_deactivate_consortium(user))
    consortium = _lock(consortium)
    consortium.status = Consortium.Status.INACTIVE
    consortium.below_minimum = False
    consortium.below_minimum_since = None
    consortium.save(update_fields=["status", "below_minimum", "below_minimum_since"])
    return consortium


@transaction.atomic
def consortium_contact_add(
    *, consortium: Consortium, user, email: str, role: str
) -> ConsortiumContact:
    """Add a lead contact by the email address of their portal account."""
    _require_lead_or_staff(user, consortium)
    person = User.objects.filter(email__iexact=email.strip()).first()
    if person is None:
        raise InvalidInput(
            _("Nobody has a portal account with the email address %(email)s.") % {"email": email}
        )
    if role not in ConsortiumContact.Role.values:
        raise InvalidInput(_("Choose a role from the list."))
    if ConsortiumContact.objects.filter(consortium=consortium, user=person).exists():
        raise RuleViolation(_("%(person)s is already a lead contact.") % {"person": person})
    if (
        role != ConsortiumContact.Role.STAFF
        and ConsortiumContact.objects.filter(consortium=consortium, role=role).exists()
    ):
        raise RuleViolation(
            _("The consortium already has a %(role)s; remove it first.")
            % {"role": ConsortiumContact.Role(role).label.lower()}
        )
    return ConsortiumContact.objects.create(consortium=consortium, user=person, role=role)


@transaction.atomic
def consortium_contact_remove(*, contact: ConsortiumContact, user) -> None:
    """Remove a lead contact; the consortium keeps at least one."""
    _require_lead_or_staff(user, contact.consortium)
    if ConsortiumContact.objects.filter(consortium=contact.consortium).count() <= 1:
        raise RuleViolation(_("A consortium keeps at least one lead contact."))
    contact.delete()


# --- Checklist -----------------------------------------------------------------------------


@transaction.atomic
def checklist_entry_update(
    *,
    consortium: Consortium,
    item: ChecklistItem,
    user,
    done: bool,
    note: str = "",
    document: Document | None = None,
) -> ChecklistEntry:
    """Mark a checklist item done or not done, with a note and an optional document."""
    _require_lead_or_staff(user, consortium)
    if document is not None and document.consortium_id != consortium.pk:
        raise InvalidInput(_("Choose one of this consortium's documents."))
    entry, _created = ChecklistEntry.objects.select_for_update().get_or_create(
        consortium=consortium, item=item
    )
    if done and not entry.done:
        entry.done_by = user
        entry.done_at = timezone.now()
    elif not done:
        entry.done_by = None
        entry.done_at = None
    entry.done = done
    entry.note = note.strip()
    entry.document = document
    entry.save()
    return entry


# --- Documents -----------------------------------------------------------------------------


@transaction.atomic
def document_upload(
    *, consortium: Consortium, user, title: str, upload, visibility: str
) -> Document:
    """Store a document (checked by size and by content) in the private storage."""
    _require_lead_or_staff(user, consortium)
    limit = settings.DOCUMENTS_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise InvalidInput(
            _("%(name)s is %(size)s; documents may be at most %(limit)s.")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(limit),
            }
        )
    if upload.size == 0:
        raise InvalidInput(_("%(name)s is empty.") % {"name": upload.name})
    if visibility not in Document.Visibility.values:
        raise InvalidInput(_("Choose who may see the document."))
    kind = sniff(upload)
    document = Document(
        consortium=consortium,
        title=title.strip() or upload.name,
        original_name=upload.name[:255],
        content_type=kind.content_type,
        size=upload.size,
        visibility=visibility,
        uploaded_by=user,
    )
    # The stored name never comes from the uploader.
    upload.name = f"{uuid.uuid4().hex}.{kind.extension}"
    document.file = upload
    try:
        with transaction.atomic():
            document.save()
    except Exception:
        # The row was not written: do not leave its file behind.
        if document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def document_delete(*, document: Document, user) -> None:
    """Delete a document and, after commit, its file."""
    _require_lead_or_staff(user, document.consortium)
    storage, name = document.file.storage, document.file.name
    ChecklistEntry.objects.filter(document=document).update(document=None)
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- Progress reports ----------------------------------------------------------------------


@transaction.atomic
def progress_report_publish(
    *, consortium: Consortium, user, title: str, body: str
) -> ProgressReport:
    """Publish a progress report; members are mailed by a task after commit."""
    from consortia.tasks import send_progress_report

    _require_lead_or_staff(user, consortium)
    if not title.strip() or not body.strip():
        raise InvalidInput(_("A progress report needs a title and a text."))
    report = ProgressReport.objects.create(
        consortium=consortium, title=title.strip(), body=body, published_by=user
    )
    enqueue_on_commit(send_progress_report, report.pk)
    return report


def progress_report_notify(*, report_id: int) -> int:
    """Mail a report to the contacts of every active member and the lead contacts.

    Idempotent: the delivery constraint skips people who already have it.
    """
    report = ProgressReport.objects.select_related("consortium").filter(pk=report_id).first()
    if report is None:
        return 0
    consortium = report.consortium
    people = {
        contact.user.pk: contact.user
        for contact in OrganizationContact.objects.filter(
            organization__memberships__consortium=consortium,
            organization__memberships__state=Membership.State.ACTIVE,
        ).select_related("user")
    }
    for user in _lead_contacts(consortium):
        people[user.pk] = user
    return deliver(
        recipients=people.values(),
        kind="consortia.progress_report",
        about=report,
        subject=gettext_lazy("%(name)s: %(title)s"),
        subject_params={"name": consortium.name, "title": report.title},
        template="consortia/email/progress_report",
        context={"report": report, "consortium": consortium},
        list_id=LIST_ID,
    )
