"""Read queries of the consortia pages: a fixed number of queries whatever the data size."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django_countries import countries

from consortia import permissions
from consortia.models import (
    ChecklistEntry,
    ChecklistItem,
    Consortium,
    ConsortiumContact,
    ConsortiumCountry,
    ContactInvitation,
    ContactRequest,
    Document,
    Membership,
    Organization,
    OrganizationContact,
    ProgressReport,
    Verification,
)

WORLD_MAP = Path(__file__).resolve().parent / "data" / "world-110m.json"
LATEST_REPORTS = 5


def directory_queryset() -> QuerySet[Consortium]:
    """Verified consortia with what a directory row shows: lead, countries, member count.

    The same for everyone (the directory is cached for all viewers): a consortium waiting
    for verification is on its people's dashboard, never here.
    """
    return (
        Consortium.objects.filter(verification=Verification.VERIFIED)
        .select_related("lead_organization")
        .with_member_count()
        .prefetch_related(
            Prefetch("country_links", queryset=ConsortiumCountry.objects.order_by("country"))
        )
        # Explicit: Meta.ordering does not apply to a GROUP BY query.
        .order_by("name", "pk")
    )


def search_consortia(queryset: QuerySet[Consortium], text: str) -> QuerySet[Consortium]:
    """Name, lead organization or the name of an active member organization."""
    # An uncorrelated IN: PostgreSQL matches the organizations once and hashes the
    # consortia they belong to, instead of probing every consortium's members in turn.
    members = Membership.objects.filter(
        state=Membership.State.ACTIVE, organization__name__icontains=text
    ).values("consortium_id")
    return queryset.filter(
        Q(name__icontains=text) | Q(lead_organization__name__icontains=text) | Q(pk__in=members)
    )


def filter_by_country(queryset: QuerySet[Consortium], code: str) -> QuerySet[Consortium]:
    return queryset.filter(
        Exists(ConsortiumCountry.objects.filter(consortium=OuterRef("pk"), country=code))
    )


# --- The world map -------------------------------------------------------------------------


@dataclass(frozen=True)
class MapCountry:
    code: str
    name: str
    path: str
    consortia: int = 0


@dataclass
class WorldMap:
    """The map's data: consortia per country. The shapes are built only when drawn."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return _geometry()["width"]

    @property
    def height(self) -> int:
        return _geometry()["height"]

    @cached_property
    def countries(self) -> list[MapCountry]:
        return [
            MapCountry(
                code=code,
                name=str(countries.name(code) or code),
                path=path,
                consortia=self.counts.get(code, 0),
            )
            for code, path in _geometry()["countries"].items()
        ]


@cache
def _geometry() -> dict:
    """Country outlines shipped with the project (see build_world_map)."""
    return json.loads(WORLD_MAP.read_text())


def world_map() -> WorldMap:
    """The world with each country's number of current (forming or active) verified
    consortia."""
    counts = dict(
        ConsortiumCountry.objects.filter(consortium__verification=Verification.VERIFIED)
        .exclude(consortium__status=Consortium.Status.INACTIVE)
        .values_list("country")
        .annotate(n=Count("consortium", distinct=True))
        .values_list("country", "n")
    )
    return WorldMap(counts={str(code): n for code, n in counts.items()})


# --- The consortium page -------------------------------------------------------------------


@dataclass
class ConsortiumPage:
    consortium: Consortium
    members: list[Membership]
    contacts: list[ConsortiumContact]
    documents: list[Document]
    reports: list[ProgressReport]
    can_manage: bool
    pending_organizations: list[Organization]
    is_lead_contact: bool = False


