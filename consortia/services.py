"""Every state change of the consortia app: atomic, keyword-only, raising domain errors.

Mail goes through ``mail.services.deliver`` inside the same transaction as the event, so
a mail is sent (after commit) exactly when the event happened.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.selectors import people_with_permission
from accounts.staff import require_staff_power
from consortia import permissions, rules
from consortia.documents import sniff
from consortia.models import (
    RESERVED_SLUGS,
    ChecklistEntry,
    ChecklistItem,
    Consortium,
    ConsortiumContact,
    ConsortiumCountry,
    ContactInvitation,
    ContactRequest,
    Document,
    Membership,
    Organization,
    OrganizationContact,
    ProgressReport,
    Verification,
)
from consortia.regions import region_of_countries
from core.background import enqueue_on_commit
from core.errors import InvalidInput, NotAllowed, RuleViolation, full_clean
from core.identifiers import normalize_ror
from mail.services import deliver, deliver_to_address

User = get_user_model()
LIST_ID = "consortia"
INVITATION_DAYS = 14  # how long an invitation link to become a lead contact works


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


def _verifiers() -> list:
    """Staff who verify organizations, proposed consortia and contact requests."""
    return list(people_with_permission(permissions.VERIFY_ORGANIZATION))


def _organization_contacts(organization: Organization) -> list:
    return [
        contact.user
        for contact in OrganizationContact.objects.filter(organization=organization).select_related(
            "user"
        )
    ]


def _require_verifier(user) -> None:
    if not permissions.can_verify(user):
        raise NotAllowed(_("Only ORCID staff who verify organizations may do this."))


def _require_lead_or_staff(user, consortium: Consortium) -> None:
    if not permissions.can_manage_consortium(user, consortium):
        raise NotAllowed(
            _("Only the lead contacts of %(name)s and staff may do this.")
            % {"name": consortium.name}
        )


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


def _lock(consortium: Consortium) -> Consortium:
    # Membership changes of one consortium take its row lock first, so two members leaving
    # at the same time are counted one after the other and the flag is never missed.
    return Consortium.objects.select_for_update().get(pk=consortium.pk)


# --- Organizations -------------------------------------------------------------------------


class AlreadyRegistered(RuleViolation):
    """The organization someone tried to register is on the portal already: the way
    forward is to ask to act for it (``contact_request_create``)."""

    def __init__(self, organization: Organization):
        self.organization = organization
        super().__init__(
            _(
                "An organization with the ROR ID %(ror)s is already registered. Ask to "
                "become one of its contacts: its contacts or ORCID staff will answer."
            )
            % {"ror": organization.ror_id}
        )


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
    if ror_id:
        existing = (
            Organization.objects.exclude(verification=Verification.REJECTED)
            .filter(ror_id=ror_id)
            .first()
        )
        if existing is not None:
            raise AlreadyRegistered(existing)
    return NewOrganization(
        name=data.name.strip(),
        country=data.country,
        org_type=data.org_type,
        ror_id=ror_id,
        website=data.website,
    )


def _register(*, user, data: NewOrganization) -> Organization:
    data = _clean_new_organization(data)
    organization = Organization(
        name=data.name,
        ror_id=data.ror_id,
        country=data.country,
        org_type=data.org_type,
        website=data.website,
        verification=Verification.UNVERIFIED,
    )
    full_clean(organization)
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


@transaction.atomic
def organization_register(*, by, data: NewOrganization) -> Organization:
    """Register an organization with ``user`` as its main relationship contact. It is
    unverified until ORCID staff vouch for it; they are mailed."""
    organization = _register(user=by, data=data)
    deliver(
        recipients=_verifiers(),
        kind="consortia.organization_registered",
        about=organization,
        subject=gettext_lazy("To verify: %(org)s"),
        subject_params={"org": organization.name},
        template="consortia/email/organization_registered",
        context={"organization": organization, "registered_by": by},
        list_id=LIST_ID,
    )
    return organization


def _organization_for(
    *,
    user,
    organization: Organization | None,
    new_organization: NewOrganization | None,
    tell_verifiers: bool = True,
) -> Organization:
    if organization is not None:
        _require_organization_contact(user, organization)
        if organization.verification == Verification.REJECTED:
            raise RuleViolation(
                _("ORCID staff rejected the registration of %(org)s.") % {"org": organization.name}
            )
        return organization
    if new_organization is None:
        raise InvalidInput(_("Choose your organization or register it."))
    if not tell_verifiers:  # the caller tells them about the organization with its own event
        return _register(user=user, data=new_organization)
    return organization_register(by=user, data=new_organization)


def _require_unverified(row: Organization | Consortium) -> None:
    if row.verification == Verification.VERIFIED:
        raise RuleViolation(_("%(name)s is already verified.") % {"name": row.name})
    if row.verification == Verification.REJECTED:
        raise RuleViolation(_("%(name)s has already been rejected.") % {"name": row.name})


def _set_verification(row: Organization | Consortium, *, verdict: str, by, note: str) -> None:
    row.verification = verdict
    row.verification_decided_by = by
    row.verification_decided_at = timezone.now()
    row.verification_note = note.strip()
    row.save(
        update_fields=[
            "verification",
            "verification_decided_by",
            "verification_decided_at",
            "verification_note",
        ]
    )


def _organization_verified(organization: Organization, *, by, tell_contacts: bool) -> None:
    _set_verification(organization, verdict=Verification.VERIFIED, by=by, note="")
    if tell_contacts:
        deliver(
            recipients=_organization_contacts(organization),
            kind="consortia.organization_verified",
            about=organization,
            subject=gettext_lazy("%(org)s is verified"),
            subject_params={"org": organization.name},
            template="consortia/email/organization_verified",
            context={"organization": organization},
            list_id=LIST_ID,
        )
    # Its requests to join waited for this: their lead contacts can answer them now.
    for membership in (
        Membership.objects.pending()
        .filter(organization=organization)
        .select_related("consortium", "organization")
    ):
        deliver(
            recipients=_lead_contacts(membership.consortium) or _staff(),
            kind="consortia.request_verified",
            about=membership,
            subject=gettext_lazy("%(org)s is verified: its request to join %(name)s waits"),
            subject_params={"org": organization.name, "name": membership.consortium.name},
            template="consortia/email/request_verified",
            context={"membership": membership, "consortium": membership.consortium},
            list_id=LIST_ID,
        )


@transaction.atomic
def organization_verify(*, organization: Organization, by) -> Organization:
    """Staff vouch for a registered organization: its contacts may act for it everywhere,
    and the lead contacts it asked to join can accept it."""
    _require_verifier(by)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _require_unverified(organization)
    _organization_verified(organization, by=by, tell_contacts=True)
    return organization


def _end_memberships(*, memberships, by, note: str) -> None:
    """Decline waiting requests and end active memberships (their consortia recounted)."""
    now = timezone.now()
    for membership in memberships.select_related("consortium"):
        if membership.state == Membership.State.REQUESTED:
            membership.state = Membership.State.DECLINED
            membership.decided_at = now
            membership.decision_note = note
        elif membership.state == Membership.State.ACTIVE:
            membership.state = Membership.State.LEFT
            membership.left_at = now
        else:
            continue
        membership.decided_by = by
        membership.save()
        if membership.state == Membership.State.LEFT:
            consortium_refresh_minimum(consortium=_lock(membership.consortium), cause=membership)


def _consortium_rejected(consortium: Consortium, *, by, note: str) -> None:
    _set_verification(consortium, verdict=Verification.REJECTED, by=by, note=note)
    _end_memberships(
        memberships=Membership.objects.filter(consortium=consortium), by=by, note=note.strip()
    )
    deliver(
        recipients=_lead_contacts(consortium),
        kind="consortia.consortium_rejected",
        about=consortium,
        subject=gettext_lazy("%(name)s was not verified"),
        subject_params={"name": consortium.name},
        template="consortia/email/consortium_rejected",
        context={"consortium": consortium},
        list_id=LIST_ID,
    )


@transaction.atomic
def organization_reject(*, organization: Organization, by, note: str = "") -> Organization:
    """Staff reject a registration: its ROR ID is free again, what waited on it ends
    (requests to join declined, consortia it proposed to lead rejected, requests to act for
    it declined), and everyone concerned is mailed."""
    _require_verifier(by)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _require_unverified(organization)
    _set_verification(organization, verdict=Verification.REJECTED, by=by, note=note)
    reason = organization.verification_note
    for consortium in Consortium.objects.filter(
        lead_organization=organization, verification=Verification.UNVERIFIED
    ):
        _consortium_rejected(consortium, by=by, note=reason)
    _end_memberships(
        memberships=Membership.objects.filter(organization=organization), by=by, note=reason
    )
    for request in ContactRequest.objects.filter(
        organization=organization, state=ContactRequest.State.PENDING
    ).select_related("organization", "user"):
        _decide_contact_request(request, by=by, accepted=False, note=reason)
    deliver(
        recipients=_organization_contacts(organization),
        kind="consortia.organization_rejected",
        about=organization,
        subject=gettext_lazy("%(org)s was not verified"),
        subject_params={"org": organization.name},
        template="consortia/email/organization_rejected",
        context={"organization": organization},
        list_id=LIST_ID,
    )
    return organization


# --- Contact requests: asking to act for a registered organization -----------------------------


@transaction.atomic
def contact_request_create(
    *, organization: Organization, by, role: str = "", message: str = ""
) -> ContactRequest:
    """Ask to become a contact of a registered organization; its contacts (once it is
    verified) and staff who verify are mailed, and one of them answers."""
    role = role or OrganizationContact.Role.OTHER
    if role not in OrganizationContact.Role.values:
        raise InvalidInput(_("Choose a role from the list."))
    if organization.verification == Verification.REJECTED:
        raise RuleViolation(
            _("ORCID staff rejected the registration of %(org)s.") % {"org": organization.name}
        )
    if OrganizationContact.objects.filter(organization=organization, user=by).exists():
        raise RuleViolation(_("You are already a contact of %(org)s.") % {"org": organization.name})
    waiting = _("You have already asked to act for %(org)s; your request is waiting.") % {
        "org": organization.name
    }
    if ContactRequest.objects.filter(
        organization=organization, user=by, state=ContactRequest.State.PENDING
    ).exists():
        raise RuleViolation(waiting)
    try:
        with transaction.atomic():
            request = ContactRequest.objects.create(
                organization=organization, user=by, role=role, message=message.strip()
            )
    except IntegrityError as exc:  # the same request sent twice at the same moment
        raise RuleViolation(waiting) from exc
    deciders = {person.pk: person for person in _verifiers()}
    if organization.verification == Verification.VERIFIED:
        deciders.update({person.pk: person for person in _organization_contacts(organization)})
    deliver(
        recipients=deciders.values(),
        kind="consortia.contact_requested",
        about=request,
        subject=gettext_lazy("%(person)s asks to act for %(org)s"),
        subject_params={"person": str(by), "org": organization.name},
        template="consortia/email/contact_requested",
        context={"request": request, "organization": organization, "requester": by},
        list_id=LIST_ID,
    )
    return request


def _decide_contact_request(request: ContactRequest, *, by, accepted: bool, note: str) -> None:
    request.state = ContactRequest.State.ACCEPTED if accepted else ContactRequest.State.DECLINED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    if accepted:
        OrganizationContact.objects.get_or_create(
            organization=request.organization, user=request.user, role=request.role
        )
    deliver(
        recipients=[request.user],
        kind="consortia.contact_request_accepted"
        if accepted
        else "consortia.contact_request_declined",
        about=request,
        subject=gettext_lazy("You can now act for %(org)s")
        if accepted
        else gettext_lazy("Your request to act for %(org)s was declined"),
        subject_params={"org": request.organization.name},
        template="consortia/email/contact_request_accepted"
        if accepted
        else "consortia/email/contact_request_declined",
        context={"request": request, "organization": request.organization},
        list_id=LIST_ID,
    )


def _locked_contact_request(request: ContactRequest, by) -> ContactRequest:
    request = (
        ContactRequest.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .get(pk=request.pk)
    )
    if not permissions.can_decide_contact_request(by, request):
        raise NotAllowed(
            _("Only the contacts of %(org)s and ORCID staff may answer this request.")
            % {"org": request.organization.name}
        )
    if request.state != ContactRequest.State.PENDING:
        raise RuleViolation(_("This request has already been answered."))
    return request


@transaction.atomic
def contact_request_accept(*, request: ContactRequest, by, note: str = "") -> ContactRequest:
    """A contact of the organization (or staff who verify) accepts: the requester becomes
    a contact in the role they asked for, and is told by email."""
    request = _locked_contact_request(request, by)
    _decide_contact_request(request, by=by, accepted=True, note=note)
    return request


@transaction.atomic
def contact_request_decline(*, request: ContactRequest, by, note: str = "") -> ContactRequest:
    """A contact of the organization (or staff who verify) declines; the requester is told."""
    request = _locked_contact_request(request, by)
    _decide_contact_request(request, by=by, accepted=False, note=note)
    return request


# --- Membership ----------------------------------------------------------------------------


@transaction.atomic
def membership_request(
    *,
    consortium: Consortium,
    by,
    message: str = "",
    organization: Organization | None = None,
    new_organization: NewOrganization | None = None,
) -> Membership:
    """An organization's contact asks to join; the lead contacts are told by email."""
    if consortium.verification != Verification.VERIFIED:
        raise RuleViolation(
            _("%(name)s has not been verified by ORCID staff yet and does not take members.")
            % {"name": consortium.name}
        )
    if consortium.status == Consortium.Status.INACTIVE:
        raise RuleViolation(
            _("%(name)s is inactive and does not take new members.") % {"name": consortium.name}
        )
    organization = _organization_for(
        user=by, organization=organization, new_organization=new_organization
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
                requested_by=by,
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
        context={"membership": membership, "consortium": consortium, "requester": by},
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
def membership_accept(*, membership: Membership, by, note: str = "") -> Membership:
    """A lead contact accepts a request; the requester is told by email."""
    _require_lead_or_staff(by, membership.consortium)
    consortium = _lock(membership.consortium)
    # Requests sent before the consortium was marked inactive are still waiting.
    if consortium.status == Consortium.Status.INACTIVE:
        raise RuleViolation(
            _("%(name)s is inactive and does not take new members.") % {"name": consortium.name}
        )
    membership = _locked_membership(membership)
    if membership.state != Membership.State.REQUESTED:
        raise RuleViolation(_("This request has already been answered."))
    if membership.organization.verification != Verification.VERIFIED:
        # Only verified organizations are members, so a member list never shows one
        # nobody has vouched for.
        raise RuleViolation(
            _("ORCID staff verify %(org)s first; you can accept the request once they have.")
            % {"org": membership.organization.name}
        )
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
    membership.decided_by = by
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
def membership_decline(*, membership: Membership, by, note: str = "") -> Membership:
    """A lead contact declines a request, with a note; the requester is told by email."""
    _require_lead_or_staff(by, membership.consortium)
    membership = _locked_membership(membership)
    if membership.state != Membership.State.REQUESTED:
        raise RuleViolation(_("This request has already been answered."))
    membership.state = Membership.State.DECLINED
    membership.decided_by = by
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
def membership_leave(*, membership: Membership, by) -> Membership:
    """An active member leaves (its contact) or is removed (a lead contact or staff).

    If an active consortium falls below the minimum, it is flagged and its lead contacts
    and staff get an email.
    """
    consortium = membership.consortium
    if not permissions.can_manage_consortium(by, consortium):
        _require_organization_contact(by, membership.organization)
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
    membership.decided_by = by
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
    by,
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
        user=by,
        organization=organization,
        new_organization=new_organization,
        tell_verifiers=False,
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
        verification=Verification.UNVERIFIED,
        proposed_by=by,
    )
    full_clean(consortium)
    consortium.save()
    ConsortiumCountry.objects.bulk_create(
        [ConsortiumCountry(consortium=consortium, country=code) for code in codes]
    )
    ConsortiumContact.objects.create(
        consortium=consortium, user=by, role=ConsortiumContact.Role.MAIN
    )
    Membership.objects.create(
        consortium=consortium,
        organization=lead,
        state=Membership.State.ACTIVE,
        requested_by=by,
        decided_by=by,
        decided_at=timezone.now(),
    )
    # The checklist starts with every item open but the first one ("Lead organization
    # identified, with its main contact"): proposing did exactly that.
    items = list(ChecklistItem.objects.filter(is_active=True))
    first = min(
        (item for item in items if item.phase == ChecklistItem.Phase.PRE_AGREEMENT),
        key=lambda item: (item.position, item.pk),
        default=None,
    )
    now = timezone.now()
    ChecklistEntry.objects.bulk_create(
        [
            ChecklistEntry(consortium=consortium, item=item)
            if item is not first
            else ChecklistEntry(
                consortium=consortium, item=item, done=True, done_by=by, done_at=now
            )
            for item in items
        ]
    )
    deliver(
        recipients=_verifiers(),
        kind="consortia.consortium_proposed",
        about=consortium,
        subject=gettext_lazy("To verify: the proposed consortium %(name)s"),
        subject_params={"name": consortium.name},
        template="consortia/email/consortium_proposed",
        context={"consortium": consortium, "lead": lead, "proposer": by},
        list_id=LIST_ID,
    )
    return consortium


