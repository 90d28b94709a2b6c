"""Demo consortia for `manage.py seed_demo` (idempotent: keyed by slug, ROR ID, email).

Fifteen verified consortia in the three regions, national and regional, some forming with
a partly done checklist, one below the minimum (a company among its five members); 5–25
members each, every organization verified by the demo staff person; the demo "lead"
person manages IReL, the demo "member" person is a contact of a member of the Australian
consortium.

What waits for someone, as on a real portal: a proposed consortium (ORCID Portugal) and
its new lead organization in the staff's verification queue; a request to join IReL from
an organization registered on the way (unverified, so the lead waits for staff) beside
one from a verified organization; someone asking the demo "member" person to act for the
University of Melbourne; and an invitation to become a lead contact of IReL.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify

from accounts.demo import connect_demo_orcid, demo_orcid
from accounts.models import User
from consortia.models import (
    ChecklistEntry,
    ChecklistItem,
    Consortium,
    ConsortiumContact,
    ConsortiumCountry,
    ContactInvitation,
    ContactRequest,
    Membership,
    Organization,
    OrganizationContact,
    ProgressReport,
    Verification,
)
from consortia.permissions import invitation_digest
from consortia.regions import region_of_countries
from consortia.services import INVITATION_DAYS, consortium_membership_shortfalls
from core.identifiers import normalize_ror, ror_checksum

BELOW_MINIMUM = "orcid-italia"
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
HE, NP, GOV = "higher_education", "non_profit", "government"

CITIES = {
    "US": ["Boston", "Chicago", "Denver", "Seattle", "Austin", "Atlanta", "Portland",
           "Phoenix", "Madison", "Ann Arbor", "Berkeley", "Pittsburgh", "Baltimore"],
    "CA": ["Toronto", "Montréal", "Vancouver", "Calgary", "Ottawa", "Halifax", "Winnipeg",
           "Québec", "Victoria", "Edmonton"],
    "BR": ["São Paulo", "Campinas", "Rio de Janeiro", "Porto Alegre", "Recife", "Brasília",
           "Curitiba", "Salvador"],
    "JM": ["Kingston", "Montego Bay", "Mandeville"],
    "TT": ["Port of Spain", "San Fernando"],
    "BB": ["Bridgetown"],
    "CL": ["Santiago", "Valparaíso", "Concepción", "Temuco", "Antofagasta"],
    "IE": ["Dublin", "Cork", "Galway", "Limerick", "Maynooth", "Waterford", "Athlone",
           "Sligo"],
    "NO": ["Oslo", "Bergen", "Trondheim", "Tromsø", "Stavanger"],
    "SE": ["Stockholm", "Uppsala", "Lund", "Gothenburg", "Umeå"],
    "DK": ["Copenhagen", "Aarhus", "Odense", "Aalborg"],
    "FI": ["Helsinki", "Turku", "Tampere", "Oulu"],
    "IS": ["Reykjavík"],
    "DE": ["Berlin", "Munich", "Hamburg", "Heidelberg", "Göttingen", "Leipzig", "Bonn",
           "Freiburg", "Tübingen", "Dresden", "Jena"],
    "IT": ["Bologna", "Padova", "Pisa", "Torino"],
    "ZA": ["Cape Town", "Johannesburg", "Pretoria", "Durban", "Stellenbosch"],
    "GB": ["Edinburgh", "Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff", "York",
           "Sheffield", "Nottingham", "Exeter", "Belfast", "Oxford", "Cambridge"],
    "AU": ["Sydney", "Brisbane", "Perth", "Adelaide", "Canberra", "Hobart", "Darwin",
           "Newcastle", "Wollongong", "Geelong"],
    "NZ": ["Auckland", "Wellington", "Christchurch", "Dunedin", "Hamilton"],
    "JP": ["Tokyo", "Kyoto", "Osaka", "Sendai", "Nagoya", "Sapporo", "Fukuoka", "Hiroshima"],
    "SG": ["Singapore"],
    "MY": ["Kuala Lumpur", "Penang"],
    "TH": ["Bangkok", "Chiang Mai"],
    "VN": ["Hanoi", "Ho Chi Minh City"],
}  # fmt: skip
PATTERNS = [
    ("University of {city}", HE),
    ("{city} Institute of Technology", HE),
    ("{city} Research Institute", NP),
    ("{city} Public Library", GOV),
    ("{city} Medical Research Centre", NP),
    ("{city} University of Applied Sciences", HE),
]

# slug, name, kind, countries, status, lead (name, country, type, ROR or ""), members,
# pre-agreement items done (forming ones), demo person who is the main contact.
CONSORTIA = [
    ("orcid-us", "ORCID US Community", "national", ["US"], "active",
     ("Lyrasis", "US", NP, ""), 25, None, None),
    ("canadian-orcid", "Canadian ORCID Consortium", "national", ["CA"], "active",
     ("Canadian Research Knowledge Network", "CA", NP, ""), 18, None, None),
    ("orcid-brasil", "ORCID Brasil", "national", ["BR"], "active",
     ("CAPES", "BR", GOV, ""), 14, None, None),
    ("orcid-caribbean", "ORCID Caribbean", "regional", ["JM", "TT", "BB"], "forming",
     ("University of the West Indies", "JM", HE, ""), 5, 3, None),
    ("orcid-chile", "ORCID Chile", "national", ["CL"], "forming",
     ("Agencia Nacional de Investigación y Desarrollo", "CL", GOV, ""), 6, 5, None),
    ("irel", "IReL ORCID Consortium", "national", ["IE"], "active",
     ("Trinity College Dublin", "IE", HE, "02tyrky19"), 12, None, "lead"),
    ("orcid-nordic", "ORCID Nordic", "regional", ["NO", "SE", "DK", "FI", "IS"], "active",
     ("Sikt", "NO", GOV, ""), 22, None, None),
    ("orcid-deutschland", "ORCID Deutschland", "national", ["DE"], "active",
     ("Technische Informationsbibliothek", "DE", NP, ""), 20, None, None),
    ("orcid-italia", "ORCID Italia", "national", ["IT"], "active",
     ("Conferenza dei Rettori delle Università Italiane", "IT", NP, ""), 4, None, None),
    ("orcid-south-africa", "ORCID South Africa", "national", ["ZA"], "forming",
     ("Academy of Science of South Africa", "ZA", NP, ""), 5, 4, None),
    ("uk-orcid", "UK ORCID Consortium", "national", ["GB"], "active",
     ("Jisc", "GB", NP, ""), 25, None, None),
    ("australian-orcid", "Australian ORCID Consortium", "national", ["AU"], "active",
     ("Australian Research Data Commons", "AU", GOV, ""), 20, None, None),
    ("orcid-new-zealand", "ORCID New Zealand", "national", ["NZ"], "active",
     ("Royal Society Te Apārangi", "NZ", NP, ""), 10, None, None),
    ("japan-orcid", "Japan ORCID Consortium", "national", ["JP"], "active",
     ("National Institute of Informatics", "JP", GOV, ""), 15, None, None),
    ("orcid-south-east-asia", "ORCID South-East Asia", "regional", ["SG", "MY", "TH", "VN"],
     "forming", ("National University of Singapore", "SG", HE, "01tgyzw49"), 6, 2, None),
]  # fmt: skip

DESCRIPTION = """{name} brings together {kind} research organizations to apply ORCID in
{countries}, sharing knowledge and pooling resources.

