"""The list's history comes in from an mbox archive: threads, dates and authors kept,
each mail once, and nobody mailed about it."""

import json
import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.core import mail as outbox
from django.core.management import call_command

from forums.models import Post, Topic
from inbound import parsing
from mail.models import Delivery
from tests.helpers import watch

pytestmark = pytest.mark.django_db


def _mail(
    message_id,
    subject,
    text,
    *,
    sender="Outside Olga <olga@elsewhere.example>",
    when=datetime(2015, 3, 2, 9, 30, tzinfo=UTC),
    in_reply_to=None,
    references=(),
):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "api-users@googlegroups.com"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    message.set_content(text)
    return message


def _mbox(tmp_path, messages, name="archive.mbox"):
    path = tmp_path / name
    box = mailbox.mbox(str(path))
    for message in messages:
        box.add(message)
    box.flush()
    box.close()
    return str(path)


def _import(path, forum="api-users"):
    out, err = _Stream(), _Stream()
    call_command("import_mbox", path, forum=forum, stdout=out, stderr=err)
    return out.text, err.text


class _Stream:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def _last_json(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


def _thread(tmp_path):
    """A question, an answer by In-Reply-To, and a follow-up naming only References."""
    return _mbox(
        tmp_path,
        [
            # Out of order on purpose: an export is not always sorted by date.
            _mail(
                "<c@x>",
                "Re: [orcid-api-users] Token expiry",
                "Thanks, that works.\n\n> Tokens last 20 years.",
                sender="Ana Author <ANA@example.org>",
                when=datetime(2015, 3, 3, 8, 0, tzinfo=UTC),
                references=["<a@x>", "<b@x>"],
            ),
            _mail("<a@x>", "[orcid-api-users] Token expiry", "How long does a token last?"),
            _mail(
                "<b@x>",
                "Re: [orcid-api-users] Token expiry",
                "Tokens last 20 years.\n\n> How long does a token last?\n",
                sender="Support <support@orcid.example>",
                when=datetime(2015, 3, 2, 11, 0, tzinfo=UTC),
                in_reply_to="<a@x>",
            ),
        ],
    )


def test_replies_join_their_topic_by_their_headers_with_the_mails_dates(tmp_path, api_users):
    stdout, _err = _import(_thread(tmp_path))
    assert _last_json(stdout) == {"messages": 3, "topics": 1, "posts": 3, "skipped": 0}
    topic = Topic.objects.get()
    assert (topic.forum, topic.title, topic.reply_count) == (api_users, "Token expiry", 2)
    assert topic.created_at == datetime(2015, 3, 2, 9, 30, tzinfo=UTC)
    assert topic.last_post_at == datetime(2015, 3, 3, 8, 0, tzinfo=UTC)
    posts = list(topic.posts.order_by("created_at"))
    assert [p.message_id for p in posts] == ["<a@x>", "<b@x>", "<c@x>"]
    assert [p.created_at.day for p in posts] == [2, 2, 3]
    api_users.refresh_from_db()
    assert (api_users.topic_count, api_users.last_post_at) == (1, topic.last_post_at)


def test_a_reply_without_headers_joins_the_topic_of_its_subject(tmp_path, api_users):
    path = _mbox(
        tmp_path,
        [
            _mail("<q@x>", "[api-users] Sandbox  down?", "Is the sandbox down?"),
            _mail(
                "<r@x>",
                "RE: Fwd: [api-users] sandbox down?",
                "Back now.",
                when=datetime(2015, 3, 2, 10, 0, tzinfo=UTC),
            ),
            # The same words without "Re:" and without references: a topic of its own.
            _mail(
                "<s@x>",
                "Sandbox down?",
                "Again?",
                when=datetime(2016, 1, 1, tzinfo=UTC),
            ),
        ],
    )
    stdout, _err = _import(path)
    assert _last_json(stdout) == {"messages": 3, "topics": 2, "posts": 3, "skipped": 0}
    first = Post.objects.get(message_id="<q@x>").topic
    assert Post.objects.get(message_id="<r@x>").topic == first
    assert Post.objects.get(message_id="<s@x>").topic != first
    assert first.title == "Sandbox down?"


def test_an_author_with_a_verified_address_is_the_person_others_keep_their_name(
    tmp_path, api_users, ana
):
    _import(_thread(tmp_path))
    by_ana = Post.objects.get(message_id="<c@x>")
    assert (by_ana.author, by_ana.author_name) == (ana, "")
    outside = Post.objects.get(message_id="<a@x>")
    assert (outside.author, outside.author_name) == (None, "Outside Olga")
    assert (outside.topic.author, outside.topic.author_name) == (None, "Outside Olga")
    assert outside.topic.last_post_author == ana


def test_an_unverified_address_is_not_its_owner(tmp_path, api_users, ana):
    ana.emailaddress_set.update(verified=False)
    _import(_thread(tmp_path))
    post = Post.objects.get(message_id="<c@x>")
    assert (post.author, post.author_name) == (None, "Ana Author")


def test_quoted_text_is_kept_as_the_mail_had_it(tmp_path, api_users):
    _import(_thread(tmp_path))
    answer = Post.objects.get(message_id="<b@x>")
    assert "How long does a token last?" in answer.body
    assert "<blockquote>" in answer.body_html
    assert "How long does a token last?" in answer.body_html


def test_a_second_run_imports_nothing(tmp_path, api_users):
    path = _thread(tmp_path)
    _import(path)
    stdout, _err = _import(path)
    assert _last_json(stdout) == {"messages": 3, "topics": 0, "posts": 0, "skipped": 3}
    assert (Topic.objects.count(), Post.objects.count()) == (1, 3)


def test_a_later_archive_continues_the_imported_threads(tmp_path, api_users):
    _import(_thread(tmp_path))
    later = _mbox(
        tmp_path,
        [
            _mail(
                "<d@x>",
                "Re: Token expiry",
                "One more thing.",
                when=datetime(2015, 4, 1, tzinfo=UTC),
                references=["<a@x>", "<c@x>"],
            )
        ],
        name="later.mbox",
    )
    stdout, _err = _import(later)
    assert _last_json(stdout) == {"messages": 1, "topics": 0, "posts": 1, "skipped": 0}
    assert Post.objects.get(message_id="<d@x>").topic == Topic.objects.get()


def test_importing_mails_nobody_and_counts_toward_no_rate_limit(
    tmp_path, api_users, ben, django_capture_on_commit_callbacks
):
    watch(ben, "each", forum=api_users)
    newcomer_mails = [
        _mail(
            f"<n{i}@x>",
            f"Question {i}",
            "Hello?",
            sender="Ana Author <ana@example.org>",
            when=datetime(2015, 1, 1, i, tzinfo=UTC),
        )
        for i in range(7)  # more than a new account may post in an hour
    ]
    with django_capture_on_commit_callbacks(execute=True):
        stdout, _err = _import(_mbox(tmp_path, newcomer_mails))
    assert _last_json(stdout)["topics"] == 7
    assert outbox.outbox == []
    assert not Delivery.objects.exists()


def test_a_malformed_mail_is_skipped_and_counted(tmp_path, api_users):
    no_date = _mail("<nodate@x>", "No date", "text")
    del no_date["Date"]
    no_sender = _mail("<nofrom@x>", "No sender", "text")
    del no_sender["From"]
    empty = _mail("<empty@x>", "Empty", "   \n")
    path = _mbox(tmp_path, [no_date, _mail("<ok@x>", "Fine", "text"), no_sender, empty])
    stdout, stderr = _import(path)
    assert _last_json(stdout) == {"messages": 4, "topics": 1, "posts": 1, "skipped": 3}
    assert "no usable Date" in stderr
    assert "<nofrom@x>" in stderr
    assert "4/4 mails" in stderr  # the progress line
    assert Topic.objects.get().title == "Fine"


def test_an_html_only_mail_is_imported_as_its_text(tmp_path, api_users):
    message = _mail("<h@x>", "HTML", "x")
    message.set_content("<p>Use <b>/read-limited</b>.</p><script>alert(1)</script>", subtype="html")
    _import(_mbox(tmp_path, [message]))
    post = Post.objects.get()
    assert "/read-limited" in post.body_html
    assert "<script" not in post.body_html
    assert "alert" not in post.body_html


def test_an_unknown_forum_is_an_error(tmp_path, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        _import(_thread(tmp_path), forum="nope")


def test_the_topic_page_shows_an_outside_author_by_name(client, tmp_path, api_users):
    _import(_thread(tmp_path))
    topic = Topic.objects.get()
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "Outside Olga" in page
    assert "former list member" in page
    assert "olga@elsewhere.example" not in page


@pytest.mark.parametrize(
    ("subject", "key"),
    [
        ("Re: [api-users] Token  Expiry", "token expiry"),
        ("[api-users] Re: Fwd: token expiry", "token expiry"),
        ("AW: Re[2]: token expiry", "token expiry"),
        ("Token expiry", "token expiry"),
    ],
)
def test_subjects_compare_without_prefixes_and_tags(subject, key):
    assert parsing.subject_key(subject) == key


def test_mail_text_is_shown_as_it_was_not_as_markdown():
    from core.markdown import render_markdown

    text = "Hi *all*,\n# not a heading\n1. not a list\n\n> quoted\n> more\n-- \nOlga"
    html = render_markdown(parsing.mail_text_as_markdown(text))
    assert "<em>" not in html
    assert "<h1>" not in html
    assert "<ol>" not in html
    assert "<h2>" not in html  # the signature's "-- " is no setext underline
    assert "*all*" in html
    assert "# not a heading" in html
    assert "<blockquote>" in html
    assert "<br" in html


def test_imported_topics_show_on_the_cached_forum_page_at_once(client, tmp_path, api_users):
    assert "Token expiry" not in client.get("/forums/api-users/").content.decode()
    _import(_thread(tmp_path))
    page = client.get("/forums/api-users/").content.decode()
    assert "Token expiry" in page
    assert "Outside Olga" in page


def test_a_mail_google_groups_sent_in_its_own_name_is_its_authors(tmp_path, api_users, ana):
    rewritten = _mail(
        "<g@x>",
        "Scopes",
        "Which scope?",
        sender="'Ana Author' via ORCID API Users <orcid-api-users@googlegroups.com>",
    )
    rewritten["X-Original-Sender"] = "ana@example.org"
    outside = _mail(
        "<o@x>",
        "Re: Scopes",
        "/read-limited",
        sender="'Olga' via ORCID API Users <orcid-api-users@googlegroups.com>",
        in_reply_to="<g@x>",
        when=datetime(2015, 3, 3, tzinfo=UTC),
    )
    _import(_mbox(tmp_path, [rewritten, outside]))
    assert Post.objects.get(message_id="<g@x>").author == ana
    olga = Post.objects.get(message_id="<o@x>")
    assert (olga.author, olga.author_name) == (None, "Olga")


def test_a_reply_dated_before_its_question_still_joins_its_topic(tmp_path, api_users):
    path = _mbox(
        tmp_path,
        [
            _mail("<late@x>", "Clock skew", "The question.", when=datetime(2015, 3, 2, tzinfo=UTC)),
            _mail(
                "<early@x>",
                "Re: Clock skew",
                "An answer from a wrong clock.",
                when=datetime(2015, 3, 1, tzinfo=UTC),
                in_reply_to="<late@x>",
            ),
        ],
    )
    stdout, _err = _import(path)
    assert _last_json(stdout) == {"messages": 2, "topics": 1, "posts": 2, "skipped": 0}
    first = Post.objects.get(is_first=True)
    assert first.message_id == "<late@x>"
    assert Post.objects.get(message_id="<early@x>").topic == first.topic


def test_staff_find_an_imported_post_by_its_message_id_in_the_admin(client, tmp_path, api_users):
    from tests.factories.accounts import staff_person

    _import(_thread(tmp_path))
    client.force_login(staff_person("Community staff"))
    page = client.get("/admin/forums/post/", {"q": "<b@x>"}).content.decode()
    assert "1 result" in page
    assert "Support" in page


def test_only_the_portal_or_a_moderator_imports(api_users, ben):
    from core.errors import NotAllowed
    from forums import services

    when = datetime(2015, 3, 2, tzinfo=UTC)
    with pytest.raises(NotAllowed):
        services.topic_import(
            forum=api_users, by=ben, title="Mine", body="x", created_at=when, message_id="<m@x>"
        )
    topic = services.topic_import(
        forum=api_users, by=None, title="Mine", body="x", created_at=when, message_id="<m@x>"
    )
    with pytest.raises(services.AlreadyImported):
        services.post_import(topic=topic, by=None, body="y", created_at=when, message_id="<m@x>")
    assert Post.objects.count() == 1


def test_nothing_is_imported_into_the_ideas_forum(db):
    from core.errors import RuleViolation
    from forums import services
    from tests.factories.forums import ForumFactory

    ideas = ForumFactory(slug="ideas", name="iDeas", kind="ideas")
    with pytest.raises(RuleViolation):
        services.topic_import(
            forum=ideas,
            by=None,
            title="An idea",
            body="x",
            created_at=datetime(2015, 3, 2, tzinfo=UTC),
            message_id="<i@x>",
        )


# A live reply by mail to a mail of the imported archive (the API Users group's mail
# programs keep their Message-IDs): it joins that mail's topic, by the rules of every
# reply to the forum's address (DMARC passed, a verified address of a person).
LIVE = "community.orcid.example"
PASSED = {"Authentication-Results": f"mx.{LIVE}; dmarc=pass header.from=example.org"}


def _live_reply(*, references, in_reply_to=None, sender="ben@example.org", headers=PASSED):
    from inbound.services import message_receive  # the live path, beside the import's
    from tests.helpers import mail_bytes

    threading = {"References": " ".join(references)}
    if in_reply_to:
        threading["In-Reply-To"] = in_reply_to
    raw = mail_bytes(
        to=f"api-users@{LIVE}",
        sender=sender,
        subject="Re: [orcid-api-users] Token expiry",
        text="Still true in 2026.\n\nOn Mon, Mar 2, 2015, Support wrote:\n> Tokens last 20 years.",
        headers={**headers, **threading},
    )
    return message_receive(raw=raw, recipient=f"api-users@{LIVE}")


def test_a_live_reply_to_an_imported_mail_joins_its_topic(tmp_path, api_users, ben):
    _import(_thread(tmp_path))
    topic = Topic.objects.get()
    result = _live_reply(in_reply_to="<b@x>", references=["<a@x>", "<b@x>"])
    post = Post.objects.get(pk=result.post_id)
    assert (result.outcome, post.topic, post.author, post.body) == (
        "posted",
        topic,
        ben,
        "Still true in 2026.",
    )
    assert Topic.objects.count() == 1
    topic.refresh_from_db()
    assert (topic.reply_count, topic.last_post_author) == (3, ben)


def test_a_live_reply_whose_parent_is_not_imported_joins_the_nearest_imported_mail_s_topic(
    tmp_path, api_users, ben
):
    _import(_thread(tmp_path))
    # Its parent (the last References) was never archived; the thread's start was.
    result = _live_reply(references=["<a@x>", "<lost@elsewhere.example>"])
    assert Post.objects.get(pk=result.post_id).topic == Topic.objects.get()


def test_a_live_reply_to_a_mail_imported_into_another_forum_starts_a_topic(
    tmp_path, api_users, ben
):
    from tests.factories.forums import ForumFactory

    ForumFactory(slug="other-list", name="Other list")
    _import(_thread(tmp_path), forum="other-list")
    result = _live_reply(in_reply_to="<b@x>", references=["<a@x>", "<b@x>"])
    post = Post.objects.get(pk=result.post_id)
    assert (post.topic.forum, post.is_first) == (api_users, True)


def test_a_live_reply_to_an_imported_mail_from_an_unverified_or_unauthenticated_sender_is_refused(
    tmp_path, api_users, ben
):
    _import(_thread(tmp_path))
    unknown = _live_reply(references=["<b@x>"], sender="stranger@example.org")
    spoofed = _live_reply(
        references=["<b@x>"],
        headers={"Authentication-Results": f"mx.{LIVE}; dmarc=fail header.from=example.org"},
    )
    assert [(r.outcome, r.reason) for r in (unknown, spoofed)] == [
        ("refused", "unknown_sender"),
        ("refused", "not_authenticated"),
    ]
    assert Post.objects.count() == 3