@transaction.atomic
def consortium_verify(*, consortium: Consortium, by) -> Consortium:
    """Staff vouch for a proposed consortium (and its lead organization, if it waited too):
    it is listed in the directory and takes requests to join; its lead contacts are mailed."""
    _require_verifier(by)
    consortium = _lock(consortium)
    _require_unverified(consortium)
    lead = Organization.objects.select_for_update().get(pk=consortium.lead_organization_id)
    if lead.verification == Verification.REJECTED:
        raise RuleViolation(
            _("The registration of its lead organization %(org)s was rejected.")
            % {"org": lead.name}
        )
    _set_verification(consortium, verdict=Verification.VERIFIED, by=by, note="")
    if lead.verification == Verification.UNVERIFIED:
        # The mail about the consortium says so; no second one about its lead.
        _organization_verified(lead, by=by, tell_contacts=False)
    deliver(
        recipients=_lead_contacts(consortium),
        kind="consortia.consortium_verified",
        about=consortium,
        subject=gettext_lazy("%(name)s is verified"),
        subject_params={"name": consortium.name},
        template="consortia/email/consortium_verified",
        context={"consortium": consortium, "lead": lead},
        list_id=LIST_ID,
    )
    return consortium


@transaction.atomic
def consortium_reject(*, consortium: Consortium, by, note: str = "") -> Consortium:
    """Staff reject a proposed consortium: it stays hidden, its lead organization is free
    to join another one, and its lead contacts are mailed (with the note)."""
    _require_verifier(by)
    consortium = _lock(consortium)
    _require_unverified(consortium)
    _consortium_rejected(consortium, by=by, note=note)
    return consortium


