"""Access decisions of the events app, in one place.

Views fetch their objects through the ``get_…`` helpers here, which answer 404 for what
does not exist (or may not be seen) and 403 for what the person may not do.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.staff import holds
from contributors.permissions import can_review_nominations
from events.models import Meeting, Session

# The staff powers of the events app (accounts.staff), one rule each, used by the pages,
# the services and the admin alike.
REVIEW_SESSIONS = "events.review_sessions"
MANAGE_PROGRAMME = "events.manage_programme"


def can_review_sessions(user) -> bool:
    """Holders of events.review_sessions and members of the technical steering group with
    a current term."""
    if not getattr(user, "is_authenticated", False):
        return False
    if holds(user, REVIEW_SESSIONS):
        return True
    return can_review_nominations(user)


def can_manage_programme(user) -> bool:
    """Staff who run the meetings: save them, mark sessions held, see the registrations."""
    return holds(user, MANAGE_PROGRAMME)


def is_speaker(user, session: Session) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    # Uses the prefetched speakers when the page has them.
    return any(s.user_id == user.pk for s in session.speakers.all())


def can_edit_session(user, session: Session) -> bool:
    return can_manage_programme(user) or is_speaker(user, session)


def can_see_session(user, session: Session) -> bool:
    """Sessions on the programme are public; proposals only to their speakers and reviewers."""
    if session.is_on_programme:
        return True
    return is_speaker(user, session) or can_review_sessions(user)


def get_meeting(slug: str) -> Meeting:
    return get_object_or_404(Meeting, slug=slug)


def get_session_for_user(user, slug: str, session_id: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("meeting").prefetch_related("speakers__user"),
        pk=session_id,
        meeting__slug=slug,
    )
    if not can_see_session(user, session):
        raise Http404
    return session


def require_reviewer(user) -> None:
    if not can_review_sessions(user):
        raise PermissionDenied(
            _("Only ORCID staff and the technical steering group review session proposals.")
        )


def get_session_for_reviewer(user, slug: str, session_id: int) -> Session:
    require_reviewer(user)
    return get_object_or_404(
        Session.objects.select_related("meeting", "proposed_by").prefetch_related("speakers__user"),
        pk=session_id,
        meeting__slug=slug,
    )


def require_staff(user) -> None:
    if not can_manage_programme(user):
        raise PermissionDenied(_("Only ORCID staff do this."))
