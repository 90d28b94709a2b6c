"""Time the daily digest through the real task code, next to a plain-message baseline.

    python bench/digest.py --subscribers 20000 --posts 200      (make bench-digest)

Creates N subscribers and M new posts (spread over ten forums of its own: everybody reads
the first daily, one in three a second forum too, one in four a topic elsewhere), runs the
daily digest by calling the Celery task ``forums.tasks.send_digests`` with tasks eager (the
same code a worker runs, mail batches included) and Django's local-memory mail backend,
then builds and sends as many plain two-part messages of the same sizes through the same
backend, one connection per batch. On PostgreSQL its tables are vacuumed and analyzed
first, as autovacuum would have done on a real site. Everything it created is deleted again. The
last line printed is JSON.

Run it on a database of its own: posts of the last day elsewhere in the database would
join the bench's run (the digest takes every new post), and their subscribers with them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import secrets
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TextIO

if __name__ == "__main__":  # run as a script; the tests import it with Django set up
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orcid_community.settings")
    import django

    django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core import mail as django_mail  # noqa: E402
from django.core.mail import EmailMultiAlternatives, get_connection  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.markdown import render_markdown  # noqa: E402
from core.vacuum import vacuum_analyze  # noqa: E402
from forums import digests  # noqa: E402
from forums.models import Forum, Post, Subscription, Topic  # noqa: E402
from forums.tasks import send_digests  # noqa: E402
from mail import services  # noqa: E402
from mail.models import Delivery, DigestRun  # noqa: E402
from orcid_community.celery import app as celery_app  # noqa: E402
from orcid_community.celery import configure as configure_celery  # noqa: E402

BENCH_KIND = "bench.digest"  # + the bench's tag: a run of its own, whatever ran today
POSTS_PER_TOPIC = 5
SAMPLE = 400  # digests whose bodies the baseline's messages copy
FORUMS = 10  # the M posts are spread over ten forums of the bench's own
BODY = (
    "I call /v3.0/{orcid}/works with a /read-public token and get a 401 after an hour. "
    "Do tokens from the client credentials flow expire, and should I cache them? "
    "Reply {n}: the sandbox behaves the same."
)


@transaction.atomic
def digest_population(tag: str, subscribers: int, posts: int) -> dict:
    """Create ``subscribers`` readers of daily digests and ``posts`` new posts.

    The posts are in ten forums of their own, the readers are
    ``bench-<tag>-<i>@example.org``; :func:`digest_population_delete` removes it all again.
    """
    User = get_user_model()
    User.objects.bulk_create(
        [
            User(email=f"bench-{tag}-{i}@example.org", name=f"Reader {i}", password="!")
            for i in range(subscribers)
        ],
        batch_size=2000,
    )
    users = list(
        User.objects.filter(email__startswith=f"bench-{tag}-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    forums = [
        Forum.objects.create(slug=f"bench-{tag}-{k}", name=f"Bench {tag} forum {k}", position=k)
        for k in range(FORUMS)
    ]
    author = users[0]
    now = timezone.now()
    topics = Topic.objects.bulk_create(
        [
            Topic(
                forum=forums[i % FORUMS],
                title=f"Token expiry question {i}",
                slug=f"token-expiry-question-{i}",
                author_id=author,
                last_post_at=now,
            )
            for i in range(max(1, posts // POSTS_PER_TOPIC))
        ]
    )
    body = [BODY.replace("{n}", str(n)) for n in range(posts)]
    Post.objects.bulk_create(
        [
            Post(
                topic=topics[n % len(topics)],
                author_id=author,
                body=body[n],
                body_html=render_markdown(body[n]),
                is_first=n < len(topics),
            )
            for n in range(posts)
        ],
        batch_size=1000,
    )
    # Everybody reads forum 0 (the list) daily; a third also a second forum, a quarter
    # also one topic elsewhere: digests of different sizes, most shared sections.
    subs = []
    for i, user_id in enumerate(users):
        subs.append(Subscription(user_id=user_id, forum=forums[0], mode="daily"))
        if i % 3 == 0:
            subs.append(Subscription(user_id=user_id, forum=forums[1 + i % 4], mode="daily"))
        if i % 4 == 1:
            topic = topics[(i // 4) % len(topics)]
            if topic.forum_id != forums[0].pk:
                subs.append(Subscription(user_id=user_id, topic=topic, mode="daily"))
    Subscription.objects.bulk_create(subs, batch_size=5000)
    return {"tag": tag, "forums": [f.pk for f in forums]}


def digest_population_delete(created: dict) -> None:
    """Delete what :func:`digest_population` created, and the bench's digest runs."""
    with transaction.atomic():
        runs = DigestRun.objects.filter(kind=f"{BENCH_KIND}.{created['tag']}")
        Delivery.objects.filter(digest_run__in=runs).delete()
        runs.delete()
        Subscription.objects.filter(forum_id__in=created["forums"]).delete()
        Topic.objects.filter(forum_id__in=created["forums"]).delete()
        Forum.objects.filter(pk__in=created["forums"]).delete()
    people = get_user_model().objects.filter(email__startswith=f"bench-{created['tag']}-")
    Subscription.objects.filter(user__in=people).delete()
    people.delete()