@transaction.atomic
def consortium_update_details(
    *,
    consortium: Consortium,
    by,
    description: str,
    website: str,
    countries: Sequence[str],
) -> Consortium:
    """Lead contacts edit what the consortium page says, and the countries it serves."""
    _require_lead_or_staff(by, consortium)
    consortium = _lock(consortium)
    codes = _clean_countries(consortium.kind, countries)
    consortium.description = description
    consortium.website = website
    full_clean(consortium)
    consortium.save(update_fields=["description", "website"])
    consortium_set_countries(consortium=consortium, countries=codes)
    return consortium


@transaction.atomic
def consortium_finalize_agreement(*, consortium: Consortium, by) -> Consortium:
    """Staff finalize the agreement: the consortium becomes *active* — only when every
    pre-agreement checklist item is done and the membership rules hold."""
    require_staff_power(by, permissions.can_finalize_consortium)
    consortium = _lock(consortium)
    if consortium.verification != Verification.VERIFIED:
        raise RuleViolation(
            _("%(name)s has not been verified by ORCID staff yet.") % {"name": consortium.name}
        )
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
def consortium_mark_inactive(*, consortium: Consortium, by) -> Consortium:
    """Staff mark a consortium inactive (it no longer takes members)."""
    require_staff_power(by, permissions.can_deactivate_consortium)
    consortium = _lock(consortium)
    consortium.status = Consortium.Status.INACTIVE
    consortium.below_minimum = False
    consortium.below_minimum_since = None
    consortium.save(update_fields=["status", "below_minimum", "below_minimum_since"])
    return consortium


