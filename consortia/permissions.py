"""Every access decision of the consortia app, and the permission-aware getters that
views call on their first line (404 for what does not exist or may not be seen, 403 for
what exists but is not theirs to manage)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from consortia.models import (
    Consortium,
    ConsortiumContact,
    Document,
    Membership,
    Organization,
    OrganizationContact,
)


def is_lead_contact(user, consortium: Consortium) -> bool:
    if not user.is_authenticated:
        return False
    return ConsortiumContact.objects.filter(consortium=consortium, user=user).exists()


def can_manage_consortium(user, consortium: Consortium) -> bool:
    """Lead contacts manage their consortium; staff manage every one."""
    if not user.is_authenticated:
        return False
    return user.is_staff or is_lead_contact(user, consortium)


def is_member_contact(user, consortium: Consortium) -> bool:
    """Whether ``user`` is a contact of an active member organization."""
    if not user.is_authenticated:
        return False
    return OrganizationContact.objects.filter(
        user=user,
        organization__memberships__consortium=consortium,
        organization__memberships__state=Membership.State.ACTIVE,
    ).exists()


def can_see_member_documents(user, consortium: Consortium) -> bool:
    return can_manage_consortium(user, consortium) or is_member_contact(user, consortium)


def visible_document_visibilities(user, consortium: Consortium) -> list[str]:
    if can_see_member_documents(user, consortium):
        return list(Document.Visibility.values)
    return [Document.Visibility.PUBLIC]


def organizations_for_user(user) -> QuerySet[Organization]:
    """The organizations ``user`` may act for (is a contact of)."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(contacts__user=user).distinct().order_by("name")


def get_consortium_for_lead(user, slug: str) -> Consortium:
    consortium = get_object_or_404(
        Consortium.objects.select_related("lead_organization"), slug=slug
    )
    if not can_manage_consortium(user, consortium):
        raise PermissionDenied
    return consortium


def get_consortium_for_staff(user, slug: str) -> Consortium:
    consortium = get_object_or_404(Consortium, slug=slug)
    if not user.is_staff:
        raise PermissionDenied
    return consortium


def get_document_for_user(user, slug: str, pk: int) -> Document:
    """A document the person may download; 404 for one they may not see (no hint)."""
    document = get_object_or_404(
        Document.objects.select_related("consortium"), pk=pk, consortium__slug=slug
    )
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
    if not (
        user.is_staff
        or OrganizationContact.objects.filter(
            user=user, organization_id=membership.organization_id
        ).exists()
    ):
        raise Http404
    return membership
