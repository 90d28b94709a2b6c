import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.pagecache import cached_page
from events import selectors as event_selectors
from forums import selectors as forum_selectors
from forums.models import Forum
from orcid_community import todo

HOME_MEETINGS = 3
HOME_TOPICS = 5


def _latest_api_user_topics() -> list:
    """The latest discussions of the ORCID API Users list (the latest posts first, pinned
    or not), through the forums' selectors.

    The list is a public forum, so it is looked up as an anonymous visitor sees it: the
    same few queries whoever is signed in.
    """
    forum = next(
        (f for f in forum_selectors.forum_index(AnonymousUser()) if f.kind == Forum.Kind.API_USERS),
        None,
    )
    if forum is None:
        return []
    return forum_selectors.latest_topics(forum, limit=HOME_TOPICS)


# A signed-in person's copy also shows their to-do list: it depends on every area, as all
# their pages do (core.pagecache.SIGNED_IN_AREAS).
@cached_page("events", "forums")
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "next_meetings": event_selectors.next_meetings(limit=HOME_MEETINGS),
        "api_topics": _latest_api_user_topics(),
        "todo": todo.for_person(request.user) if request.user.is_authenticated else None,
    }
    return render(request, "core/home.html", context)


@require_GET
@login_required
def todo_page(request: HttpRequest) -> HttpResponse:
    """What waits for the signed-in person, each entry linking to where it is done."""
    return render(request, "todo.html", {"todo": todo.for_person(request.user)})


# --- What the portal promises in public (footer, sign-up) ----------------------------------
# Plain pages: no query of their own and no cache (the header's person comes from the
# session). The periods they state are the settings the purge obeys, read here.

# When the accessibility statement was last checked against the pages (change it with them).
ACCESSIBILITY_REVIEWED = datetime.date(2026, 12, 7)


def _retention_days() -> dict[str, int]:
    """The retention periods the privacy notice states, in days, from the settings the
    scheduled purge reads (README, "Configuration"), so the notice says what is done."""
    return {
        "deliveries": settings.RETENTION_DELIVERY_DAYS,
        "signature_ips": settings.RETENTION_IP_ADDRESS_DAYS,
        "sessions": settings.SESSION_COOKIE_AGE // 86400,
    }


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    context = {
        "retention": _retention_days(),
        "export_link_hours": settings.DATA_EXPORT_LINK_HOURS,
        "contact_email": settings.CONTACT_EMAIL,
        "cookies": {
            "session": settings.SESSION_COOKIE_NAME,
            "csrf": settings.CSRF_COOKIE_NAME,
            "language": settings.LANGUAGE_COOKIE_NAME,
        },
    }
    return render(request, "core/privacy.html", context)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    context = {"contact_email": settings.CONTACT_EMAIL, "reviewed": ACCESSIBILITY_REVIEWED}
    return render(request, "core/accessibility.html", context)


@require_GET
def conduct(request: HttpRequest) -> HttpResponse:
    return render(request, "core/conduct.html", {"contact_email": settings.CONTACT_EMAIL})