class InvitationClosed(RuleViolation):
    """The invitation was accepted, withdrawn or has expired: the link is gone."""

    status_code = 410


def _require_free_role(consortium: Consortium, role: str, *, when_accepting: bool) -> None:
    if role not in ConsortiumContact.Role.values:
        raise InvalidInput(_("Choose a role from the list."))
    if (
        role != ConsortiumContact.Role.STAFF
        and ConsortiumContact.objects.filter(consortium=consortium, role=role).exists()
    ):
        label = ConsortiumContact.Role(role).label.lower()
        if when_accepting:
            raise RuleViolation(
                _("%(name)s already has a %(role)s; ask for an invitation in another role.")
                % {"name": consortium.name, "role": label}
            )
        raise RuleViolation(
            _("The consortium already has a %(role)s; remove it first.") % {"role": label}
        )


def _end_invitation(invitation: ContactInvitation, state: str, **fields) -> None:
    invitation.state = state
    invitation.ended_at = timezone.now()
    for name, value in fields.items():
        setattr(invitation, name, value)
    invitation.save(update_fields=["state", "ended_at", *fields])


@transaction.atomic
def contact_invitation_send(
    *, consortium: Consortium, by, email: str, role: str
) -> ContactInvitation:
    """Invite an email address to become a lead contact: a link that works once, for
    ``INVITATION_DAYS``, mailed to the address (after commit). Nothing here depends on
    whether the address has an account, so neither does what the inviter sees.

    The returned invitation carries the link's token (``.token``); only its digest is
    stored.
    """
    _require_lead_or_staff(by, consortium)
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise InvalidInput(_("Enter a valid email address.")) from exc
    if ConsortiumContact.objects.filter(
        consortium=consortium, user__email__iexact=address
    ).exists():
        raise RuleViolation(_("%(email)s is already a lead contact.") % {"email": address})
    _require_free_role(consortium, role, when_accepting=False)
    now = timezone.now()
    for stale in ContactInvitation.objects.select_for_update().filter(
        consortium=consortium, email=address, state=ContactInvitation.State.PENDING
    ):
        if stale.is_open(now):
            raise RuleViolation(
                _("An invitation to %(email)s is already waiting; withdraw it to send a new one.")
                % {"email": address}
            )
        _end_invitation(stale, ContactInvitation.State.EXPIRED)
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = ContactInvitation.objects.create(
                consortium=consortium,
                email=address,
                role=role,
                token_digest=permissions.invitation_digest(token),
                invited_by=by,
                expires_at=now + timedelta(days=INVITATION_DAYS),
            )
    except IntegrityError as exc:  # the same invitation sent twice at the same moment
        raise RuleViolation(
            _("An invitation to %(email)s is already waiting; withdraw it to send a new one.")
            % {"email": address}
        ) from exc
    # The mail speaks the language of the address's account if there is one, else the
    # inviter's: the same query and the same mail either way.
    language = User.objects.filter(email__iexact=address).values_list("language", flat=True).first()
    deliver_to_address(
        email=address,
        kind="consortia.contact_invitation",
        about=invitation,
        subject=gettext_lazy("%(person)s invites you to be a lead contact of %(name)s"),
        subject_params={"person": str(by), "name": consortium.name},
        template="consortia/email/contact_invitation",
        context={
            "invitation": invitation,
            "consortium": consortium,
            "inviter": by,
            "accept_url": settings.SITE_URL.rstrip("/")
            + reverse("consortia:invitation", kwargs={"token": token}),
        },
        language=language or get_language() or settings.LANGUAGE_CODE,
    )
    invitation.token = token
    return invitation