class CountingOutbox(list):
    """locmem's outbox that keeps the count, not the messages: 20,000 digests fit in RAM."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def append(self, message) -> None:
        self.count += 1


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@contextmanager
def _count_queries():
    counter = {"n": 0}

    def wrapper(execute, sql, params, many, context):
        counter["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def run(subscribers: int = 20_000, posts: int = 200, *, out: TextIO = sys.stdout) -> dict:
    """Make the population, time the digest and the baseline, clean up; print JSON last."""
    tag = secrets.token_hex(3)
    out.write(f"Creating {subscribers} subscribers and {posts} posts (bench {tag})…\n")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        eager = celery_app.conf.task_always_eager
        configure_celery(task_always_eager=True)
        created = digest_population(tag, subscribers, posts)
        # As autovacuum would have on a real site (statistics, earlier runs' dead rows).
        vacuum_analyze(
            "accounts.User",
            "forums.Forum",
            "forums.Topic",
            "forums.Post",
            "forums.Subscription",
            "mail.Delivery",
            "mail.DigestRun",
        )
        try:
            result = _measure(subscribers, kind=f"{BENCH_KIND}.{tag}")
        finally:
            configure_celery(task_always_eager=eager)
            out.write("Cleaning up…\n")
            digest_population_delete(created)
    out.write(json.dumps(result) + "\n")
    return result


def _measure(subscribers: int, *, kind: str) -> dict:
    django_mail.outbox = CountingOutbox()
    services.digest_sections_forget()
    started = time.perf_counter()
    with _count_queries() as queries:
        # The task by its function, eager: it writes the deliveries batch by batch and
        # each batch's send_delivery_batch task runs as it is enqueued (on commit).
        # Its window ends digests.SETTLE before the run: run it as if that long after
        # the posts were made.
        settled = timezone.now() + digests.SETTLE + timedelta(seconds=1)
        send_digests.delay("daily", now=settled.isoformat(), kind=kind).get()
    seconds = time.perf_counter() - started
    sent = django_mail.outbox.count
    run = DigestRun.objects.get(kind=kind)
    # The baseline's messages have the sizes of real digests of this run: a sample of them,
    # large enough that the baseline does not swing with it (25 moved it by a tenth).
    ids = list(Delivery.objects.filter(digest_run=run).values_list("pk", flat=True))
    chosen = random.Random(0).sample(ids, min(SAMPLE, len(ids)))
    sample = [
        (d.subject, d.list_id, *services.digest_bodies(d))
        for d in Delivery.objects.select_related("recipient").filter(pk__any=chosen)
    ] or [("", "", "", "")]
    baseline = _baseline(sent or subscribers, sample)
    plain = _baseline(sent or subscribers, sample, plain=True)
    average_kb = sum(len((t + h).encode()) for _s, _l, t, h in sample) / len(sample) / 1024
    return {
        "subscribers": subscribers,
        "digests": sent,
        "batches": math.ceil(subscribers / digests.BATCH_SIZE),
        "seconds": round(seconds, 2),
        "per_second": round(sent / seconds, 1) if seconds else None,
        "peak_rss_mb": round(_rss_mb(), 1),
        "queries": queries["n"],
        "baseline_per_second": baseline,
        "share_of_baseline": round(sent / seconds / baseline, 2) if seconds else None,
        "plain_baseline_per_second": plain,
        "share_of_plain_baseline": round(sent / seconds / plain, 2) if seconds else None,
        "average_digest_kb": round(average_kb, 1),
        "delivered_per_run": f"{run.sent}/{run.total}",
    }


def _baseline(count: int, sample: list[tuple[str, str, str, str]], *, plain=False) -> float:
    """Build and send ``count`` two-part messages like the digest's, one connection a batch.

    The same message as the digest's, built directly: its subject, the portal's From and
    envelope sender, its list and loop headers, and its bodies (``sample``: subject, list,
    text, HTML of real digests of the run); what the digest adds is its machinery (rows,
    claims, records, assembly, signatures). ``plain``: the first baseline of this bench, a
    lighter message (a short subject, an address without a name, two headers).
    """
    django_mail.outbox = CountingOutbox()
    domain = settings.MAIL_LIST_ID_DOMAIN
    started = time.perf_counter()
    for start in range(0, count, services.BATCH_SIZE):
        backend = get_connection()
        backend.open()
        for i in range(start, min(count, start + services.BATCH_SIZE)):
            subject, list_id, text, html = sample[i % len(sample)]
            if plain:
                message = EmailMultiAlternatives(
                    subject="Daily digest",
                    body=text,
                    from_email="community@localhost",
                    to=[f"reader{i}@example.org"],
                    headers={"List-Id": "<bench.example>", "List-Unsubscribe": "<https://x/>"},
                )
            else:
                message = EmailMultiAlternatives(
                    subject=subject,
                    body=text,
                    from_email=f"bounces+{i}-0123456789abcdef@{domain}",
                    to=[f"reader{i}@example.org"],
                    headers={
                        "X-Portal-Delivery": str(i),
                        "X-Loop": domain,
                        "List-Id": f"<{list_id}.{domain}>",
                        "List-Unsubscribe": f"<https://{domain}/mail/unsubscribe/{i}/>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                        "From": settings.DEFAULT_FROM_EMAIL,
                    },
                )
            message.attach_alternative(html, "text/html")
            backend.send_messages([message])
        backend.close()
    seconds = time.perf_counter() - started
    return round(count / seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the daily forum digest.")
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--posts", type=int, default=200)
    args = parser.parse_args()
    run(args.subscribers, args.posts)


if __name__ == "__main__":
    main()