def consortium_page(*, slug: str, user) -> ConsortiumPage | None:
    consortium = (
        Consortium.objects.select_related("lead_organization")
        .prefetch_related(
            Prefetch("country_links", queryset=ConsortiumCountry.objects.order_by("country"))
        )
        .filter(slug=slug)
        .first()
    )
    if consortium is None:
        return None
    members = list(
        Membership.objects.active()
        .filter(consortium=consortium)
        .select_related("organization")
        .order_by("organization__name")
    )
    contacts = list(
        ConsortiumContact.objects.filter(consortium=consortium)
        .select_related("user")
        .order_by("role", "user__name")
    )
    lead_contact_ids = {c.user_id for c in contacts}
    can_manage = permissions.can_manage_consortium(
        user, consortium, lead_contact_ids=lead_contact_ids
    )
    member_organization_ids = {m.organization_id for m in members}
    see_member_documents = can_manage or permissions.is_member_contact(
        user, consortium, member_organization_ids=member_organization_ids
    )
    sees_every_email = permissions.can_see_contact_emails(
        user, consortium, sees_member_documents=see_member_documents
    )
    for contact in contacts:
        # The address this viewer may see ("" for none): the template shows it as is.
        contact.visible_email = (
            contact.user.email if (contact.show_email or sees_every_email) else ""
        )
    documents = Document.objects.filter(consortium=consortium)
    if not see_member_documents:
        documents = documents.filter(visibility=Document.Visibility.PUBLIC)
    pending: list[Organization] = []
    if user.is_authenticated:
        pending = list(
            Organization.objects.filter(
                contacts__user=user,
                memberships__consortium=consortium,
                memberships__state=Membership.State.REQUESTED,
            ).distinct()
        )
    return ConsortiumPage(
        consortium=consortium,
        members=members,
        contacts=contacts,
        documents=list(documents),
        reports=list(
            ProgressReport.objects.filter(consortium=consortium)
            .select_related("published_by")
            .order_by("-published_at", "-pk")[:LATEST_REPORTS]
        ),
        can_manage=can_manage,
        pending_organizations=pending,
        is_lead_contact=user.is_authenticated and user.pk in lead_contact_ids,
    )


# --- Open data (the public API and feeds) --------------------------------------------------


def public_organizations() -> QuerySet[Organization]:
    """Organizations the public pages show: verified ones that lead a verified consortium
    or are an active member of one (the consortium page lists them)."""
    in_public_consortium = Membership.objects.filter(
        organization=OuterRef("pk"),
        state=Membership.State.ACTIVE,
        consortium__verification=Verification.VERIFIED,
    )
    leads = Consortium.objects.filter(
        lead_organization=OuterRef("pk"), verification=Verification.VERIFIED
    )
    return (
        Organization.objects.filter(verification=Verification.VERIFIED)
        .filter(Exists(in_public_consortium) | Exists(leads))
        .order_by("name", "pk")
    )


def public_organization(pk: int) -> Organization | None:
    """A public organization with the verified consortia it belongs to (``public_memberships``)."""
    return (
        public_organizations()
        .filter(pk=pk)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.active()
                .filter(consortium__verification=Verification.VERIFIED)
                .select_related("consortium")
                .order_by("consortium__name"),
                to_attr="public_memberships",
            )
        )
        .first()
    )


def public_reports(consortium: Consortium, *, limit: int = 30) -> list[ProgressReport]:
    """A consortium's newest progress reports (its page shows them to everyone who may see
    the consortium)."""
    return list(
        ProgressReport.objects.filter(consortium=consortium)
        .select_related("published_by")
        .order_by("-published_at", "-pk")[:limit]
    )


# --- The manage page -----------------------------------------------------------------------


@dataclass
class ChecklistRow:
    item: ChecklistItem
    entry: ChecklistEntry | None

    @property
    def done(self) -> bool:
        return bool(self.entry and self.entry.done)


@dataclass
class Checklist:
    pre: list[ChecklistRow]
    post: list[ChecklistRow]

    @property
    def rows(self) -> list[ChecklistRow]:
        return self.pre + self.post

    @property
    def done_count(self) -> int:
        return sum(1 for row in self.rows if row.done)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 0


def checklist(consortium: Consortium) -> Checklist:
    entries = {
        entry.item_id: entry
        for entry in ChecklistEntry.objects.filter(consortium=consortium).select_related(
            "done_by", "document"
        )
    }
    pre, post = [], []
    for item in ChecklistItem.objects.filter(is_active=True).order_by("phase", "position", "pk"):
        row = ChecklistRow(item=item, entry=entries.get(item.pk))
        (pre if item.phase == ChecklistItem.Phase.PRE_AGREEMENT else post).append(row)
    return Checklist(pre=pre, post=post)


def pending_requests(consortium: Consortium) -> list[Membership]:
    return list(
        Membership.objects.pending()
        .filter(consortium=consortium)
        .select_related("organization", "requested_by")
        .order_by("created_at")
    )