def _closed(invitation: ContactInvitation) -> InvitationClosed:
    messages = {
        ContactInvitation.State.ACCEPTED: _("This invitation has already been accepted."),
        ContactInvitation.State.WITHDRAWN: _("This invitation was withdrawn."),
        ContactInvitation.State.EXPIRED: _(
            "This invitation has expired; ask the lead contacts for a new one."
        ),
    }
    return InvitationClosed(messages[invitation.state])


def contact_invitation_accept(*, token: str, by) -> ConsortiumContact:
    """The invited person, signed in, accepts: they become a lead contact in the role of
    the invitation (their email address stays private until they choose otherwise), and
    the inviter is mailed. The token is the proof of having received the invitation."""
    with transaction.atomic():
        invitation = (
            ContactInvitation.objects.select_for_update(of=("self",))
            .select_related("consortium", "invited_by")
            .filter(token_digest=permissions.invitation_digest(token))
            .first()
        )
        if invitation is None:
            raise InvalidInput(_("This invitation link is not valid."))
        if invitation.state == ContactInvitation.State.PENDING and not invitation.is_open(
            timezone.now()
        ):
            # Recorded as expired (committed), then refused below.
            _end_invitation(invitation, ContactInvitation.State.EXPIRED)
        else:
            return _accept_invitation(invitation, by=by)
    raise _closed(invitation)


