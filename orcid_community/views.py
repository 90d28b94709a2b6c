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
