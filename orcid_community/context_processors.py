from django.conf import settings
from django.http import HttpRequest

from accounts.staff import can_use_admin
from contributors.permissions import can_review_nominations

NAV_SECTIONS = ("/consortia/", "/contributors/", "/forums/", "/review/")


def navigation(request: HttpRequest) -> dict:
    """What the header needs: whether to show Review (steering group) and Admin (staff who
    may enter the admin and hold a permission there: ``is_staff`` alone shows nothing)."""
    user = getattr(request, "user", None)
    show_review = bool(user and user.is_authenticated and can_review_nominations(user))
    path = getattr(request, "path", "")
    return {
        # The section of the main navigation the page belongs to (base.html marks it).
        "nav_section": next((s for s in NAV_SECTIONS if path.startswith(s)), ""),
        "nav_show_review": show_review,
        "nav_show_admin": bool(user and can_use_admin(user)),
        "demo_password": settings.DEMO_PASSWORD if settings.DEBUG else None,
    }