def members_with_contacts(consortium: Consortium) -> list[Membership]:
    return list(
        Membership.objects.active()
        .filter(consortium=consortium)
        .select_related("organization")
        .prefetch_related(
            Prefetch(
                "organization__contacts",
                queryset=OrganizationContact.objects.select_related("user").order_by(
                    "role", "user__name"
                ),
            )
        )
        .order_by("organization__name")
    )


INVITATIONS_SHOWN = 20


def invitations(consortium: Consortium) -> list[ContactInvitation]:
    """The latest invitations still waiting or expired (withdrawn and accepted ones are
    gone from the list: an accepted one is a lead contact)."""
    now = timezone.now()
    rows = list(
        ContactInvitation.objects.filter(
            consortium=consortium,
            state__in=[ContactInvitation.State.PENDING, ContactInvitation.State.EXPIRED],
        )
        .select_related("invited_by")
        .order_by("-created_at")[:INVITATIONS_SHOWN]
    )
    for invitation in rows:
        invitation.open = invitation.is_open(now)
    return rows


def open_invitation(token: str) -> ContactInvitation | None:
    """The invitation of a link kept in the session, if it can still be accepted."""
    invitation = (
        ContactInvitation.objects.select_related("consortium")
        .filter(token_digest=permissions.invitation_digest(token))
        .first()
    )
    return invitation if invitation and invitation.is_open(timezone.now()) else None


def consortium_documents(consortium: Consortium) -> list[Document]:
    return list(Document.objects.filter(consortium=consortium).select_related("uploaded_by"))


def lead_contacts(consortium: Consortium) -> list[ConsortiumContact]:
    return list(
        ConsortiumContact.objects.filter(consortium=consortium)
        .select_related("user")
        .order_by("role", "user__name", "pk")
    )


MANAGE_REPORTS_SHOWN = 20


def recent_reports(consortium: Consortium) -> list[ProgressReport]:
    return list(
        ProgressReport.objects.filter(consortium=consortium)
        .select_related("published_by")
        .order_by("-published_at", "-pk")[:MANAGE_REPORTS_SHOWN]
    )


@dataclass
class ManageOverview:
    """What the overview of the manage area counts: what waits, and how far things are."""

    pending: int
    members: int
    contacts: int
    open_invitations: int
    documents: int
    latest_report: ProgressReport | None
    checklist: Checklist


def manage_overview(consortium: Consortium) -> ManageOverview:
    # Separate counts: one query joining the four tables would multiply their rows.
    memberships = Membership.objects.filter(consortium=consortium)
    counts = {
        "pending": memberships.filter(state=Membership.State.REQUESTED).count(),
        "members": memberships.filter(state=Membership.State.ACTIVE).count(),
        "contacts": ConsortiumContact.objects.filter(consortium=consortium).count(),
        "documents": Document.objects.filter(consortium=consortium).count(),
    }
    open_invitations = ContactInvitation.objects.filter(
        consortium=consortium,
        state=ContactInvitation.State.PENDING,
        expires_at__gt=timezone.now(),
    ).count()
    latest = (
        ProgressReport.objects.filter(consortium=consortium)
        .order_by("-published_at", "-pk")
        .first()
    )
    return ManageOverview(
        **counts,
        open_invitations=open_invitations,
        latest_report=latest,
        checklist=checklist(consortium),
    )


# --- The dashboard -------------------------------------------------------------------------


@dataclass
class Dashboard:
    organizations: list[Organization]
    memberships: list[Membership]
    led: list[ConsortiumContact]
    contact_requests: list[ContactRequest]
    to_decide: list[ContactRequest]


