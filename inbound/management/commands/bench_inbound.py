"""``python manage.py bench_inbound --messages N``: N realistic replies (quoted text,
signatures, HTML-only parts, an attachment now and then) through the gateway's processing
(``message_receive``, what LMTP's DATA calls), on data of its own that is deleted after.
Prints JSON last: messages, per_second, p95_ms, queries_per_message."""

import json
import secrets
import statistics
import time

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core.vacuum import vacuum_analyze
from forums import services as forums
from forums.notifications import reply_address, reply_keys_for
from inbound.services import message_receive

PEOPLE = 20

QUOTED = """Thanks, {name}: the /read-limited scope did it.

I also had to ask for a new token after changing the redirect URI.

--
{name}
Research IT, Example University

On Mon, Dec 7, 2026 at 10:00 AM Ben Reader <ben@example.org> wrote:
> Which scope do I need to read a record's employments?
> I get a 403 with /read-public.
>
> > Earlier quoted text
"""

HTML = """<html><body><p>Hi all,</p><p>We use the <b>member API</b> with
<a href="https://info.orcid.org/">these docs</a>.</p><ul><li>one</li><li>two</li></ul>
<blockquote>Which scope do I need?</blockquote><p>Best regards,<br>{name}</p></body></html>"""


def _raw(n: int, sender: str, to: str, name: str) -> bytes:
    from email.message import EmailMessage  # the bench builds its mail; nothing else does
    from email.policy import SMTP

    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = to
    message["Subject"] = "Re: [Bench] Which scope?"
    message["Message-ID"] = f"<bench-{secrets.token_hex(8)}-{n}@example.org>"
    if n % 3 == 2:
        message.set_content(HTML.format(name=name), subtype="html")
    else:
        message.set_content(QUOTED.format(name=name))
        message.add_alternative(HTML.format(name=name), subtype="html")
    if n % 10 == 9:
        message.add_attachment(
            b"log" * 300, maintype="text", subtype="plain", filename="request.log"
        )
    return message.as_bytes(policy=SMTP)


class Command(BaseCommand):
    help = "Measure the processing of received replies (JSON last)."

    def add_arguments(self, parser):
        parser.add_argument("--messages", type=int, default=200)

    def handle(self, *args, messages, **options):
        tag = secrets.token_hex(4)
        User = get_user_model()
        # As autovacuum would have on a real site: earlier runs' dead rows, statistics.
        vacuum_analyze(
            "accounts.User",
            "forums.Post",
            "forums.Topic",
            "forums.Forum",
            "forums.ReplyKey",
            "inbound.InboundMessage",
            "mail.Delivery",
            "core.PendingInvalidation",
        )
        people = []
        for n in range(PEOPLE):
            user = User.objects.create_user(
                email=f"bench-{tag}-{n}@example.org", password=None, name=f"Bench {n}"
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            people.append(user)
        # Old enough accounts: the new accounts' rate limit is not what is measured.
        User.objects.filter(pk__in=[p.pk for p in people]).update(date_joined="2020-01-01T00:00Z")
        people = list(User.objects.filter(pk__in=[p.pk for p in people]))
        forum = forums.forum_create(slug=f"bench-{tag}", name="Bench")
        topic = forums.topic_create(forum=forum, by=people[0], title="Which scope?", body="?")
        keys = reply_keys_for(topic, [p.pk for p in people])
        mails = []
        for n in range(messages):
            who = people[n % PEOPLE]
            address = reply_address(keys[who.pk])
            mails.append((address, _raw(n, who.email, address, who.name)))
        times, queries = [], []
        counted = [0]

        def count(execute, sql, params, many, context):
            counted[0] += 1
            return execute(sql, params, many, context)

        try:
            started = time.perf_counter()
            # Queries are counted by a wrapper that only counts: Django's capturing cursor
            # logs and formats every query, a third of a reply's time.
            with connection.execute_wrapper(count):
                for address, raw in mails:
                    begin = time.perf_counter()
                    counted[0] = 0
                    result = message_receive(raw=raw, recipient=address)
                    times.append(time.perf_counter() - begin)
                    queries.append(counted[0])
                    if result.outcome != "posted":
                        raise SystemExit(f"not posted: {result}")
            elapsed = time.perf_counter() - started
        finally:
            self._clean(forum, topic, people)
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        self.stdout.write(
            json.dumps(
                {
                    "messages": messages,
                    "seconds": round(elapsed, 3),
                    "per_second": round(messages / elapsed, 1),
                    "p95_ms": round(p95 * 1000, 2),
                    "queries_per_message": max(queries),
                    "queries_min": min(queries),
                    "database": connection.vendor,
                    "domain": settings.MAIL_LIST_ID_DOMAIN,
                }
            )
        )

    @transaction.atomic
    def _clean(self, forum, topic, people):
        from inbound.models import InboundMessage  # this app's own model

        InboundMessage.objects.filter(user__in=people).delete()
        topic.posts.all().delete()
        topic.delete()
        forum.delete()
        for user in people:
            user.delete()