**What members get**

- onboarding support and integration help from the lead organization's community team;
- shared resources, webinars and an annual community day;
- a document repository and regular progress reports.

Questions? Write to the support contact listed on this page.
"""


def demo_ror(name: str) -> str:
    """A checksum-valid ROR ID derived from the name (stable between runs)."""
    number = int(hashlib.sha1(name.encode()).hexdigest(), 16) % 32**6
    digits = ""
    for _ in range(6):
        number, rest = divmod(number, 32)
        digits = CROCKFORD[rest] + digits
    base = "0" + digits
    return base + ror_checksum(base)


def _vouched(by: User | None) -> dict:
    """The fields of a row the demo staff person verified."""
    return {
        "verification": Verification.VERIFIED,
        "verification_decided_by": by,
        "verification_decided_at": timezone.now(),
    }


def _organization(
    name: str, country: str, org_type: str, ror: str = "", *, verified_by: User | None = None
) -> Organization:
    """A demo organization, verified by ``verified_by`` (None: waiting for verification)."""
    try:
        ror_id = normalize_ror(ror) if ror else demo_ror(name)
    except ValidationError:
        ror_id = demo_ror(name)
    organization = (
        Organization.objects.exclude(verification=Verification.REJECTED)
        .filter(ror_id=ror_id)
        .first()
    )
    if organization is None:
        organization = Organization.objects.create(
            name=name,
            ror_id=ror_id,
            country=country,
            org_type=org_type,
            **(_vouched(verified_by) if verified_by else {}),
        )
    return organization


def _person(email: str, name: str, affiliation: str) -> User:
    # A stable, checksum-valid ORCID iD per address, far from the other demo people's.
    n = 10**7 + int(hashlib.sha1(email.encode()).hexdigest(), 16) % 10**10
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"name": name, "affiliation": affiliation},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return connect_demo_orcid(user, demo_orcid(n))


def _member_names(countries: list[str], count: int) -> list[tuple[str, str, str]]:
    """``count`` organizations spread over the countries in turn (regional rule holds)."""
    result: list[tuple[str, str, str]] = []
    index = 0
    while len(result) < count:
        country = countries[index % len(countries)]
        cities = CITIES[country]
        n = index // len(countries)
        city = cities[n % len(cities)]
        pattern, org_type = PATTERNS[(n // len(cities)) % len(PATTERNS)]
        result.append((pattern.format(city=city), country, org_type))
        index += 1
    return result


def seed(stdout, context: dict) -> None:
    people = context.get("people", {})
    staff = people.get("staff")
    now = timezone.now()
    pre_items = list(ChecklistItem.objects.filter(phase="pre", is_active=True))
    post_items = list(ChecklistItem.objects.filter(phase="post", is_active=True))
    created = 0
    for spec in CONSORTIA:
        slug, name, kind, countries, status, lead_spec, members, done, person_key = spec
        lead = _organization(*lead_spec, verified_by=staff)
        consortium = Consortium.objects.filter(slug=slug).first()
        if consortium is not None:
            continue  # already seeded: leave it, and whatever people did with it, alone
        created += 1
        country_names = ", ".join(str(ConsortiumCountry(country=c).country.name) for c in countries)
        consortium = Consortium.objects.create(
            slug=slug,
            name=name,
            kind=kind,
            region=region_of_countries(countries),
            lead_organization=lead,
            status=status,
            description=DESCRIPTION.format(name=name, kind=kind, countries=country_names),
            website=f"https://{slug}.example.org/",
            agreement_finalized_at=now if status == "active" else None,
            **_vouched(staff),
        )
        ConsortiumCountry.objects.bulk_create(
            [ConsortiumCountry(consortium=consortium, country=c) for c in countries]
        )
        if person_key and person_key in people:
            main = people[person_key]
        else:
            main = _person(f"main.{slug}@example.org", f"{name} main contact", lead.name)
        support = _person(f"support.{slug}@example.org", f"{name} support", lead.name)
        ConsortiumContact.objects.create(consortium=consortium, user=main, role="main")
        ConsortiumContact.objects.create(consortium=consortium, user=support, role="support")
        OrganizationContact.objects.get_or_create(organization=lead, user=main, role="main")

        Membership.objects.create(
            consortium=consortium, organization=lead, state="active", decided_at=now
        )
        for member_name, country, org_type in _member_names(countries, members - 1):
            organization = _organization(member_name, country, org_type, verified_by=staff)
            if Membership.objects.filter(organization=organization, state="active").exists():
                continue
            Membership.objects.create(
                consortium=consortium, organization=organization, state="active", decided_at=now
            )
            contact = _person(
                f"{slugify(member_name)}@example.org", f"Contact at {member_name}", member_name
            )
            OrganizationContact.objects.get_or_create(
                organization=organization, user=contact, role="main"
            )

        finished = len(pre_items) if status == "active" else (done or 0)
        entries = [
            ChecklistEntry(
                consortium=consortium,
                item=item,
                done=i < finished,
                done_by=main if i < finished else None,
                done_at=now if i < finished else None,
            )
            for i, item in enumerate(pre_items)
        ]
        entries += [
            ChecklistEntry(
                consortium=consortium,
                item=item,
                done=status == "active" and i < 3,
                done_by=main if status == "active" and i < 3 else None,
                done_at=now if status == "active" and i < 3 else None,
            )
            for i, item in enumerate(post_items)
        ]
        ChecklistEntry.objects.bulk_create(entries)

        if slug == BELOW_MINIMUM:
            # Five members, but one is a company: four not-for-profit members count.
            company = _organization(
                "Bologna Research Software S.r.l.", "IT", "company", verified_by=staff
            )
            if not Membership.objects.filter(organization=company, state="active").exists():
                Membership.objects.create(
                    consortium=consortium, organization=company, state="active", decided_at=now
                )
        if status == "active" and consortium_membership_shortfalls(consortium):
            consortium.below_minimum = True
            consortium.below_minimum_since = now
            consortium.save(update_fields=["below_minimum", "below_minimum_since"])

        if status == "active":
            ProgressReport.objects.create(
                consortium=consortium,
                title="Annual progress report",
                body=(
                    f"This year {name} welcomed new members and ran four onboarding "
                    "webinars.\n\n- **Integrations**: 8 systems now collect "
                    "authenticated ORCID iDs.\n- **Next year**: a community day and a "
                    "shared best-practice guide."
                ),
                published_by=main,
            )

    _extra_demo_state(people)
    stdout.write(f"  consortia: {Consortium.objects.count()} ({created} new)")


def _extra_demo_state(people: dict) -> None:
    """The demo people's own consortia business, and what waits for someone (idempotent)."""
    staff = people.get("staff")
    australia = Consortium.objects.filter(slug="australian-orcid").first()
    member = people.get("member")
    if australia and member:
        melbourne = _organization(
            "University of Melbourne", "AU", HE, "01ej9dk98", verified_by=staff
        )
        OrganizationContact.objects.get_or_create(organization=melbourne, user=member, role="main")
        if not Membership.objects.filter(organization=melbourne).exists():
            Membership.objects.create(
                consortium=australia,
                organization=melbourne,
                state="active",
                requested_by=member,
                decided_at=timezone.now(),
            )
        # A colleague asks the member person to vouch for them.
        colleague = _person(
            "research.office@unimelb.example", "Priya Raman", "University of Melbourne"
        )
        ContactRequest.objects.get_or_create(
            organization=melbourne,
            user=colleague,
            defaults={
                "role": OrganizationContact.Role.TECHNICAL,
                "message": "I run the research office's ORCID integration.",
            },
        )
    irel = Consortium.objects.filter(slug="irel").first()
    if irel:
        # One verified organization and one registered on the way, still unverified: the
        # lead can accept the first, and waits for staff for the second.
        for name, verified_by in (
            ("Technological University of the Shannon", staff),
            ("Dundalk Institute of Technology", None),
        ):
            organization = _organization(name, "IE", HE, verified_by=verified_by)
            requester = _person(f"{slugify(name)}@example.org", f"Contact at {name}", name)
            OrganizationContact.objects.get_or_create(
                organization=organization, user=requester, role="main"
            )
            if not Membership.objects.filter(organization=organization).exists():
                Membership.objects.create(
                    consortium=irel,
                    organization=organization,
                    state="requested",
                    requested_by=requester,
                    message=f"{name} would like to join IReL's ORCID consortium.",
                )
        lead = people.get("lead")
        if lead and not ContactInvitation.objects.filter(consortium=irel).exists():
            # Its link is unknown (only a digest is stored): it shows on the manage page.
            ContactInvitation.objects.create(
                consortium=irel,
                email="new.colleague@tcd.example",
                role="staff",
                token_digest=invitation_digest(secrets.token_urlsafe(32)),
                invited_by=lead,
                expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
            )
    _proposal_waiting_for_staff()


