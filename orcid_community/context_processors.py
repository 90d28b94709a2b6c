from django.conf import settings
from django.http import HttpRequest

from accounts.staff import can_use_admin
from contributors.permissions import can_review_nominations
from orcid_community import todo

NAV_SECTIONS = (
    "/consortia/",
    "/contributors/",
    "/groups/",
    "/forums/",
    "/events/",
    "/review/",
    "/todo/",
)


class _TodoCount:
    """The header's to-do count, asked only when a page of a signed-in person is drawn
    (one query, orcid_community.todo.count) and then kept for the rest of the page."""

    def __init__(self, user):
        self.user = user
        self.value: int | None = None

    def __call__(self) -> int:
        if self.value is None:
            self.value = todo.count(self.user)
        return self.value


def navigation(request: HttpRequest) -> dict:
    """What the header needs: the section the page belongs to, whether to show Review
    (steering group) and Admin (staff who may enter the admin and hold a permission there:
    ``is_staff`` alone shows nothing), and the count of what waits for the person.

    A cached page keeps the header it was drawn with: pages of signed-in people depend on
    every area for this count (core.pagecache.SIGNED_IN_AREAS), and are kept per person.
    """
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    show_review = signed_in and can_review_nominations(user)
    path = getattr(request, "path", "")
    return {
        # The section of the main navigation the page belongs to (base.html marks it).
        "nav_section": next((s for s in NAV_SECTIONS if path.startswith(s)), ""),
        "nav_show_review": show_review,
        "nav_show_admin": bool(user and can_use_admin(user)),
        # A callable: the template calls it once ({% with %}), and only for signed-in people.
        "todo_count": _TodoCount(user) if signed_in else 0,
        "demo_password": settings.DEMO_PASSWORD if settings.DEBUG else None,
    }
