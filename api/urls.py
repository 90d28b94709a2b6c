"""The open data addresses: the API under /api/v1/ and the feeds beside the pages they
follow. Every one is wrapped by api.http.open_data (anonymous, rate-limited, CORS, ETag)."""

from django.urls import URLPattern, path

from api import feeds
from api.http import open_data
from api.v1 import api


def _open(patterns: list) -> list[URLPattern]:
    return [URLPattern(p.pattern, open_data(p.callback), p.default_args, p.name) for p in patterns]


_api_patterns, _app_name, _namespace = api.urls
api_urls = (_open(_api_patterns), _app_name)

feed_urls = (
    _open(
        [
            path("events/calendar.ics", feeds.meeting_calendar, name="calendar"),
            path("groups/briefings.atom", feeds.BriefingFeed(), name="briefings"),
            path("groups/<slug:slug>/briefings.atom", feeds.BriefingFeed(), name="group_briefings"),
            path("consortia/<slug:slug>/reports.atom", feeds.ReportFeed(), name="reports"),
            path("forums/ideas/status.atom", feeds.IdeaStatusFeed(), name="idea_status"),
        ]
    ),
    "feeds",
)