@transaction.atomic
def _accept_invitation(invitation: ContactInvitation, *, by) -> ConsortiumContact:
    if invitation.state != ContactInvitation.State.PENDING:
        raise _closed(invitation)
    consortium = _lock(invitation.consortium)
    if ConsortiumContact.objects.filter(consortium=consortium, user=by).exists():
        raise RuleViolation(
            _("You are already a lead contact of %(name)s.") % {"name": consortium.name}
        )
    _require_free_role(consortium, invitation.role, when_accepting=True)
    contact = ConsortiumContact.objects.create(consortium=consortium, user=by, role=invitation.role)
    _end_invitation(invitation, ContactInvitation.State.ACCEPTED, accepted_by=by)
    if invitation.invited_by is not None:
        deliver(
            recipients=[invitation.invited_by],
            kind="consortia.invitation_accepted",
            about=invitation,
            subject=gettext_lazy("%(person)s is now a lead contact of %(name)s"),
            subject_params={"person": str(by), "name": consortium.name},
            template="consortia/email/invitation_accepted",
            context={"invitation": invitation, "consortium": consortium, "contact": contact},
            list_id=LIST_ID,
        )
    return contact


@transaction.atomic
def contact_invitation_withdraw(*, invitation: ContactInvitation, by) -> ContactInvitation:
    """A lead contact (or staff) withdraws a waiting invitation: its link stops working."""
    _require_lead_or_staff(by, invitation.consortium)
    invitation = ContactInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != ContactInvitation.State.PENDING:
        raise RuleViolation(_("This invitation is no longer waiting."))
    _end_invitation(invitation, ContactInvitation.State.WITHDRAWN)
    return invitation


