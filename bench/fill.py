"""Fill an empty, migrated PostgreSQL database with production-size portal data.

    DATABASE_URL=postgres://…/occ_bench_x python bench/fill.py [--scale 1.0]

Rows are generated in Python and written with COPY (psycopg 3) in one transaction, with
explicit ids; the denormalized counters the services keep (forum and topic counters, idea
vote counts, search vectors) are computed once in SQL afterwards, so every page sees the
same consistent data the services would have produced. Every database constraint holds:
one active membership per organization, unique ROR IDs and ORCID iDs (each one a
person proved, with its ORCID account), one vote per person and idea, one open nomination
per nominee, a reason on every reject.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orcid_community.settings")

import django  # noqa: E402

django.setup()

from allauth.socialaccount.models import SocialAccount  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from accounts.models import User  # noqa: E402

# The post vocabulary of the search benchmark: the same words make the same plans.
from bench.words import TOPICAL, sentence  # noqa: E402
from consortia.models import (  # noqa: E402
    Consortium,
    ConsortiumContact,
    ConsortiumCountry,
    Membership,
    Organization,
    OrganizationContact,
)
from consortia.regions import AMERICAS, APAC  # noqa: E402
from contributors.models import (  # noqa: E402
    Contribution,
    Group,
    LevelChange,
    Nomination,
    NominationEvent,
    Profile,
    RollEntry,
)
from contributors.models import Membership as GroupMembership  # noqa: E402
from contributors.models import Vote as NominationVote  # noqa: E402
from core.identifiers import orcid_check_character, ror_checksum  # noqa: E402
from forums.models import Forum, Post, Topic, topic_slug  # noqa: E402
from forums.models import Vote as IdeaVote  # noqa: E402
from forums.services import SEARCH_CONFIG  # noqa: E402

SIZES = {
    "consortia": 1_000,
    "organizations": 20_000,
    "people": 50_000,
    "contributors": 2_000,
    "contributions": 20_000,
    "nominations": 300,
    "topics": 5_000,
    "posts": 200_000,
    "ideas": 2_000,
    "idea_votes": 100_000,
}
STEERING_MEMBERS = 12
# The topic page is measured on a topic with exactly this many posts (see bench/run.py).
BENCH_TOPIC_POSTS = 50
NOW = datetime.now(UTC)
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"

FIRST = str.split(
    "Ana Bruno Chen Divya Elif Farid Grace Hiro Ines Jonas Kofi Lena Mateo Nadia Omar Priya "
    "Quinn Rosa Sven Tariq Uma Viktor Wen Ximena Yusuf Zoe Aiko Bea Carlos Dana Emil Fatima"
)
LAST = str.split(
    "Silva Nguyen Kowalski Haddad Okafor Tanaka Müller Rossi García Ivanova Larsen Mensah "
    "Papadopoulos Kim Novak Fischer Costa Sato Dubois Ahmed Jensen Moreau Rahman Lopez Berg"
)
ORG_WORDS = str.split(
    "University Institute College Library Hospital Foundation Observatory Academy Centre "
    "Laboratory Museum Archive Council Agency School Polytechnic"
)
PLACES = str.split(
    "North South East West Central Coastal Royal National Federal State Metropolitan Highland "
    "Lakeside River Valley Capital Northern Southern Eastern Western"
)
SUBJECTS = str.split(
    "Science Technology Medicine Agriculture Arts Engineering Marine Health Education Research "
    "Economics Humanities Physics Chemistry Biology Mathematics Informatics Law Music Design"
)
EMEA_COUNTRIES = str.split(
    "GB DE FR IT ES NL BE SE NO DK FI PL PT IE AT CH CZ GR HU RO ZA NG KE EG MA IL TR SA AE"
)
AMERICAS_COUNTRIES = [c for c in str.split("US CA MX BR AR CL CO PE UY CR EC") if c in AMERICAS]
APAC_COUNTRIES = [c for c in str.split("AU NZ JP KR CN TW SG MY ID IN TH VN PH") if c in APAC]
REGIONS = [("emea", EMEA_COUNTRIES), ("americas", AMERICAS_COUNTRIES), ("apac", APAC_COUNTRIES)]


# --- progress -----------------------------------------------------------------------------


class Progress:
    """One line per step, redrawn in place: a bar, the count and the time so far."""

    def __init__(self, total_steps: int):
        self.total_steps = total_steps
        self.step = 0
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()

    def __call__(self, label: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        line = (
            f"\r  [{'#' * filled}{'.' * (width - filled)}] {self.step}/{self.total_steps} "
            f"{label:<22} {done:>9,}/{total:<9,} {time.monotonic() - self.started:6.1f}s"
        )
        if self.tty or done == total:
            sys.stderr.write(line + ("\n" if done == total else ""))
            sys.stderr.flush()

    def next(self) -> None:
        self.step += 1


PROGRESS = Progress(total_steps=10)


# --- COPY ----------------------------------------------------------------------------------


def copy_rows(model, fields: str, rows, label: str, total: int) -> None:
    """COPY ``rows`` (tuples in the order of ``fields``: attribute names separated by
    spaces) into ``model``'s table."""
    meta = model._meta
    columns = ", ".join(f'"{meta.get_field(f).column}"' for f in fields.split())
    raw = connection.cursor().cursor  # the psycopg 3 cursor under Django's wrapper
    done = 0
    PROGRESS(label, 0, total)
    with raw.copy(f'COPY "{meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            done += 1
            if done % 5000 == 0:
                PROGRESS(label, done, total)
    PROGRESS(label, done, total)


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def reset_sequences(*models) -> None:
    for model in models:
        table = model._meta.db_table
        sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
        )


