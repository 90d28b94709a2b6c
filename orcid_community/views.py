from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.pagecache import cached_page
from events import selectors as event_selectors
from forums import selectors as forum_selectors
from forums.models import Forum

HOME_MEETINGS = 3
HOME_TOPICS = 5


def _latest_api_user_topics() -> list:
    """The latest discussions of the ORCID API Users list, through the forums' selectors.

    The list is a public forum, so it is looked up as an anonymous visitor sees it: the
    same few queries whoever is signed in.
    """
    forum = next(
        (f for f in forum_selectors.forum_index(AnonymousUser()) if f.kind == Forum.Kind.API_USERS),
        None,
    )
    if forum is None:
        return []
    return list(forum_selectors.forum_topics(forum).object_list[:HOME_TOPICS])


@cached_page("events", "forums")
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "next_meetings": event_selectors.next_meetings(limit=HOME_MEETINGS),
        "api_topics": _latest_api_user_topics(),
    }
    return render(request, "core/home.html", context)