@transaction.atomic
def consortium_contact_show_email(*, contact: ConsortiumContact, by, show: bool) -> None:
    """A lead contact chooses whether the consortium page shows their email address; no
    one else chooses for them."""
    if contact.user_id != by.pk:
        raise NotAllowed(_("Only the contact themselves may choose this."))
    contact.show_email = show
    contact.save(update_fields=["show_email"])


@transaction.atomic
def consortium_contact_remove(*, contact: ConsortiumContact, by) -> None:
    """Remove a lead contact; the consortium keeps at least one."""
    _require_lead_or_staff(by, contact.consortium)
    if ConsortiumContact.objects.filter(consortium=contact.consortium).count() <= 1:
        raise RuleViolation(_("A consortium keeps at least one lead contact."))
    contact.delete()


# --- Checklist -----------------------------------------------------------------------------


@transaction.atomic
def checklist_entry_update(
    *,
    consortium: Consortium,
    item: ChecklistItem,
    by,
    done: bool,
    note: str = "",
    document: Document | None = None,
) -> ChecklistEntry:
    """Mark a checklist item done or not done, with a note and an optional document."""
    _require_lead_or_staff(by, consortium)
    if document is not None and document.consortium_id != consortium.pk:
        raise InvalidInput(_("Choose one of this consortium's documents."))
    entry, _created = ChecklistEntry.objects.select_for_update().get_or_create(
        consortium=consortium, item=item
    )
    if done and not entry.done:
        entry.done_by = by
        entry.done_at = timezone.now()
    elif not done:
        entry.done_by = None
        entry.done_at = None
    entry.done = done
    entry.note = note.strip()
    entry.document = document
    entry.save()
    return entry


