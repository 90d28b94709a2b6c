"""Journey: the API Users list as a mailing list, on the real stack.

Ben and Cy watch Ana's topic in the ORCID API Users forum. Ana replies; the mail reaches
Ben (the test's SMTP receiver), and Ben presses Reply: his mail client hands the reply,
quoting Ana, to the mail server, which delivers it over LMTP to the gateway (bin/stack
inbound) — twice, as a mail server retrying does. The reply is on the topic page in
Chromium without the quote (axe: no serious or critical violation), and reaches Ana and
Cy once each, Ben never. Then Cy's mail server sends a bounce (an RFC 3464 report) to the
envelope sender of its mail; with the stack's MAIL_BOUNCE_THRESHOLD of 1, Ana's next post
still reaches Ben but Cy's delivery is skipped.
"""

import re
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import psycopg
import pytest

from tests.e2e.helpers import check_accessibility, screenshot
from tests.helpers import bounce_report, broker_idle, wait_until

pytestmark = pytest.mark.e2e

ANA, BEN, CY = (f"mailin-{who}@example.org" for who in ("ana", "ben", "cy"))
TITLE = "Webhooks for works added by a member integration"
ANA_SAYS = "Does the sandbox send webhooks when a work is added through the member API?"
BEN_SAYS = "Yes: register the callback URL for your client in the sandbox first."
QUOTE_SAYS = "this line is quoted and never posted"
ANA_AGAIN = "Thanks, the callback arrives now."


def set_up_topic(stack) -> int:
    """Three people with verified addresses, members for a month (not new: the moderation
    hold leaves them alone); Ana's topic, watched by Ben and Cy (each message). Returns the
    topic's id."""
    output = stack.shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from allauth.account.models import EmailAddress\n"
        "from accounts.models import User\n"
        "from forums import services\n"
        "from forums.models import Forum\n"
        "people = {}\n"
        f"for email, name in (({ANA!r}, 'Ana Ortega'), ({BEN!r}, 'Ben Okafor'), "
        f"({CY!r}, 'Cy Lindqvist')):\n"
        "    user = User.objects.create_user(email=email, name=name, "
        "date_joined=timezone.now() - timedelta(days=30))\n"
        "    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)\n"
        "    people[email] = user\n"
        "forum = Forum.objects.get(slug='api-users')\n"
        f"topic = services.topic_create(forum=forum, by=people[{ANA!r}], title={TITLE!r}, "
        "body='Which events does the sandbox send?')\n"
        f"for email in ({BEN!r}, {CY!r}):\n"
        "    services.subscription_set(by=people[email], mode='each', topic=topic)\n"
        "print('topic', topic.pk)\n"
    )
    return int(re.search(r"^topic (\d+)$", output, re.M).group(1))


def ana_replies(stack, topic_id: int, body: str) -> None:
    stack.shell(
        "from accounts.models import User\n"
        "from forums import services\n"
        "from forums.models import Topic\n"
        f"services.post_create(topic=Topic.objects.get(pk={topic_id}), "
        f"by=User.objects.get(email={ANA!r}), body={body!r})\n"
    )


def lmtp_deliver(stack, *, sender: str, recipient: str, raw: bytes) -> tuple[int, str]:
    """Hand one mail to the gateway as the mail server does; return its answer to DATA."""
    with smtplib.LMTP("127.0.0.1", stack.lmtp_port) as lmtp:
        lmtp.ehlo()  # LHLO
        assert lmtp.mail(sender)[0] == 250
        code, answer = lmtp.rcpt(recipient)
        assert code == 250, answer
        code, answer = lmtp.data(raw)
        return code, answer.decode()


def mails(mailbox, address: str, containing: str) -> list:
    return [m for m in mailbox.to(address) if containing in mailbox.text(m)]


def wait_for_mail(mailbox, address: str, containing: str) -> EmailMessage:
    return wait_until(
        lambda: mails(mailbox, address, containing),
        timeout=60,
        interval=0.2,
        what=lambda: (
            f"a mail to {address} with {containing!r}; got "
            f"{[(str(m['To']), str(m['Subject'])) for m in mailbox.messages]}"
        ),
    )[0]


