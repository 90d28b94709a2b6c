"""Reading received mail: the new text of a reply, HTML-only mail, attachments, loops."""

from email.message import EmailMessage

import pytest

from inbound import parsing
from tests.helpers import mail_bytes

DOMAIN = "community.orcid.example"

REPLY = """Use the /read-limited scope.

It worked for me last week.

--
Ana Author
ORCID API team

On Mon, Dec 7, 2026 at 10:00 AM Ben Reader <ben@example.org> wrote:
> Which scope do I need?
> Thanks
"""


def test_a_reply_keeps_its_new_text_without_the_quote_and_the_signature():
    received = parsing.read(mail_bytes(to=f"x@{DOMAIN}", text=REPLY))
    assert received.text == "Use the /read-limited scope.\n\nIt worked for me last week."


def test_a_bottom_posted_reply_leaves_out_the_quoted_lines():
    text = "> Which scope do I need?\n\nThe /read-limited one.\n"
    assert parsing.strip_reply(text) == "The /read-limited one."


def test_an_outlook_style_reply_header_ends_the_new_text():
    text = (
        "The sandbox has it.\n\nFrom: Ben Reader <ben@example.org>\nSent: Monday, 7 December 2026"
        "\nTo: ORCID API Users\nSubject: Scopes\n\nWhich scope?\n"
    )
    assert parsing.strip_reply(text) == "The sandbox has it."


def test_an_html_only_mail_becomes_plain_text_without_markup_scripts_or_quotes():
    html = (
        "<html><head><style>p{}</style></head><body><p>Try <b>this</b>:</p>"
        "<ul><li>one</li><li>two</li></ul><script>alert(1)</script>"
        '<p><a href="https://info.orcid.org/">the docs</a></p>'
        "<blockquote>Which scope?</blockquote></body></html>"
    )
    received = parsing.read(mail_bytes(to=f"x@{DOMAIN}", text=None, html=html))
    assert received.text == "Try this:\n\n- one\n- two\n\nthe docs <https://info.orcid.org/>"
    assert "<" not in received.text.replace("<https://info.orcid.org/>", "")


def test_the_plain_part_is_preferred_to_the_html_part():
    raw = mail_bytes(to=f"x@{DOMAIN}", text="plain words", html="<p>html words</p>")
    assert parsing.read(raw).text == "plain words"


def test_attachments_are_named_and_never_part_of_the_text():
    raw = mail_bytes(to=f"x@{DOMAIN}", text="See the log.", attachments=(("log.txt", b"x"),))
    received = parsing.read(raw)
    assert (received.text, received.attachments) == ("See the log.", ["log.txt"])


def _message(**headers) -> EmailMessage:
    return parsing.parse(
        mail_bytes(to=f"x@{DOMAIN}", headers={k.replace("_", "-"): v for k, v in headers.items()})
    )


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-submitted"),
        ({"Auto-Submitted": "auto-generated; owner-email=x@example.org"}, "auto-submitted"),
        ({"Precedence": "bulk"}, "precedence"),
        ({"Precedence": "junk"}, "precedence"),
        ({"Precedence": "auto_reply"}, "precedence"),
        ({"X-Loop": DOMAIN}, "x-loop"),
        ({"List-Id": f"<api-users.{DOMAIN}>"}, "list-id"),
    ],
)
def test_automatic_and_looping_mail_is_recognised(headers, reason):
    assert parsing.loop_reason(_message(**headers), list_domain=DOMAIN) == reason


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Auto-Submitted": "no"},
        {"Precedence": "first-class"},
        {"List-Id": "<other.lists.example.org>"},
        {"X-Loop": "other.example.org"},
    ],
)
def test_a_person_s_mail_is_not_a_loop(headers):
    assert parsing.loop_reason(_message(**headers), list_domain=DOMAIN) == ""


def test_a_mail_without_message_id_gets_one_made_of_its_bytes():
    raw = b"From: ana@example.org\r\nTo: x@y\r\nSubject: hi\r\n\r\nhello\r\n"
    first = parsing.read(raw).message_id
    assert first == parsing.read(raw).message_id
    assert first != parsing.read(raw + b"more\r\n").message_id


def test_a_mail_with_two_from_addresses_has_no_sender():
    raw = b"From: ana@example.org, eve@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
    assert parsing.read(raw).from_address == ""


def test_a_topic_title_leaves_out_reply_prefixes_and_the_forum_tag():
    title = parsing.topic_title(
        "Re: Fwd: [ORCID API Users] Token expired", forum_name="ORCID API Users"
    )
    assert title == "Token expired"
