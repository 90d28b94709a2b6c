"""Every access decision of the consortia app, and the permission-aware getters that
views call on their first line (404 for what does not exist or may not be seen, 403 for
what exists but is not theirs to manage)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.staff import holds
from consortia.models import (
    Consortium,
    ConsortiumContact,
    ContactInvitation,
    ContactRequest,
    Document,
    Membership,
    Organization,
    OrganizationContact,
    ProgressReport,
    Verification,
)

# The staff powers of the consortia app (accounts.staff): each rule below is written once
# and used by the pages, the services, the selectors and the admin alike.
MANAGE_ANY_CONSORTIUM = "consortia.manage_any_consortium"
FINALIZE_CONSORTIUM = "consortia.finalize_consortium"
DEACTIVATE_CONSORTIUM = "consortia.deactivate_consortium"

# The staff power of verifying organizations, proposed consortia and contact requests.
VERIFY_ORGANIZATION = "consortia.verify_organization"


def can_verify(user) -> bool:
    """ORCID staff who vouch for organizations and proposed consortia."""
    return holds(user, VERIFY_ORGANIZATION)


def is_lead_contact(user, consortium: Consortium) -> bool:
    if not user.is_authenticated:
        return False
    return ConsortiumContact.objects.filter(consortium=consortium, user=user).exists()


def manages_every_consortium(user) -> bool:
    """Staff who act as the lead contacts of every consortium."""
    return holds(user, MANAGE_ANY_CONSORTIUM)


def can_manage_consortium(
    user, consortium: Consortium, *, lead_contact_ids: Collection[int] | None = None
) -> bool:
    """Lead contacts manage their consortium; holders of consortia.manage_any_consortium
    manage every one. ``lead_contact_ids``: the consortium's lead contacts, when the
    caller has them already (no query)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if manages_every_consortium(user):
        return True
    if lead_contact_ids is not None:
        return user.pk in lead_contact_ids
    return is_lead_contact(user, consortium)


def can_finalize_consortium(user) -> bool:
    return holds(user, FINALIZE_CONSORTIUM)


def can_deactivate_consortium(user) -> bool:
    return holds(user, DEACTIVATE_CONSORTIUM)


def can_act_for_organization(user, organization: Organization) -> bool:
    """An organization's contacts act for it; so do staff who manage every consortium."""
    if not getattr(user, "is_authenticated", False):
        return False
    if manages_every_consortium(user):
        return True
    return OrganizationContact.objects.filter(organization=organization, user=user).exists()


def can_see_consortium(user, consortium: Consortium) -> bool:
    """A verified consortium is public; an unverified or rejected one is seen only by its
    proposer, its lead contacts and staff who verify."""
    if consortium.verification == Verification.VERIFIED:
        return True
    if not user.is_authenticated:
        return False
    return (
        consortium.proposed_by_id == user.pk
        or is_lead_contact(user, consortium)
        or can_verify(user)
    )


def get_visible_consortium(user, slug: str, queryset: QuerySet | None = None) -> Consortium:
    """The consortium at ``slug`` if the person may see it; 404 otherwise (no hint)."""
    consortium = get_object_or_404(
        queryset if queryset is not None else Consortium.objects.all(), slug=slug
    )
    if not can_see_consortium(user, consortium):
        raise Http404
    return consortium


def is_member_contact(
    user, consortium: Consortium, *, member_organization_ids: Collection[int] | None = None
) -> bool:
    """Whether ``user`` is a contact of an active member organization.
    ``member_organization_ids``: the active members, when the caller has them already."""
    if not user.is_authenticated:
        return False
    contacts = OrganizationContact.objects.filter(user=user)
    if member_organization_ids is not None:
        return contacts.filter(organization_id__in=member_organization_ids).exists()
    return contacts.filter(
        organization__memberships__consortium=consortium,
        organization__memberships__state=Membership.State.ACTIVE,
    ).exists()


def can_see_member_documents(
    user,
    consortium: Consortium,
    *,
    lead_contact_ids: Collection[int] | None = None,
    member_organization_ids: Collection[int] | None = None,
) -> bool:
    """Those who manage the consortium and the contacts of its active members."""
    return can_manage_consortium(
        user, consortium, lead_contact_ids=lead_contact_ids
    ) or is_member_contact(user, consortium, member_organization_ids=member_organization_ids)