def delivery_state(stack, address: str, containing: str) -> str | None:
    with psycopg.connect(stack.database_url) as conn:
        row = conn.execute(
            "SELECT state FROM mail_delivery WHERE to_email = %s AND body_text LIKE %s "
            "ORDER BY id DESC LIMIT 1",
            (address, f"%{containing}%"),
        ).fetchone()
    return row[0] if row else None


def test_a_watcher_replies_by_mail_and_a_bouncing_address_stops_getting_the_list(
    stack, mailbox, new_page
):
    topic_id = set_up_topic(stack)

    # Ana replies on the site; the mail of her post reaches Ben with his reply address.
    ana_replies(stack, topic_id, ANA_SAYS)
    to_ben = wait_for_mail(mailbox, BEN, ANA_SAYS)
    reply_to = str(to_ben["Reply-To"])
    assert re.fullmatch(r"reply\+[a-z2-7]{24}@[\w.-]+", reply_to), reply_to
    assert re.fullmatch(r"<post-\d+@[\w.-]+>", str(to_ben["Message-ID"]))

    # Ben presses Reply in his mail program: from his verified address, threaded, quoting.
    reply = EmailMessage()
    reply["From"] = f"Ben Okafor <{BEN}>"
    reply["To"] = reply_to
    reply["Subject"] = f"Re: {to_ben['Subject']}"
    reply["Message-ID"] = make_msgid(domain="example.org")
    reply["In-Reply-To"] = str(to_ben["Message-ID"])
    reply["References"] = str(to_ben["Message-ID"])
    reply.set_content(f"{BEN_SAYS}\n\nOn Monday, Ana Ortega wrote:\n> {QUOTE_SAYS}\n> {ANA_SAYS}\n")
    raw = reply.as_bytes()
    assert lmtp_deliver(stack, sender=BEN, recipient=reply_to, raw=raw) == (250, "2.0.0 posted")
    # The mail server did not hear the answer and delivers the mail again: processed once.
    assert lmtp_deliver(stack, sender=BEN, recipient=reply_to, raw=raw) == (
        250,
        "2.0.0 duplicate",
    )

    # The reply is on the topic page, by Ben, without the quoted text.
    page = new_page()
    page.goto(f"/forums/t/{topic_id}/")
    posts = page.locator("main")
    assert posts.get_by_text(BEN_SAYS).is_visible()
    assert posts.get_by_text("Ben Okafor").first.is_visible()
    assert QUOTE_SAYS not in page.content()
    assert check_accessibility(page) == []
    screenshot(page, "mail-in-reply-on-topic")

    # It reaches the other watchers once each (once every task has run), never Ben.
    to_cy = wait_for_mail(mailbox, CY, BEN_SAYS)
    wait_for_mail(mailbox, ANA, BEN_SAYS)
    wait_until(broker_idle(stack.redis_url), timeout=60, interval=0.2)
    assert (len(mails(mailbox, ANA, BEN_SAYS)), len(mails(mailbox, CY, BEN_SAYS))) == (1, 1)
    assert mails(mailbox, BEN, BEN_SAYS) == []

    # Cy's mail server bounces it to the mail's envelope sender (VERP: it names the delivery).
    bounce_to = str(to_cy["Return-Path"]).strip("<>")
    assert re.fullmatch(r"bounces\+\d+-[0-9a-f]+@[\w.-]+", bounce_to), bounce_to
    assert lmtp_deliver(
        stack, sender="", recipient=bounce_to, raw=bounce_report(to=bounce_to, failed=CY)
    ) == (250, "2.0.0 bounce")

    # At the stack's threshold (1) list mail to Cy stops; Ben still gets Ana's next post.
    ana_replies(stack, topic_id, ANA_AGAIN)
    wait_for_mail(mailbox, BEN, ANA_AGAIN)
    wait_until(broker_idle(stack.redis_url), timeout=60, interval=0.2)
    assert mails(mailbox, CY, ANA_AGAIN) == []
    assert delivery_state(stack, CY, ANA_AGAIN) == "skipped"
