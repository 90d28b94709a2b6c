"""What the API answers: one schema per kind of item, built from the selectors' objects.

Fields are what the public pages show. Codes (``status``, ``kind``, ``level``) are the
portal's stable values, not their translated labels; every ``url`` is the item's page.
"""

from datetime import date, datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class Paged(Schema):
    count: int = Field(description="Items in the whole list (with the filters).")
    next: str | None = Field(description="Address of the next page, or null on the last.")


# --- consortia -----------------------------------------------------------------------------


class OrganizationRef(Schema):
    id: int
    name: str
    ror_id: str = Field(description="ROR ID without the https://ror.org/ prefix, or empty.")
    country: str = Field(description="ISO 3166-1 alpha-2 code.")
    org_type: str


class ConsortiumItem(Schema):
    slug: str
    name: str
    kind: str
    region: str
    status: str
    below_minimum: bool = Field(description="Fewer not-for-profit members than an agreement needs.")
    lead_organization: OrganizationRef
    countries: list[str]
    member_count: int
    url: str


class ConsortiumContactItem(Schema):
    name: str
    role: str
    email: str | None = Field(description="Only when the contact chose to show it.")


class ReportItem(Schema):
    id: int
    title: str
    published_at: datetime
    url: str


class ConsortiumDetail(ConsortiumItem):
    description: str
    website: str
    created_at: datetime
    agreement_finalized_at: datetime | None
    members: list[OrganizationRef]
    contacts: list[ConsortiumContactItem]
    reports: list[ReportItem]


class ConsortiumList(Paged):
    results: list[ConsortiumItem]


class OrganizationItem(OrganizationRef):
    website: str


class OrganizationConsortium(Schema):
    slug: str
    name: str
    url: str


class OrganizationDetail(OrganizationItem):
    consortia: list[OrganizationConsortium]


class OrganizationList(Paged):
    results: list[OrganizationItem]


# --- contributors and groups ----------------------------------------------------------------


class ContributorItem(Schema):
    name: str
    orcid_id: str = Field(description="The verified ORCID iD, or empty.")
    public_id: UUID
    affiliation: str
    level: str = Field(description="contributor or ost.")
    verified_contributions: int
    url: str


class ContributionItem(Schema):
    kind: str
    title: str
    link: str
    date: date


class GroupRole(Schema):
    group: str = Field(description="The group's slug.")
    role: str
    term_start: date
    term_end: date


class ContributorDetail(ContributorItem):
    level_since: datetime | None
    contributions: list[ContributionItem] = Field(description="Verified contributions.")
    groups: list[GroupRole] = Field(description="Current terms.")


class ContributorList(Paged):
    results: list[ContributorItem]


class Term(Schema):
    name: str
    role: str
    term_start: date
    term_end: date
    profile: str | None = Field(description="The member's profile page, when it is public.")


class GroupItem(Schema):
    slug: str
    name: str
    kind: str
    starts_on: date | None
    ends_on: date | None
    url: str


class GroupDetail(GroupItem):
    purpose: str
    deliverables: str
    members: list[Term] = Field(description="Current terms.")


class GroupList(Paged):
    results: list[GroupItem]


# --- events ------------------------------------------------------------------------------------


class MeetingItem(Schema):
    slug: str
    title: str
    region: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    place: str
    online_url: str
    url: str
    calendar: str = Field(description="The meeting's iCalendar file.")


class SessionItem(Schema):
    id: int
    title: str
    abstract: str
    starts_at: datetime | None
    ends_at: datetime | None
    room: str
    speakers: list[str]
    slides_url: str
    url: str


class MeetingDetail(MeetingItem):
    description: str
    capacity: int
    seats_left: int
    programme: list[SessionItem]


class MeetingList(Paged):
    results: list[MeetingItem]


# --- iDeas and briefings ----------------------------------------------------------------------


class IdeaItem(Schema):
    id: int
    title: str
    status: str = Field(description="Empty while no status has been set.")
    vote_count: int
    author: str
    created_at: datetime
    url: str


class IdeaDetail(IdeaItem):
    status_note: str
    merged_into: int | None


class IdeaList(Paged):
    results: list[IdeaItem]


class BriefingItem(Schema):
    id: int
    title: str
    group: str = Field(description="The group's slug.")
    author: str
    published_at: datetime
    url: str


class BriefingDetail(BriefingItem):
    body_html: str


class BriefingList(Paged):
    results: list[BriefingItem]


class Problem(Schema):
    detail: str