@dataclass(frozen=True)
class ChecklistChange:
    """What the checklist form says of one item."""

    item: ChecklistItem
    done: bool
    note: str = ""
    document: Document | None = None


@transaction.atomic
def checklist_save(*, consortium: Consortium, by, changes: Sequence[ChecklistChange]) -> int:
    """Save the whole checklist at once (all or nothing); returns how many items changed.

    An item whose state, note and document are what they were is left alone, so who
    ticked it, and when, stays true.
    """
    _require_lead_or_staff(by, consortium)
    entries = {
        entry.item_id: entry
        for entry in ChecklistEntry.objects.select_for_update().filter(consortium=consortium)
    }
    changed = 0
    for change in changes:
        entry = entries.get(change.item.pk)
        before = (entry.done, entry.note, entry.document_id) if entry else (False, "", None)
        after = (change.done, change.note.strip(), change.document.pk if change.document else None)
        if before == after:
            continue
        checklist_entry_update(
            consortium=consortium,
            item=change.item,
            by=by,
            done=change.done,
            note=change.note,
            document=change.document,
        )
        changed += 1
    return changed


# --- Documents -----------------------------------------------------------------------------


@transaction.atomic
def document_upload(*, consortium: Consortium, by, title: str, upload, visibility: str) -> Document:
    """Store a document (checked by size and by content) in the private storage."""
    _require_lead_or_staff(by, consortium)
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
        uploaded_by=by,
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
def document_delete(*, document: Document, by) -> None:
    """Delete a document and, after commit, its file."""
    _require_lead_or_staff(by, document.consortium)
    storage, name = document.file.storage, document.file.name
    ChecklistEntry.objects.filter(document=document).update(document=None)
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- Progress reports ----------------------------------------------------------------------


@transaction.atomic
def progress_report_publish(*, consortium: Consortium, by, title: str, body: str) -> ProgressReport:
    """Publish a progress report; members are mailed by a task after commit."""
    _require_lead_or_staff(by, consortium)
    if not title.strip() or not body.strip():
        raise InvalidInput(_("A progress report needs a title and a text."))
    report = ProgressReport.objects.create(
        consortium=consortium, title=title.strip(), body=body, published_by=by
    )
    enqueue_on_commit("consortia.tasks.send_progress_report", report.pk)
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


# --- A person's data: deleting their account -----------------------------------------------


def person_delete_blockers(user) -> list:
    """The only lead contact of a consortium hands it over first: someone must be left to
    manage it."""
    theirs = ConsortiumContact.objects.filter(user=user).values("consortium_id")
    alone = (
        Consortium.objects.filter(pk__in=theirs)
        .annotate(lead_contacts=models.Count("contacts"))
        .filter(lead_contacts=1)
        .order_by("name")
    )
    return [
        _(
            "You are the only lead contact of %(name)s. Invite another lead contact on its "
            "page (or ask ORCID staff to appoint one), then delete your account."
        )
        % {"name": consortium.name}
        for consortium in alone
    ]


@transaction.atomic
def person_erase(user) -> None:
    """A person's account is deleted: they stop being a contact of consortia and
    organizations, their requests to act for one and the invitations sent to their address
    go. What they did for a consortium (requests decided, documents uploaded) stays, by
    "a former member"."""
    ConsortiumContact.objects.filter(user=user).delete()
    OrganizationContact.objects.filter(user=user).delete()
    ContactRequest.objects.filter(user=user).delete()
    ContactInvitation.objects.filter(
        models.Q(accepted_by=user) | models.Q(email__iexact=user.email)
    ).delete()
