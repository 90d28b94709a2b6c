"""The public read API, version 1: what the public pages show, as JSON.

Every endpoint reads through the selectors and permission helpers of the pages it mirrors,
as an anonymous visitor (api.http.open_data): an unverified consortium, a private forum or
a contact's address not chosen public is no more in the API than on the pages.
"""

# No `from __future__ import annotations`: django-ninja reads the parameters' types.

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Query, Schema
from ninja.openapi.docs import Swagger
from pydantic import Field

from api import schemas
from api.http import PAGE_SIZE, cached_json, paginated
from consortia import permissions as consortia_permissions
from consortia import selectors as consortia_selectors
from consortia.filters import ConsortiumFilter
from contributors import permissions as contributors_permissions
from contributors import selectors as contributors_selectors
from contributors.filters import ContributorFilter
from events import selectors as events_selectors
from forums import permissions as forums_permissions
from forums import selectors as forums_selectors


class Docs(Swagger):
    """Swagger UI from django-ninja's own static files (no CDN), in a page of ours: a
    translated title, and no inline script or style (the site's CSP)."""

    template = "api/docs.html"


api = NinjaAPI(
    title="ORCID Community Portal API",
    version="1",
    description=(
        "Read-only open data of the ORCID Community Portal: what its public pages show. "
        "Lists answer `{count, next, results}`; `page` and `page_size` (at most 100) page "
        "through them. Answers carry an `ETag` (a `304` to a client that "
        "has it), are open to any origin (CORS) and rate-limited per client address "
        "(`429` with `Retry-After`)."
    ),
    urls_namespace="api",
    docs=Docs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

ANONYMOUS = AnonymousUser()
PAGING = ("page", "page_size")


class Paging(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(PAGE_SIZE, ge=1, le=100, description="Items per page (at most 100).")


def _bad_filters(errors) -> JsonResponse:
    return JsonResponse(
        {"detail": "Invalid filters.", "errors": errors.get_json_data()}, status=400
    )


class Index(Schema):
    schema_: str = Field(alias="schema", description="This API's OpenAPI 3 schema.")
    docs: str
    consortia: str
    organizations: str
    contributors: str
    groups: str
    events: str
    ideas: str
    briefings: str


LISTS = ("consortia", "organizations", "contributors", "groups", "events", "ideas", "briefings")


@api.get("/", response=Index, url_name="index", tags=["index"], by_alias=True)
def index(request: HttpRequest):
    """Where everything is."""
    return {
        "schema": reverse("api:openapi-json"),
        "docs": reverse("api:openapi-view"),
        **{name: reverse(f"api:{name}") for name in LISTS},
    }


# --- consortia ------------------------------------------------------------------------------


def _organization(org) -> dict:
    return {
        "id": org.pk,
        "name": org.name,
        "ror_id": org.ror_id,
        "country": str(org.country),
        "org_type": org.org_type,
    }


def _consortium(consortium) -> dict:
    return {
        "slug": consortium.slug,
        "name": consortium.name,
        "kind": consortium.kind,
        "region": consortium.region,
        "status": consortium.status,
        "below_minimum": consortium.below_minimum,
        "lead_organization": _organization(consortium.lead_organization),
        "countries": [str(link.country) for link in consortium.country_links.all()],
        "member_count": getattr(consortium, "member_count", 0),
        "url": consortium.get_absolute_url(),
    }


class ConsortiumFilters(Paging):
    q: str = Field("", description="Name of the consortium, its lead organization or a member.")
    region: str = Field("", description="americas, emea or apac.")
    country: str = Field("", description="ISO 3166-1 alpha-2 code of one of its countries.")
    kind: str = Field("", description="national or regional.")
    status: str = Field("", description="forming, active or inactive.")
    sort: str = Field(
        "", description="name, members or created; a leading - reverses (default: name)."
    )


CONSORTIUM_QUERY = (*ConsortiumFilter.base_filters, *PAGING)


@api.get(
    "/consortia/",
    response={200: schemas.ConsortiumList, 400: schemas.Problem},
    url_name="consortia",
    tags=["consortia"],
)
@cached_json(schemas.ConsortiumList, "consortia", query=CONSORTIUM_QUERY)
def consortium_list(request: HttpRequest, filters: Query[ConsortiumFilters]):
    """Verified consortia, as in the directory (same filters)."""
    filterset = ConsortiumFilter(
        request.GET or None, queryset=consortia_selectors.directory_queryset()
    )
    if filterset.is_bound and not filterset.is_valid():
        return _bad_filters(filterset.errors)
    return paginated(
        request, filterset.qs, _consortium, page=filters.page, page_size=filters.page_size
    )


@api.get(
    "/consortia/{slug}/",
    response={200: schemas.ConsortiumDetail, 404: schemas.Problem},
    url_name="consortium",
    tags=["consortia"],
)
@cached_json(schemas.ConsortiumDetail, "consortia")
def consortium_detail(request: HttpRequest, slug: str):
    """A verified consortium with its members, contacts and latest progress reports."""
    consortia_permissions.get_visible_consortium(ANONYMOUS, slug)
    page = consortia_selectors.consortium_page(slug=slug, user=ANONYMOUS)
    consortium = page.consortium
    consortium.member_count = len(page.members)
    return {
        **_consortium(consortium),
        "description": consortium.description,
        "website": consortium.website,
        "created_at": consortium.created_at,
        "agreement_finalized_at": consortium.agreement_finalized_at,
        "members": [_organization(m.organization) for m in page.members],
        # As the page lists them: the lead contacts, not staff; an address only when the
        # contact chose to show it.
        "contacts": [
            {
                "name": contact.user.display_name,
                "role": contact.role,
                "email": contact.user.email if contact.show_email else None,
            }
            for contact in page.contacts
            if contact.role != "staff"
        ],
        "reports": [
            {
                "id": report.pk,
                "title": report.title,
                "published_at": report.published_at,
                "url": reverse("consortia:report", args=[consortium.slug, report.pk]),
            }
            for report in page.reports
        ],
    }


# --- organizations ---------------------------------------------------------------------------


def _organization_item(org) -> dict:
    return {**_organization(org), "website": org.website}


@api.get(
    "/organizations/",
    response=schemas.OrganizationList,
    url_name="organizations",
    tags=["consortia"],
)
@cached_json(schemas.OrganizationList, "consortia", query=PAGING)
def organization_list(request: HttpRequest, paging: Query[Paging]):
    """Verified organizations that lead or belong to a verified consortium."""
    return paginated(
        request,
        consortia_selectors.public_organizations(),
        _organization_item,
        page=paging.page,
        page_size=paging.page_size,
    )


@api.get(
    "/organizations/{int:organization_id}/",
    response={200: schemas.OrganizationDetail, 404: schemas.Problem},
    url_name="organization",
    tags=["consortia"],
)
@cached_json(schemas.OrganizationDetail, "consortia")
def organization_detail(request: HttpRequest, organization_id: int):
    """A public organization and the verified consortia it is an active member of."""
    org = consortia_selectors.public_organization(organization_id)
    if org is None:
        raise Http404(_("No such organization."))
    return {
        **_organization_item(org),
        "consortia": [
            {
                "slug": m.consortium.slug,
                "name": m.consortium.name,
                "url": m.consortium.get_absolute_url(),
            }
            for m in org.public_memberships
        ],
    }


# --- contributors ----------------------------------------------------------------------------


def _contributor(person, level: str, verified: int) -> dict:
    return {
        "name": person.display_name,
        "orcid_id": person.orcid_id,
        "public_id": person.public_id,
        "affiliation": person.affiliation,
        "level": level,
        "verified_contributions": verified,
        "url": person.get_absolute_url(),
    }


class ContributorFilters(Paging):
    level: str = Field("", description="contributor or ost.")
    kind: str = Field(
        "",
        description="Has a verified contribution of this kind: forum, patch, documentation, "
        "help or talk.",
    )


@api.get(
    "/contributors/",
    response={200: schemas.ContributorList, 400: schemas.Problem},
    url_name="contributors",
    tags=["contributors"],
)
@cached_json(
    schemas.ContributorList,
    "contributors",
    query=(*ContributorFilter.base_filters, *PAGING),
)
def contributor_list(request: HttpRequest, filters: Query[ContributorFilters]):
    """Technical contributors and OST members, as in the directory (same filters)."""
    filterset = ContributorFilter(
        request.GET or None, queryset=contributors_selectors.contributor_directory()
    )
    if filterset.is_bound and not filterset.is_valid():
        return _bad_filters(filterset.errors)
    return paginated(
        request,
        filterset.qs,
        lambda profile: _contributor(profile.user, profile.level, profile.verified_count),
        page=filters.page,
        page_size=filters.page_size,
    )


@api.get(
    "/contributors/{key}/",
    response={200: schemas.ContributorDetail, 404: schemas.Problem},
    url_name="contributor",
    tags=["contributors"],
)
@cached_json(schemas.ContributorDetail, "contributors", "forums")
def contributor_detail(request: HttpRequest, key: str):
    """A contributor by verified ORCID iD (as their page's address), or by public id for
    one without a verified iD."""
    try:
        lookup = {"public_id": UUID(key)}
    except ValueError:
        lookup = {"orcid_id": key}
    person = contributors_permissions.get_person_for_profile(ANONYMOUS, **lookup)
    data = contributors_selectors.profile_page(person)
    contributions = [c for c in data["contributions"] if c.is_verified]
    profile = data["profile"]
    return {
        **_contributor(person, data["level"], len(contributions)),
        "level_since": profile.level_since if profile else None,
        "contributions": [
            {"kind": c.kind, "title": c.title, "link": c.link, "date": c.date}
            for c in contributions
        ],
        "groups": [
            {
                "group": m.group.slug,
                "role": m.role,
                "term_start": m.term_start,
                "term_end": m.term_end,
            }
            for m in data["memberships"]
        ],
    }


# --- groups ------------------------------------------------------------------------------------


def _group(group) -> dict:
    return {
        "slug": group.slug,
        "name": group.name,
        "kind": group.kind,
        "starts_on": group.starts_on,
        "ends_on": group.ends_on,
        "url": group.get_absolute_url(),
    }


@api.get("/groups/", response=schemas.GroupList, url_name="groups", tags=["contributors"])
@cached_json(schemas.GroupList, "contributors", query=PAGING)
def group_list(request: HttpRequest, paging: Query[Paging]):
    """The technical steering group and the working groups."""
    return paginated(
        request,
        contributors_selectors.groups_overview(),
        _group,
        page=paging.page,
        page_size=paging.page_size,
    )


@api.get(
    "/groups/{slug}/",
    response={200: schemas.GroupDetail, 404: schemas.Problem},
    url_name="group",
    tags=["contributors"],
)
@cached_json(schemas.GroupDetail, "contributors")
def group_detail(request: HttpRequest, slug: str):
    """A group with its current terms."""
    group = contributors_selectors.group_detail(slug)
    if group is None:
        raise Http404(_("No such group."))
    return {
        **_group(group),
        "purpose": group.purpose,
        "deliverables": group.deliverables,
        "members": [
            {
                "name": m.user.display_name,
                "role": m.role,
                "term_start": m.term_start,
                "term_end": m.term_end,
                "profile": m.profile_url or None,
            }
            for m in group.current_memberships
        ],
    }


# --- events ------------------------------------------------------------------------------------


def _meeting(meeting) -> dict:
    return {
        "slug": meeting.slug,
        "title": meeting.title,
        "region": meeting.region,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "time_zone": meeting.time_zone,
        "place": meeting.place,
        "online_url": meeting.online_url,
        "url": meeting.get_absolute_url(),
        "calendar": reverse("events:calendar", args=[meeting.slug]),
    }


class MeetingFilters(Paging):
    region: str = Field("", description="americas, emea or apac.")
    past: bool = Field(False, description="Past meetings (latest first) instead of upcoming.")


@api.get("/events/", response=schemas.MeetingList, url_name="events", tags=["events"])
@cached_json(schemas.MeetingList, "events", query=("region", "past", *PAGING))
def meeting_list(request: HttpRequest, filters: Query[MeetingFilters]):
    """Outreach meetings: upcoming ones, soonest first (``past=true``: past ones)."""
    return paginated(
        request,
        events_selectors.meetings(region=filters.region, upcoming=not filters.past),
        _meeting,
        page=filters.page,
        page_size=filters.page_size,
    )


@api.get(
    "/events/{slug}/",
    response={200: schemas.MeetingDetail, 404: schemas.Problem},
    url_name="event",
    tags=["events"],
)
@cached_json(schemas.MeetingDetail, "events")
def meeting_detail(request: HttpRequest, slug: str):
    """A meeting with its programme."""
    page = events_selectors.meeting_page(slug=slug, user=ANONYMOUS)
    meeting = page.meeting
    return {
        **_meeting(meeting),
        "description": meeting.description,
        "capacity": meeting.capacity,
        "seats_left": page.seats_left,
        "programme": [
            {
                "id": session.pk,
                "title": session.title,
                "abstract": session.abstract,
                "starts_at": session.starts_at,
                "ends_at": session.ends_at,
                "room": session.room,
                "speakers": [s.user.display_name for s in session.speakers.all()],
                "slides_url": session.slides_url,
                "url": session.get_absolute_url(),
            }
            for session in page.programme
        ],
    }


# --- iDeas -------------------------------------------------------------------------------------


def _ideas_forum():
    """The iDeas forum, when a visitor may see it; 404 otherwise."""
    forum = forums_selectors.ideas_forum()
    if forum is None or not forums_permissions.can_see_forum(ANONYMOUS, forum):
        raise Http404(_("No iDeas forum."))
    return forum


def _idea(idea) -> dict:
    return {
        "id": idea.pk,
        "title": idea.title,
        "status": idea.status,
        "vote_count": idea.vote_count,
        "author": idea.author.display_name if idea.author else "",
        "created_at": idea.created_at,
        "url": idea.get_absolute_url(),
    }


class IdeaFilters(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1 (30 ideas a page).")
    status: str = Field(
        "",
        description="new, under_review, planned, in_progress, done or declined.",
    )
    sort: str = Field("votes", description="votes, newest or status.")


@api.get("/ideas/", response=schemas.IdeaList, url_name="ideas", tags=["forums"])
@cached_json(schemas.IdeaList, "forums", "contributors", query=("sort", "status", "page"))
def idea_list(request: HttpRequest, filters: Query[IdeaFilters]):
    """The iDeas forum's ideas with their status and votes, as its page sorts them."""
    forum = _ideas_forum()
    sort = filters.sort if filters.sort in forums_selectors.IDEA_SORTS else "votes"
    page = forums_selectors.ideas_list(
        forum, ANONYMOUS, sort=sort, status=filters.status, page=filters.page
    )
    next_url = None
    if page.number == filters.page and page.has_next():
        query = request.GET.copy()
        query["page"] = str(page.number + 1)
        next_url = f"{request.path}?{query.urlencode()}"
    in_range = page.number == filters.page
    return {
        "count": page.paginator.count,
        "next": next_url,
        "results": [_idea(idea) for idea in page.object_list] if in_range else [],
    }


@api.get(
    "/ideas/{int:idea_id}/",
    response={200: schemas.IdeaDetail, 404: schemas.Problem},
    url_name="idea",
    tags=["forums"],
)
@cached_json(schemas.IdeaDetail, "forums", "contributors")
def idea_detail(request: HttpRequest, idea_id: int):
    """An idea with its status, the note that came with it, and its votes."""
    idea = forums_selectors.public_idea(_ideas_forum(), idea_id)
    if idea is None:
        raise Http404(_("No such idea."))
    return {
        **_idea(idea),
        "status_note": idea.status_note,
        "merged_into": idea.merged_into_id,
    }


# --- briefings ---------------------------------------------------------------------------------


def _briefing(briefing) -> dict:
    return {
        "id": briefing.pk,
        "title": briefing.title,
        "group": briefing.group.slug,
        "author": briefing.author.display_name if briefing.author else "",
        "published_at": briefing.published_at,
        "url": briefing.get_absolute_url(),
    }


@api.get("/briefings/", response=schemas.BriefingList, url_name="briefings", tags=["contributors"])
@cached_json(schemas.BriefingList, "contributors", query=PAGING)
def briefing_list(request: HttpRequest, paging: Query[Paging]):
    """Every group's published briefings, newest first."""
    return paginated(
        request,
        contributors_selectors.all_published_briefings(),
        _briefing,
        page=paging.page,
        page_size=paging.page_size,
    )


@api.get(
    "/briefings/{int:briefing_id}/",
    response={200: schemas.BriefingDetail, 404: schemas.Problem},
    url_name="briefing",
    tags=["contributors"],
)
@cached_json(schemas.BriefingDetail, "contributors")
def briefing_detail(request: HttpRequest, briefing_id: int):
    """A published briefing with its text (HTML, as on its page)."""
    briefing = contributors_selectors.published_briefing(briefing_id)
    if briefing is None:
        raise Http404(_("No such briefing."))
    return {**_briefing(briefing), "body_html": briefing.body_html}
