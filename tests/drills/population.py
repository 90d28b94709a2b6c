"""The drills' people and things, made inside the stack's Django (``manage.py shell``).

A world of its own rather than ``seed_demo`` (whose forty password hashes take half a
minute): a staff member who writes a working group's briefing and posts in the ORCID
API Users list, a reader who signs in and forgets her password, the briefing's readers,
a topic's watchers and the digest's readers and posts (those of ``bench/digest.py``).
Briefings, subscriptions, forums and topics are made through the portal's services.
:func:`populate` prints what the drills need to find it all again, as JSON.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

PASSWORD = "drill-Passw0rd-2026"  # of STAFF and READER
STAFF = (
    "drill-staff@example.org"  # chairs the working group; posts (an old account: no hourly limit)
)
READER = "drill-reader@example.org"  # signs in, and asks for a new password
FORUM = "api-users"


def _people(prefix: str, count: int, **fields) -> list:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    User.objects.bulk_create(
        [
            User(email=f"{prefix}-{i}@example.org", name=f"Reader {i}", password="!", **fields)
            for i in range(count)
        ],
        batch_size=2000,
    )
    return list(User.objects.filter(email__startswith=f"{prefix}-").order_by("pk"))


def accounts() -> None:
    """The two people who sign in, with verified addresses (verification is mandatory).

    Neither is ORCID staff: staff must sign in with two-factor authentication, which the
    drills' visitor does not do. The one who writes a briefing chairs its working group."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    User = get_user_model()
    hashed = make_password(PASSWORD)  # once: each hash costs the production work factor
    joined = timezone.now() - timedelta(days=30)  # not a new account: no hourly post limit
    for email, name in ((STAFF, "Drill Chair"), (READER, "Drill Reader")):
        user = User.objects.create(email=email, name=name, date_joined=joined, password=hashed)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)


def briefing_draft(readers: int, tag: str) -> dict:
    """A draft briefing of a working group that ``readers`` people receive."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from contributors import selectors, services
    from contributors.models import Group

    # Groups and terms are made in the admin (as seed_demo does); the rest through services.
    group = Group.objects.create(slug=f"drill-{tag}", name="Drill working group", kind="working")
    chair = get_user_model().objects.get(email=STAFF)
    today = timezone.localdate()
    group.memberships.create(
        user=chair, role="chair", term_start=today, term_end=today + timedelta(days=365)
    )
    for person in _people(f"drill-{tag}-briefing", readers):
        services.briefing_subscribe(by=person, group=group)
    briefing = services.briefing_create(
        group=group,
        by=chair,
        title=f"Drill {tag}: what the working group decided",
        body="We met twice this month and **agreed** on the roadmap.",
    )
    return {
        "publish": f"/groups/{group.slug}/briefings/{briefing.pk}/publish/",
        "about": f"contributors.briefing:{briefing.pk}",
        "expected": selectors.briefing_recipients(group).count(),
        "author": STAFF,
    }


def digest_audience(readers: int, posts: int, tag: str) -> dict:
    """``readers`` readers of the daily digest (one digest each) and ``posts`` new posts."""
    from bench.digest import digest_population

    digest_population(tag, readers, posts)
    return {"recipients": f"bench-{tag}-%", "expected": readers}


def watched_topic(forum, watchers: int, tag: str, name: str) -> dict:
    """A topic of the API users list with ``watchers`` people mailed each reply."""
    from django.contrib.auth import get_user_model

    from forums import services as forums

    topic = forums.topic_create(
        forum=forum,
        by=get_user_model().objects.get(email=STAFF),
        title=f"Drill {tag}: {name}",
        body="Does the member API answer 429 or 503 when it is overloaded?",
    )
    prefix = f"drill-{tag}-{name}"
    for person in _people(prefix, watchers):
        forums.subscription_set(by=person, mode="each", topic=topic)
    return {
        "id": topic.pk,
        "path": topic.get_absolute_url(),
        "forum": f"/forums/{forum.slug}/",
        "poster": STAFF,
        "recipients": f"{prefix}-%",
        "expected": watchers,
    }


def populate(
    *, briefing_readers: int = 0, digest_readers: int = 0, digest_posts: int = 40, watchers=0
) -> None:
    """Make what the drills of this size need; print where to find it as JSON."""
    from forums import services as forums
    from forums.models import Forum

    tag = secrets.token_hex(3)
    made: dict = {"tag": tag}
    accounts()
    if briefing_readers:
        made["briefing"] = briefing_draft(briefing_readers, tag)
    if digest_readers:
        made["digest"] = digest_audience(digest_readers, digest_posts, tag)
    api_users = forums.forum_create(
        slug=FORUM, name="ORCID API Users", kind=Forum.Kind.API_USERS, position=1
    )
    # Its watchers make a reply write mail, which the web process hands to the broker.
    made["reply_topic"] = watched_topic(api_users, 3, tag, "replies")
    if watchers:
        made["watched_topic"] = watched_topic(api_users, watchers, tag, "watched")
    print(json.dumps(made))
