"""Access decisions of the contributors app: one place answers who may see and do what.

Views fetch their objects through the ``get_…`` helpers here, which answer 404 for what
does not exist and 403 for what the person may not see.
"""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.staff import holds
from contributors.models import (
    PUBLIC_LEVELS,
    Agreement,
    Briefing,
    Contribution,
    Group,
    Membership,
    Nomination,
    Profile,
    RollEntry,
)
from core.identifiers import normalize_orcid


def can_review_nominations(user) -> bool:
    """Whether ``user`` sees the review pages: steering-group members with a current term.

    Called on every page (the "Review" link), so it is one cheap query, asked once per
    user object and day: the view and the header of a request share the answer.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    today = timezone.localdate()
    known = user.__dict__.get("_can_review_nominations")
    if known is not None and known[0] == today:
        return known[1]
    answer = (
        Membership.objects.current(today)
        .filter(user=user, group__kind=Group.Kind.STEERING)
        .exists()
    )
    user.__dict__["_can_review_nominations"] = (today, answer)
    return answer


def _on_roll(user, nomination_id: int) -> bool:
    """Whether ``user`` is on the nomination's roll, frozen when it opened: a member whose
    term ended since still votes on it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return RollEntry.objects.filter(nomination_id=nomination_id, voter=user).exists()


# The staff powers of the contributors app (accounts.staff), one rule each, used by the
# pages, the services and the admin alike.
VERIFY_CONTRIBUTION = "contributors.verify_contribution"
NOMINATE = "contributors.nominate"
RECORD_STAFF_LEVEL = "contributors.record_staff_level"
WRITE_ANY_BRIEFING = "contributors.write_any_briefing"
MANAGE_GROUPS = "contributors.manage_groups"


def can_verify_contributions(user) -> bool:
    """Staff who verify contributions (and so see people who are not contributors yet)."""
    return holds(user, VERIFY_CONTRIBUTION)


def can_nominate(user) -> bool:
    return holds(user, NOMINATE)


def can_record_staff_level(user) -> bool:
    """Staff who set levels by decision: ORCID development staff and vendors as OST."""
    return holds(user, RECORD_STAFF_LEVEL)


def can_manage_groups(user) -> bool:
    """Staff who appoint the members and chairs of the steering and working groups."""
    return holds(user, MANAGE_GROUPS)


DELETE_AGREEMENT = "contributors.delete_agreement"


def can_delete_agreement(user, agreement: Agreement | None = None) -> bool:
    """Holders of contributors.delete_agreement remove a version of the OST agreement
    that nobody signed; a signed version is what its signers agreed to and stays."""
    if not holds(user, DELETE_AGREEMENT):
        return False
    return agreement is None or not agreement.signatures.exists()


def can_add_contribution(user, owner: User) -> bool:
    """People add their own contributions; verifiers add anyone's (verified at once)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.pk == owner.pk or can_verify_contributions(user)


def get_nomination_for_reviewer(user, nomination_id: int) -> Nomination:
    """The nomination a steering-group member (or a member of its roll) reviews: 403 for
    others, 404 if unknown. The nominee never sees their own, whatever else they are."""
    if not (can_review_nominations(user) or _on_roll(user, nomination_id)):
        raise PermissionDenied(
            _("Only members of the technical steering group review nominations.")
        )
    nomination = get_object_or_404(
        Nomination.objects.select_related("nominee", "nominated_by"), pk=nomination_id
    )
    if nomination.nominee_id == user.pk:
        raise PermissionDenied(_("You cannot review your own nomination."))
    return nomination


def require_reviewer(user) -> None:
    if not can_review_nominations(user):
        raise PermissionDenied(
            _("Only members of the technical steering group review nominations.")
        )


def get_person_for_profile(
    viewer, *, orcid_id: str | None = None, public_id: UUID | None = None
) -> User:
    """The person whose public profile is shown, by their verified ORCID iD or their
    public id: contributors and OST members for all; a person at the user level only to
    themselves and staff (404 for the others). A typed, unverified iD is no address."""
    if orcid_id is not None:
        not_found = _("No contributor has this ORCID iD.")
        try:
            lookup = {"orcid_id": normalize_orcid(orcid_id)}
        except ValidationError as exc:
            raise Http404(not_found) from exc
    else:
        not_found = _("No such contributor.")
        lookup = {"public_id": public_id}
    person = User.objects.filter(is_active=True, **lookup).first()
    if person is None:
        raise Http404(not_found)
    if getattr(viewer, "pk", None) == person.pk or can_verify_contributions(viewer):
        return person
    level = Profile.objects.filter(user=person).values_list("level", flat=True).first()
    if level in PUBLIC_LEVELS:
        return person
    raise Http404(not_found)


def get_group(slug: str) -> Group:
    return get_object_or_404(Group, slug=slug)


def get_contribution_to_verify(user, person: User, contribution_id: int):
    """A contribution of ``person`` that staff verify (403 for others, 404 if unknown)."""
    if not can_verify_contributions(user):
        raise PermissionDenied(_("Only ORCID staff verify contributions."))
    return get_object_or_404(Contribution, pk=contribution_id, user=person)


def require_can_add_contribution(user, person: User) -> None:
    if not can_add_contribution(user, person):
        raise PermissionDenied(_("You may only add your own contributions."))


def get_nomination_to_sign(user, nomination_id: int) -> Nomination:
    """The nomination a person signs the agreement for: only their own (403), if it exists."""
    nomination = get_object_or_404(Nomination.objects.select_related("nominee"), pk=nomination_id)
    if nomination.nominee_id != user.pk:
        raise PermissionDenied(_("Only the nominee can sign the agreement for this nomination."))
    return nomination


# --- Briefings ----------------------------------------------------------------------------


def can_write_briefings(user, group: Group) -> bool:
    """The chair of ``group`` with a current term, or holders of
    contributors.write_any_briefing, write and publish briefings."""
    if not getattr(user, "is_authenticated", False):
        return False
    if holds(user, WRITE_ANY_BRIEFING):
        return True
    return (
        Membership.objects.current(timezone.localdate())
        .filter(group=group, user=user, role=Membership.Role.CHAIR)
        .exists()
    )


def get_group_for_briefing_writer(user, slug: str) -> Group:
    """The group whose briefing ``user`` writes: 404 if unknown, 403 unless chair or staff."""
    group = get_object_or_404(Group, slug=slug)
    if not can_write_briefings(user, group):
        raise PermissionDenied(_("Only the group's chair and ORCID staff write its briefings."))
    return group


def get_briefing_for_viewer(user, slug: str, briefing_id: int) -> tuple[Briefing, bool]:
    """A briefing and whether ``user`` may write it; drafts are 404 to anyone else."""
    briefing = get_object_or_404(
        Briefing.objects.select_related("group", "author"), pk=briefing_id, group__slug=slug
    )
    can_write = can_write_briefings(user, briefing.group)
    if not briefing.is_published and not can_write:
        raise Http404(_("No such briefing."))
    return briefing, can_write


def get_briefing_for_writer(user, slug: str, briefing_id: int) -> Briefing:
    """A briefing ``user`` edits or publishes: 404 if unknown, 403 unless chair or staff."""
    briefing = get_object_or_404(
        Briefing.objects.select_related("group", "author"), pk=briefing_id, group__slug=slug
    )
    if not can_write_briefings(user, briefing.group):
        raise PermissionDenied(_("Only the group's chair and ORCID staff write its briefings."))
    return briefing
