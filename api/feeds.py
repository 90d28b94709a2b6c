"""The feeds people subscribe to: Atom feeds of briefings (all groups and per group), of a
consortium's progress reports and of iDeas status changes, and the iCalendar feed of the
upcoming outreach meetings (all, or one region's). Each page they follow links to its feed
with ``<link rel="alternate">``.

Like the API, they show what a visitor sees (api.http.open_data reads every request as an
anonymous one), through the pages' own selectors and permission helpers.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consortia import permissions as consortia_permissions
from consortia import selectors as consortia_selectors
from contributors import permissions as contributors_permissions
from contributors import selectors as contributors_selectors
from core.markdown import render_markdown
from core.regions import Region
from events import calendar as events_calendar
from events import selectors as events_selectors
from forums import permissions as forums_permissions
from forums import selectors as forums_selectors

ANONYMOUS = AnonymousUser()
ITEMS = 30
CALENDAR_MEETINGS = 200


class BriefingFeed(Feed):
    """Published briefings, newest first: every group's, or one group's (``slug``)."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str | None = None):
        return contributors_permissions.get_group(slug) if slug else None

    def title(self, group) -> str:
        if group is None:
            return _("Briefings of the technical groups · ORCID Community Portal")
        return _("Briefings of %(group)s · ORCID Community Portal") % {"group": group.name}

    def link(self, group) -> str:
        if group is None:
            return reverse("contributors:group_list")
        return reverse("contributors:briefing_list", args=[group.slug])

    def items(self, group):
        if group is None:
            briefings = contributors_selectors.all_published_briefings()
        else:
            briefings = contributors_selectors.published_briefings(group).select_related("group")
        return briefings[:ITEMS]

    def item_title(self, briefing) -> str:
        return briefing.title

    def item_description(self, briefing) -> str:
        return briefing.body_html

    def item_author_name(self, briefing) -> str:
        return briefing.author.display_name if briefing.author else ""

    def item_pubdate(self, briefing):
        return briefing.published_at

    def item_updateddate(self, briefing):
        return briefing.published_at


class ReportFeed(Feed):
    """A verified consortium's progress reports, newest first."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str):
        return consortia_permissions.get_visible_consortium(ANONYMOUS, slug)

    def title(self, consortium) -> str:
        return _("Progress reports of %(consortium)s · ORCID Community Portal") % {
            "consortium": consortium.name
        }

    def link(self, consortium) -> str:
        return consortium.get_absolute_url()

    def items(self, consortium):
        return consortia_selectors.public_reports(consortium, limit=ITEMS)

    def item_title(self, report) -> str:
        return report.title

    def item_description(self, report) -> str:
        return render_markdown(report.body)

    def item_link(self, report) -> str:
        return reverse("consortia:report", args=[report.consortium.slug, report.pk])

    def item_author_name(self, report) -> str:
        return report.published_by.display_name if report.published_by else ""

    def item_pubdate(self, report):
        return report.published_at


class IdeaStatusFeed(Feed):
    """Status changes of the iDeas forum's ideas, newest first."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest):
        forum = forums_selectors.ideas_forum()
        if forum is None or not forums_permissions.can_see_forum(ANONYMOUS, forum):
            raise Http404("No iDeas forum.")
        return forum

    def title(self, forum) -> str:
        return _("iDeas status changes · ORCID Community Portal")

    def link(self, forum) -> str:
        return reverse("forums:ideas")

    def items(self, forum):
        return forums_selectors.idea_status_changes(forum, limit=ITEMS)

    def item_title(self, change) -> str:
        return _("%(idea)s: %(status)s") % {
            "idea": change.idea.title,
            "status": change.get_new_status_display(),
        }

    def item_description(self, change) -> str:
        return render_markdown(change.note)

    def item_link(self, change) -> str:
        return change.idea.get_absolute_url()

    def item_guid(self, change) -> str:
        return f"idea-status-{change.pk}"

    def item_author_name(self, change) -> str:
        return change.changed_by.display_name if change.changed_by else ""

    def item_pubdate(self, change):
        return change.created_at


@require_GET
def meeting_calendar(request: HttpRequest) -> HttpResponse:
    """The upcoming outreach meetings as an iCalendar feed; ``?region=`` for one region."""
    region = request.GET.get("region", "")
    if region and region not in Region.values:
        return HttpResponse(_("Unknown region."), status=400, content_type="text/plain")
    meetings = events_selectors.meetings(region=region)[:CALENDAR_MEETINGS]
    if region:
        name = _("ORCID outreach meetings: %(region)s") % {"region": Region(region).label}
    else:
        name = _("ORCID outreach meetings")
    body = events_calendar.meetings_ics(meetings, name=name)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