def can_see_contact_emails(
    user,
    consortium: Consortium,
    *,
    lead_contact_ids: Collection[int] | None = None,
    member_organization_ids: Collection[int] | None = None,
    sees_member_documents: bool | None = None,
) -> bool:
    """Whether every lead contact's email address is shown to ``user``: to those who see
    the members' documents (the consortium's lead contacts, the contacts of its active
    members, staff who manage every consortium) and to staff who verify organizations.
    Everyone else sees an address only if its contact chose to show it (``show_email``).
    ``sees_member_documents``: :func:`can_see_member_documents`, when the caller has it."""
    if sees_member_documents is None:
        sees_member_documents = can_see_member_documents(
            user,
            consortium,
            lead_contact_ids=lead_contact_ids,
            member_organization_ids=member_organization_ids,
        )
    return sees_member_documents or (getattr(user, "is_authenticated", False) and can_verify(user))


def organizations_for_user(user) -> QuerySet[Organization]:
    """The organizations ``user`` may act for: they are a contact of it, and staff have not
    rejected its registration (an unverified one may be used while it waits)."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return (
        Organization.objects.filter(contacts__user=user)
        .exclude(verification=Verification.REJECTED)
        .distinct()
        .order_by("name")
    )


def is_organization_contact(user, organization: Organization) -> bool:
    if not user.is_authenticated:
        return False
    return OrganizationContact.objects.filter(organization=organization, user=user).exists()


def can_decide_contact_request(user, request: ContactRequest) -> bool:
    """Staff who verify decide every request; the contacts of a verified organization
    decide requests to act for it (nobody has vouched for the contacts of an unverified
    one)."""
    if can_verify(user):
        return True
    return request.organization.verification == Verification.VERIFIED and (
        is_organization_contact(user, request.organization)
    )


def get_contact_request_to_decide(user, pk: int) -> ContactRequest:
    request = get_object_or_404(
        ContactRequest.objects.select_related("organization", "user"), pk=pk
    )
    if not can_decide_contact_request(user, request):
        raise Http404
    return request


def get_organization_to_ask(user, pk: int, ror_id: str = "") -> Organization:
    """An organization someone may ask to act for: a verified one (chosen from the list),
    or one waiting for verification whose ROR ID they named. 404 otherwise, so the list of
    registrations waiting for staff cannot be walked by number."""
    organization = get_object_or_404(
        Organization.objects.exclude(verification=Verification.REJECTED), pk=pk
    )
    if organization.verification == Verification.VERIFIED:
        return organization
    if organization.ror_id and organization.ror_id == ror_id.strip().lower():
        return organization
    raise Http404


def invitation_digest(token: str) -> str:
    """Invitation links carry a random token; the database keeps only its digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_invitation(token: str) -> ContactInvitation:
    """The invitation of a link (whatever its state): the token is the proof of having
    received it. 404 for a link that never existed."""
    return get_object_or_404(
        ContactInvitation.objects.select_related("consortium", "invited_by"),
        token_digest=invitation_digest(token),
    )


def get_own_consortium_contact(user, pk: int) -> ConsortiumContact:
    """A lead contact row of the person themselves (their own choices); 404 otherwise."""
    return get_object_or_404(
        ConsortiumContact.objects.select_related("consortium"), pk=pk, user_id=user.pk
    )


def get_report_for_user(user, slug: str, pk: int) -> ProgressReport:
    report = get_object_or_404(
        ProgressReport.objects.select_related("consortium", "published_by"),
        pk=pk,
        consortium__slug=slug,
    )
    if not can_see_consortium(user, report.consortium):
        raise Http404
    return report


def get_consortium_for_lead(user, slug: str) -> Consortium:
    consortium = get_object_or_404(
        Consortium.objects.select_related("lead_organization"), slug=slug
    )
    if not can_manage_consortium(user, consortium):
        raise PermissionDenied
    return consortium


def get_consortium_to_finalize(user, slug: str) -> Consortium:
    consortium = get_object_or_404(Consortium, slug=slug)
    if not can_finalize_consortium(user):
        raise PermissionDenied
    return consortium


def get_consortium_to_deactivate(user, slug: str) -> Consortium:
    consortium = get_object_or_404(Consortium, slug=slug)
    if not can_deactivate_consortium(user):
        raise PermissionDenied
    return consortium


def get_document_for_user(user, slug: str, pk: int) -> Document:
    """A document the person may download; 404 for one they may not see (no hint)."""
    document = get_object_or_404(
        Document.objects.select_related("consortium"), pk=pk, consortium__slug=slug
    )
    if not can_see_consortium(user, document.consortium):
        raise Http404
    if document.visibility == Document.Visibility.PUBLIC:
        return document
    if can_see_member_documents(user, document.consortium):
        return document
    raise Http404


def get_membership_for_contact(user, pk: int) -> Membership:
    """An active membership the person may end as a contact of the member organization."""
    membership = get_object_or_404(
        Membership.objects.select_related("consortium", "organization"), pk=pk
    )
    if not can_act_for_organization(user, membership.organization):
        raise Http404
    return membership