def dashboard(user) -> Dashboard:
    # Rejected registrations too: the person sees what became of them.
    organizations = list(
        Organization.objects.filter(contacts__user=user).distinct().order_by("name")
    )
    memberships = list(
        Membership.objects.filter(organization__in=[o.pk for o in organizations])
        .select_related("consortium", "organization")
        .order_by("-created_at")
    )
    led = list(
        ConsortiumContact.objects.filter(user=user)
        .select_related("consortium__lead_organization")
        .order_by("consortium__name")
    )
    contact_requests = list(
        ContactRequest.objects.filter(user=user)
        .select_related("organization")
        .order_by("-created_at")
    )
    # Requests to act for an organization the person may answer: its contacts, once staff
    # have verified it (permissions.can_decide_contact_request).
    verified = [o.pk for o in organizations if o.verification == Verification.VERIFIED]
    to_decide = list(
        ContactRequest.objects.filter(organization__in=verified, state=ContactRequest.State.PENDING)
        .exclude(user=user)
        .select_related("organization", "user")
        .order_by("created_at")
    )
    return Dashboard(
        organizations=organizations,
        memberships=memberships,
        led=led,
        contact_requests=contact_requests,
        to_decide=to_decide,
    )


# --- What waits for a person (the to-do page, orcid_community.todo) ----------------------
# Query sets, not lists: the page draws them, the header counts them in one query.


def join_requests_to_decide(user) -> QuerySet[Membership]:
    """Requests to join the consortia ``user`` is a lead contact of (who may answer them:
    permissions.can_manage_consortium), oldest first."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.pending()
        .filter(consortium__contacts__user=user)
        .select_related("consortium", "organization")
        .order_by("created_at", "pk")
    )


def contact_requests_to_decide(user) -> QuerySet[ContactRequest]:
    """Requests to act for the verified organizations ``user`` acts for, which they may
    answer (permissions.can_decide_contact_request), oldest first."""
    if not getattr(user, "is_authenticated", False):
        return ContactRequest.objects.none()
    return (
        ContactRequest.objects.filter(
            state=ContactRequest.State.PENDING,
            organization__verification=Verification.VERIFIED,
            organization__contacts__user=user,
        )
        .exclude(user=user)
        .select_related("organization", "user")
        .order_by("created_at", "pk")
    )


def own_pending_requests(user) -> QuerySet[Membership]:
    """The requests to join a consortium of the organizations ``user`` acts for that wait
    for an answer, oldest first."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.pending()
        .filter(organization__contacts__user=user)
        .select_related("consortium", "organization")
        .order_by("created_at", "pk")
    )


def own_pending_contact_requests(user) -> QuerySet[ContactRequest]:
    """The person's own requests to act for an organization that wait for an answer."""
    if not getattr(user, "is_authenticated", False):
        return ContactRequest.objects.none()
    return (
        ContactRequest.objects.filter(user=user, state=ContactRequest.State.PENDING)
        .select_related("organization")
        .order_by("created_at", "pk")
    )


# --- Registered organizations --------------------------------------------------------------


def organizations_to_ask(text: str) -> QuerySet[Organization]:
    """Verified organizations by name or ROR ID, for someone looking for theirs."""
    queryset = Organization.objects.filter(verification=Verification.VERIFIED).order_by(
        "name", "pk"
    )
    text = text.strip()
    if not text:
        return queryset
    ror = text.lower().removeprefix("https://ror.org/").strip("/")
    return queryset.filter(Q(name__icontains=text) | Q(ror_id=ror))


def person_export(user) -> dict:
    """A person's part of consortia for the export of their data: the consortia they are a
    lead contact of, the organizations they act for, their requests to act for one and the
    invitations sent to their address."""

    def iso(value):
        return value.isoformat() if value is not None else None

    return {
        "consortium_contacts": [
            {
                "consortium": c.consortium.name,
                "role": c.role,
                "show_email": c.show_email,
                "since": iso(c.created_at),
            }
            for c in ConsortiumContact.objects.filter(user=user).select_related("consortium")
        ],
        "organization_contacts": [
            {"organization": c.organization.name, "role": c.role}
            for c in OrganizationContact.objects.filter(user=user).select_related("organization")
        ],
        "contact_requests": [
            {
                "organization": r.organization.name,
                "role": r.role,
                "message": r.message,
                "state": r.state,
                "requested_at": iso(r.created_at),
                "decided_at": iso(r.decided_at),
            }
            for r in ContactRequest.objects.filter(user=user).select_related("organization")
        ],
        "invitations": [
            {
                "consortium": i.consortium.name,
                "email": i.email,
                "role": i.role,
                "state": i.state,
                "sent_at": iso(i.created_at),
            }
            for i in ContactInvitation.objects.filter(
                Q(accepted_by=user) | Q(email__iexact=user.email)
            ).select_related("consortium")
        ],
    }