# --- generators ----------------------------------------------------------------------------


def orcid_for(n: int) -> str:
    base = f"0000000{n + 10_000_000:08d}"
    digits = base + orcid_check_character(base)
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def ror_for(n: int) -> str:
    body, value = "", n + 1_000_000
    for _ in range(6):
        body = CROCKFORD[value % 32] + body
        value //= 32
    base = "0" + body
    return base + ror_checksum(base)


def ago(rng: random.Random, days: int) -> datetime:
    return NOW - timedelta(seconds=rng.randrange(1, days * 86_400))


def scaled(name: str, scale: float) -> int:
    return max(1, int(SIZES[name] * scale))


# --- the fill, step by step ----------------------------------------------------------------
# One random generator runs through the steps in this order: a step draws its numbers in
# the order it writes its rows, so a seed always gives the same data.


@dataclass(frozen=True)
class Sizes:
    """How many of each, for a scale (1.0: production size)."""

    people: int
    organizations: int
    consortia: int
    contributors: int
    contributions: int
    nominations: int
    topics: int
    posts: int
    ideas: int
    idea_votes: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        people = scaled("people", scale)
        contributors = min(scaled("contributors", scale), people // 4)
        topics = scaled("topics", scale)
        ideas = scaled("ideas", scale)
        return cls(
            people=people,
            organizations=scaled("organizations", scale),
            consortia=scaled("consortia", scale),
            contributors=contributors,
            contributions=scaled("contributions", scale),
            nominations=min(scaled("nominations", scale), contributors - STEERING_MEMBERS - 50),
            topics=topics,
            posts=max(scaled("posts", scale), topics * 2),
            ideas=ideas,
            idea_votes=min(scaled("idea_votes", scale), ideas * people // 2),
        )


@dataclass
class Contributors:
    """Who the contributors are: user 1 is staff, users 2 … n+1 the contributors, the
    first STEERING_MEMBERS of them the steering group; ``ost`` the OST members."""

    ids: list[int]
    ost: set[int]

    @property
    def steering(self) -> list[int]:
        return self.ids[:STEERING_MEMBERS]


def fill_people(rng: random.Random, n: Sizes, seed: int) -> int:
    """People and their ORCID accounts; returns how many accounts.

    They and about 40% of everyone have a verified ORCID iD, as Sign in with ORCID leaves
    it: an ORCID account (allauth's SocialAccount) whose uid is the iD on the person. One
    in ten others once typed an iD that was never proved (kept aside, never shown).
    """
    PROGRESS.next()
    password = make_password("bench-password-not-secret")
    public_ids = random.Random(seed + 1)  # the other data stays as it was for a seed

    def verified_orcid(i: int) -> str | None:
        return orcid_for(i) if i <= n.contributors + 1 or i % 5 < 2 else None

    def people():
        for i in range(1, n.people + 1):
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"
            orcid = verified_orcid(i)
            yield (
                i,
                password,
                i == 1,
                i == 1,
                True,
                ago(rng, 2000),
                f"person{i}@bench.example.org",
                name,
                orcid,
                orcid_for(i) if orcid is None and i % 10 == 2 else "",
                uuid.UUID(int=public_ids.getrandbits(128), version=4),
                "",
                "",
                "",
            )

    copy_rows(
        User,
        "id password is_superuser is_staff is_active date_joined email name orcid_id "
        "unverified_orcid_id public_id affiliation language time_zone",
        people(),
        "people",
        n.people,
    )

    def orcid_accounts():
        for i in range(1, n.people + 1):
            orcid = verified_orcid(i)
            if orcid:
                record = {"orcid-identifier": {"path": orcid, "host": "orcid.org"}}
                yield (i, i, "orcid", orcid, NOW, NOW, Jsonb(record))

    n_orcid = sum(1 for i in range(1, n.people + 1) if verified_orcid(i))
    copy_rows(
        SocialAccount,
        "id user provider uid last_login date_joined extra_data",
        orcid_accounts(),
        "ORCID accounts",
        n_orcid,
    )
    return n_orcid


def plan_consortia(rng: random.Random, n: Sizes):
    """Each consortium has a home region and 1-3 countries; 75% of organizations are active
    members of exactly one consortium; the others ask to join or have left one."""
    consortia = []
    for c in range(1, n.consortia + 1):
        region, pool = REGIONS[c % 3]
        countries = rng.sample(pool, rng.choice([1, 1, 1, 2, 3]))
        kind = "regional" if len(countries) > 1 else "national"
        status = "active" if c % 10 < 8 else ("forming" if c % 10 == 8 else "inactive")
        consortia.append((c, region, countries, kind, status))
    per_consortium = max(5, (n.organizations * 3 // 4) // n.consortia)
    orgs, org_of_consortium, memberships = [], {}, []
    org_id = 0
    for c, _region, countries, _kind, status in consortia:
        members = []
        for _ in range(per_consortium):
            org_id += 1
            if org_id > n.organizations:
                break
            orgs.append((org_id, rng.choice(countries)))
            members.append(org_id)
        org_of_consortium[c] = members
        if status != "forming":
            memberships.extend((c, o, "active") for o in members)
    _, free_pool = REGIONS[0]
    while org_id < n.organizations:
        org_id += 1
        orgs.append((org_id, rng.choice(free_pool + AMERICAS_COUNTRIES + APAC_COUNTRIES)))
    free_orgs = [o for o, _ in orgs if o > per_consortium * n.consortia]
    # Pending requests and past members come from the organizations in no consortium.
    for i, o in enumerate(free_orgs):
        c = (i * 7) % n.consortia + 1
        memberships.append((c, o, "requested" if i % 2 else "left"))
    # Forming consortia: requests from their would-be members.
    for c, _region, _countries, _kind, status in consortia:
        if status == "forming":
            memberships.extend((c, o, "requested") for o in org_of_consortium[c])
    return consortia, orgs, org_of_consortium, memberships


def fill_consortia(rng: random.Random, n: Sizes) -> int:
    """Organizations, consortia, their countries, memberships and contacts; every
    organization and consortium verified by staff, as on a portal in service. Returns how
    many memberships."""
    PROGRESS.next()
    consortia, orgs, org_of_consortium, memberships = plan_consortia(rng, n)
    types = ["higher_education"] * 5 + ["non_profit"] * 2 + ["government", "company", "other"]

    def organization_rows():
        for o, country in orgs:
            name = (
                f"{rng.choice(PLACES)} {rng.choice(ORG_WORDS)} of {rng.choice(SUBJECTS)} {o}"
                if o % 3
                else f"{rng.choice(ORG_WORDS)} {rng.choice(PLACES)} {rng.choice(SUBJECTS)} {o}"
            )
            yield (
                o,
                name,
                ror_for(o) if o % 5 else "",
                country,
                types[o % len(types)],
                f"https://org{o}.example.org/",
                ago(rng, 3000),
                "verified",
                "",
            )

    copy_rows(
        Organization,
        "id name ror_id country org_type website created_at verification verification_note",
        organization_rows(),
        "organizations",
        n.organizations,
    )

    def consortium_rows():
        for c, region, _countries, kind, status in consortia:
            lead = org_of_consortium[c][0] if org_of_consortium[c] else 1
            yield (
                c,
                f"{rng.choice(PLACES)} {rng.choice(SUBJECTS)} Consortium {c}",
                f"consortium-{c}",
                kind,
                region,
                lead,
                f"The ORCID consortium number {c}: **{len(org_of_consortium[c])}** members.",
                f"https://consortium{c}.example.org/",
                status,
                False,
                NOW - timedelta(days=400) if status != "forming" else None,
                ago(rng, 3000),
                "verified",
                "",
            )

    copy_rows(
        Consortium,
        "id name slug kind region lead_organization_id description website status "
        "below_minimum agreement_finalized_at created_at verification verification_note",
        consortium_rows(),
        "consortia",
        n.consortia,
    )
    copy_rows(
        ConsortiumCountry,
        "consortium_id country",
        ((c, country) for c, _r, countries, _k, _s in consortia for country in countries),
        "consortium countries",
        sum(len(x[2]) for x in consortia),
    )

    def membership_rows():
        for c, o, state in memberships:
            created = ago(rng, 1500)
            yield (
                c,
                o,
                state,
                "",
                "",
                created,
                created + timedelta(days=3) if state != "requested" else None,
                created + timedelta(days=300) if state == "left" else None,
            )

    copy_rows(
        Membership,
        "consortium_id organization_id state message decision_note created_at decided_at left_at",
        membership_rows(),
        "memberships",
        len(memberships),
    )
    copy_rows(
        ConsortiumContact,
        "consortium_id user_id role created_at show_email",
        ((c, 1000 + c, "main", NOW, False) for c, *_ in consortia),
        "lead contacts",
        n.consortia,
    )
    copy_rows(
        OrganizationContact,
        "organization_id user_id role",
        ((o, 1 + (o * 7) % n.people, "main") for o, _ in orgs),
        "organization contacts",
        n.organizations,
    )
    return len(memberships)


def fill_contributors(rng: random.Random, n: Sizes) -> Contributors:
    """Profiles, their level history and contributions (everyone has one verified)."""
    PROGRESS.next()
    ids = list(range(2, n.contributors + 2))
    ost = set(ids[STEERING_MEMBERS : STEERING_MEMBERS + n.contributors // 10])
    copy_rows(
        Profile,
        "user_id level level_since",
        ((u, "ost" if u in ost else "contributor", ago(rng, 900)) for u in ids),
        "profiles",
        n.contributors,
    )
    copy_rows(
        LevelChange,
        "user_id from_level to_level basis reason changed_by_id changed_at",
        (
            (u, "user", "ost", "development_staff", "ORCID development staff.", 1, NOW)
            if u in ost
            else (u, "user", "contributor", "contribution_verified", "", 1, NOW)
            for u in ids
        ),
        "level changes",
        n.contributors,
    )
    kinds = ["forum", "patch", "documentation", "help", "talk"]

    def contribution_rows():
        for i in range(n.contributions):
            u = ids[i % n.contributors]
            created = ago(rng, 1800)
            verified = i % 8 != 0 or i < n.contributors  # everyone has one verified
            yield (
                u,
                kinds[i % 5],
                f"{rng.choice(TOPICAL).capitalize()} {rng.choice(SUBJECTS).lower()} fix #{i}",
                f"https://github.com/ORCID/orcid-source/pull/{i}",
                created.date(),
                u,
                created,
                1 if verified else None,
                created + timedelta(days=2) if verified else None,
            )

    copy_rows(
        Contribution,
        "user_id kind title link date added_by_id created_at verified_by_id verified_at",
        contribution_rows(),
        "contributions",
        n.contributions,
    )
    return Contributors(ids=ids, ost=ost)


def fill_groups(rng: random.Random, people: Contributors) -> list[tuple]:
    """The steering group (current terms) and ten working groups; returns the groups."""
    PROGRESS.next()
    today = NOW.date()
    groups = [(1, "Technical steering group", "steering", "steering")]
    groups += [(g, f"Working group {g}", f"working-group-{g}", "working") for g in range(2, 12)]
    copy_rows(
        Group,
        "id name slug kind purpose deliverables starts_on ends_on",
        (
            (
                g,
                name,
                slug,
                kind,
                "Keeps ORCID's open source projects healthy.",
                "",
                today - timedelta(days=200),
                today + timedelta(days=500) if kind == "working" else None,
            )
            for g, name, slug, kind in groups
        ),
        "groups",
        len(groups),
    )
    group_rows = [
        (1, u, "chair" if i == 0 else "member", today - timedelta(days=100))
        for i, u in enumerate(people.steering)
    ]
    for g in range(2, 12):
        for i, u in enumerate(rng.sample(people.ids, 8)):
            group_rows.append((g, u, "chair" if i == 0 else "member", today - timedelta(days=50)))
    copy_rows(
        GroupMembership,
        "group_id user_id role term_start term_end",
        ((g, u, r, start, start + timedelta(days=365)) for g, u, r, start in group_rows),
        "group memberships",
        len(group_rows),
    )
    return groups


def fill_nominations(rng: random.Random, n: Sizes, people: Contributors) -> tuple[int, int]:
    """A few open nominations, the rest decided, every one with its frozen roll, votes and
    audit trail; nominees are contributors outside the steering group, one nomination
    each. Returns how many nominations and votes."""
    PROGRESS.next()
    steering = people.steering
    nominees = [u for u in people.ids if u not in people.ost][STEERING_MEMBERS:][: n.nominations]
    n_open = max(1, n.nominations // 10)
    nominations, rolls, votes, events = [], [], [], []
    for number, nominee in enumerate(nominees, start=1):
        is_open = number <= n_open
        opened = NOW - timedelta(days=2) if is_open else ago(rng, 1500) - timedelta(days=30)
        deadline = opened + timedelta(days=14)
        choices = []
        for i, voter in enumerate(steering):
            rolls.append((number, voter))
            if is_open and i % 2:
                continue
            choice = rng.choice(["approve", "approve", "approve", "reject", "abstain"])
            choices.append(choice)
            votes.append((number, voter, choice, "Not yet." if choice == "reject" else "", opened))
            events.append((number, "voted", voter, "", {"choice": choice}, opened))
        events.insert(0, (number, "opened", 1, "", {}, opened))
        if is_open:
            nominations.append(
                (number, nominee, "open", opened, deadline, None, None, None, None, None)
            )
        else:
            a, r, x = (choices.count(k) for k in ("approve", "reject", "abstain"))
            state = "approved" if a > r else "rejected"
            decided = opened + timedelta(days=5)
            nominations.append(
                (number, nominee, state, opened, deadline, decided, len(steering), a, r, x)
            )
            events.append((number, "decided", None, state, {}, decided))
    copy_rows(
        Nomination,
        "id nominee_id state opened_at deadline decided_at roll_size approvals rejections "
        "abstentions rationale nominated_by_id",
        (row + ("Broad and significant contributions for years.", 1) for row in nominations),
        "nominations",
        len(nominations),
    )
    copy_rows(
        RollEntry,
        "nomination_id voter_id recusal_reason",
        ((number, v, "") for number, v in rolls),
        "voter rolls",
        len(rolls),
    )
    copy_rows(
        NominationVote,
        "nomination_id voter_id choice comment cast_at changed_at",
        ((number, v, c, m, t, t) for number, v, c, m, t in votes),
        "nomination votes",
        len(votes),
    )
    copy_rows(
        NominationEvent,
        "nomination_id kind actor_id detail data created_at",
        ((number, k, a, d, Jsonb(data), t) for number, k, a, d, data, t in events),
        "nomination events",
        len(events),
    )
    return len(nominations), len(votes)


def fill_forums(groups: list[tuple]) -> list[int]:
    """The API Users list, a general forum, the iDeas forum and one per group; returns the
    forum of each topic, in turn (the API Users list and the general forum the busiest)."""
    PROGRESS.next()
    forums = [
        (1, "api-users", "ORCID API Users", "api_users", None, False),
        (2, "general", "General discussion", "general", None, False),
        (3, "ideas", "iDeas", "ideas", None, False),
    ]
    forums += [(3 + g, slug, name, "group", g, g == 1) for g, name, slug, _kind in groups]
    copy_rows(
        Forum,
        "id slug name kind group_id is_private description position created_at topic_count "
        "post_count",
        (
            (i, s, name, k, g, p, f"The {name} forum.", i, NOW, 0, 0)
            for i, s, name, k, g, p in forums
        ),
        "forums",
        len(forums),
    )
    return [1] * 8 + [2] * 6 + [f[0] for f in forums[3:]]


def topic_sizes(rng: random.Random, n: Sizes) -> list[int]:
    """Posts per topic, 1 to ~80, adding up to ``n.posts``; every tenth topic has exactly
    BENCH_TOPIC_POSTS posts, the one the topic page is measured on."""
    sizes = [
        BENCH_TOPIC_POSTS if t % 10 == 0 else rng.randint(1, 2 * n.posts // n.topics - 10)
        for t in range(n.topics)
    ]
    free = [t for t in range(n.topics) if t % 10]
    while sum(sizes) != n.posts:
        t = rng.choice(free)
        if sum(sizes) < n.posts:
            sizes[t] += 1
        elif sizes[t] > 1:
            sizes[t] -= 1
    return sizes


def post_bodies(rng: random.Random) -> list[str]:
    """20,000 bodies the posts share (by number)."""
    return [
        " ".join(sentence(rng, rng.randint(8, 25)) for _ in range(rng.randint(1, 4)))
        for _ in range(20_000)
    ]


def idea_vote_counts(rng: random.Random, n: Sizes) -> list[int]:
    """Votes per idea, skewed (a few ideas are popular), adding up to ``n.idea_votes``."""
    weights = [rng.paretovariate(1.1) for _ in range(n.ideas)]
    scale_w = n.idea_votes / sum(weights)
    counts = [min(n.people, max(0, round(w * scale_w))) for w in weights]
    while sum(counts) > n.idea_votes:
        i = counts.index(max(counts))
        counts[i] -= sum(counts) - n.idea_votes if counts[i] > sum(counts) - n.idea_votes else 1
    while sum(counts) < n.idea_votes:
        counts[rng.randrange(n.ideas)] += 1
    return counts


def plan_topics(rng: random.Random, n: Sizes, topic_forums: list[int], posters: list[int]):
    """Topics with their posts ``(id, topic, author, body number, is_first, created_at)``,
    then the ideas (one first post each) and their votes from distinct people."""
    sizes = topic_sizes(rng, n)
    bodies = post_bodies(rng)
    topics, posts = [], []
    post_id = 0
    for t, size in enumerate(sizes, start=1):
        title = sentence(rng, rng.randint(4, 9))[:190]
        start = ago(rng, 1500)
        author = rng.choice(posters)
        when, last_author = start, author
        for p in range(size):
            post_id += 1
            if p:
                when += timedelta(minutes=rng.randint(5, 3000))
                last_author = rng.choice(posters)
            posts.append((post_id, t, last_author, rng.randrange(20_000), p == 0, when))
        topics.append(
            (
                t,
                topic_forums[t % len(topic_forums)],
                title,
                author,
                start,
                when,
                last_author,
                size - 1,
                "",
                0,
            )
        )
    statuses = ["new", "new", "under_review", "planned", "in_progress", "done", "declined"]
    counts = idea_vote_counts(rng, n)
    idea_votes = []
    for i in range(n.ideas):
        t = n.topics + i + 1
        start = ago(rng, 1500)
        author = rng.choice(posters)
        post_id += 1
        posts.append((post_id, t, author, rng.randrange(20_000), True, start))
        topics.append(
            (
                t,
                3,
                "Idea: " + sentence(rng, rng.randint(4, 8))[:180],
                author,
                start,
                start,
                author,
                0,
                statuses[i % len(statuses)],
                counts[i],
            )
        )
        idea_votes.extend((t, u, start) for u in rng.sample(range(1, n.people + 1), counts[i]))
    return topics, posts, bodies, idea_votes


def copy_posts(posts: list[tuple], bodies: list[str]) -> None:
    """Posts go through a staging table so body_html and the search vector (the services'
    post_index(): title weight A on first posts, body weight B) are computed in one pass;
    the search index is built afterwards."""
    PROGRESS.next()
    sql("DROP INDEX IF EXISTS forums_post_search_gin")
    sql(
        "CREATE TEMP TABLE bench_body (id int PRIMARY KEY, body text) ON COMMIT DROP;"
        "CREATE TEMP TABLE bench_post (id bigint, topic_id bigint, author_id bigint, "
        "body_id int, is_first boolean, created_at timestamptz) ON COMMIT DROP"
    )
    raw = connection.cursor().cursor
    with raw.copy("COPY bench_body (id, body) FROM STDIN") as copy:
        for i, body in enumerate(bodies):
            copy.write_row((i, body))
    done = 0
    with raw.copy(
        "COPY bench_post (id, topic_id, author_id, body_id, is_first, created_at) FROM STDIN"
    ) as copy:
        for row in posts:
            copy.write_row(row)
            done += 1
            if done % 10_000 == 0:
                PROGRESS("posts (copy)", done, len(posts))
    PROGRESS("posts (copy)", done, len(posts))
    PROGRESS("posts (search vectors)", 0, len(posts))
    sql(
        """
        INSERT INTO forums_post (id, topic_id, author_id, body, body_html, is_first,
                                 created_at, is_hidden, hidden_reason, author_name,
                                 message_id, from_address, search_vector)
        SELECT s.id, s.topic_id, s.author_id, b.body, '<p>' || b.body || '</p>', s.is_first,
               s.created_at, false, '', '', '', '',
               CASE WHEN s.is_first THEN setweight(to_tsvector(%s, t.title), 'A')
                    ELSE ''::tsvector END || setweight(to_tsvector(%s, b.body), 'B')
        FROM bench_post s JOIN bench_body b ON b.id = s.body_id
                          JOIN forums_topic t ON t.id = s.topic_id
        """,
        [SEARCH_CONFIG, SEARCH_CONFIG],
    )
    PROGRESS("posts (search vectors)", len(posts), len(posts))
    PROGRESS.next()
    PROGRESS("search index", 0, 1)
    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: check them now, or the
    # pending checks forbid building an index on the table in this transaction.
    sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql("CREATE INDEX forums_post_search_gin ON forums_post USING gin (search_vector)")
    PROGRESS("search index", 1, 1)


def fill_topics(rng: random.Random, n: Sizes, topic_forums: list[int], people: Contributors):
    """Topics, posts, ideas and their votes, and the forums' counters; returns how many
    idea votes."""
    posters = people.ids * 5 + list(range(1, n.people + 1))
    topics, posts, bodies, idea_votes = plan_topics(rng, n, topic_forums, posters)
    copy_rows(
        Topic,
        "id forum_id title author_id created_at last_post_at last_post_author_id reply_count "
        "status vote_count slug is_pinned is_locked status_note author_name "
        "last_post_author_name is_held",
        (row + (topic_slug(row[2]), False, False, "", "", "", False) for row in topics),
        "topics",
        len(topics),
    )
    copy_posts(posts, bodies)
    PROGRESS.next()
    copy_rows(
        IdeaVote,
        "idea_id user_id created_at",
        idea_votes,
        "idea votes",
        len(idea_votes),
    )
    # Forum counters, as forums.services.forum_refresh() computes them.
    sql(
        """
        UPDATE forums_forum f SET topic_count = s.topics, post_count = s.posts,
                                  last_post_at = s.last
        FROM (SELECT t.forum_id, COUNT(*) AS topics, SUM(t.reply_count + 1) AS posts,
                     MAX(t.last_post_at) AS last
              FROM forums_topic t WHERE t.merged_into_id IS NULL GROUP BY t.forum_id) s
        WHERE s.forum_id = f.id
        """
    )
    return len(idea_votes)


def fill(scale: float, seed: int) -> dict:
    """Every table the pages read, in one transaction; returns what was written."""
    rng = random.Random(seed)
    n = Sizes.at(scale)
    n_orcid = fill_people(rng, n, seed)
    n_memberships = fill_consortia(rng, n)
    people = fill_contributors(rng, n)
    groups = fill_groups(rng, people)
    n_nominations, n_votes = fill_nominations(rng, n, people)
    topic_forums = fill_forums(groups)
    n_idea_votes = fill_topics(rng, n, topic_forums, people)
    reset_sequences(
        User,
        SocialAccount,
        Organization,
        Consortium,
        ConsortiumCountry,
        Membership,
        ConsortiumContact,
        OrganizationContact,
        LevelChange,
        Contribution,
        Group,
        GroupMembership,
        Nomination,
        RollEntry,
        NominationVote,
        NominationEvent,
        Forum,
        Topic,
        Post,
        IdeaVote,
    )
    return {
        "people": n.people,
        "orcid_accounts": n_orcid,
        "organizations": n.organizations,
        "consortia": n.consortia,
        "memberships": n_memberships,
        "contributors": n.contributors,
        "contributions": n.contributions,
        "nominations": n_nominations,
        "nomination_votes": n_votes,
        "topics": n.topics,
        "posts": n.posts,
        "ideas": n.ideas,
        "idea_votes": n_idea_votes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of production size.")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/fill.py needs PostgreSQL: DATABASE_URL must point at it.")
    if User.objects.exists():
        sys.exit("bench/fill.py fills an empty database; this one has people already.")
    started = time.monotonic()
    with transaction.atomic():
        counts = fill(args.scale, args.seed)
    PROGRESS.next()
    PROGRESS("vacuum analyze", 0, 1)
    sql("VACUUM ANALYZE")
    PROGRESS("vacuum analyze", 1, 1)
    elapsed = time.monotonic() - started
    summary = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
    sys.stderr.write(f"Filled in {elapsed:.0f} s: {summary}.\n")


if __name__ == "__main__":
    main()