def _proposal_waiting_for_staff() -> None:
    """ORCID Portugal: proposed by a new lead organization, both in the staff's queue."""
    if Consortium.objects.filter(slug="orcid-portugal").exists():
        return
    lead = _organization("Fundação para a Ciência e a Tecnologia", "PT", GOV)
    proposer = _person("orcid@fct.example", "Marta Sousa", "Fundação para a Ciência e a Tecnologia")
    OrganizationContact.objects.get_or_create(organization=lead, user=proposer, role="main")
    consortium = Consortium.objects.create(
        slug="orcid-portugal",
        name="ORCID Portugal",
        kind="national",
        region=region_of_countries(["PT"]),
        lead_organization=lead,
        status="forming",
        description="A national consortium for Portuguese research organizations.",
        proposed_by=proposer,
    )
    ConsortiumCountry.objects.create(consortium=consortium, country="PT")
    ConsortiumContact.objects.create(consortium=consortium, user=proposer, role="main")
    Membership.objects.create(
        consortium=consortium,
        organization=lead,
        state="active",
        requested_by=proposer,
        decided_by=proposer,
        decided_at=timezone.now(),
    )
    ChecklistEntry.objects.bulk_create(
        [
            ChecklistEntry(consortium=consortium, item=item)
            for item in ChecklistItem.objects.filter(is_active=True)
        ]
    )
