"""Daily and weekly digests: one mail per person, list and period, only what they may see."""

from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contributors.services import membership_add
from forums import digests
from forums import services as forums
from forums.models import Post
from mail import services
from mail.models import Delivery, DigestRun
from tests.factories.accounts import person, with_two_factor
from tests.factories.contributors import GroupFactory
from tests.helpers import watch

pytestmark = pytest.mark.django_db


def soon():
    """A run's time for which every post made so far has settled (digests.SETTLE)."""
    return timezone.now() + digests.SETTLE + timedelta(seconds=1)


def run_digest(capture, mode="daily", now=None, **kwargs):
    with capture(execute=True):
        return digests.digest_send(mode=mode, now=now or soon(), **kwargs)


def post_dated(topic, author, body, created_at):
    """A reply written now, dated ``created_at`` (when it was inserted, in the digest's eyes)."""
    post = forums.post_create(topic=topic, by=author, body=body)
    Post.objects.filter(pk=post.pk).update(created_at=created_at)
    return post


def mails_to(user):
    return [m for m in outbox.outbox if m.to == [user.email]]


@pytest.fixture
def busy(api_users, general, ana):
    """Two topics in the API users forum, one in the general forum, all new today."""
    tokens = forums.topic_create(forum=api_users, by=ana, title="Tokens", body="Token **401**")
    forums.post_create(topic=tokens, by=ana, body="Solved: refresh the token")
    scopes = forums.topic_create(forum=api_users, by=ana, title="Scopes", body="Which scope?")
    chat = forums.topic_create(forum=general, by=ana, title="Hello all", body="Welcome!")
    outbox.outbox.clear()
    return {"tokens": tokens, "scopes": scopes, "chat": chat}


def test_each_daily_subscriber_gets_exactly_one_digest_grouped_by_forum_and_topic(
    busy, api_users, ben, django_capture_on_commit_callbacks
):
    watch(ben, "daily", forum=api_users)
    now = soon()
    run = run_digest(django_capture_on_commit_callbacks, now=now)
    [message] = mails_to(ben)
    assert message.subject == f"Daily digest of ORCID API Users list, {now:%Y-%m-%d}"
    text = message.body
    assert text.startswith("Hello Ben Reader,")
    assert "== ORCID API Users ==" in text
    assert text.index("--- Tokens ---") < text.index("--- Scopes ---")
    assert "2 new messages: http://127.0.0.1:8000" + busy["tokens"].get_absolute_url() in text
    assert "Solved: refresh the token" in text
    assert "Welcome!" not in text  # the general forum is not Ben's
    html, _mimetype = message.alternatives[0]
    assert "<strong>401</strong>" in html
    assert f'href="http://127.0.0.1:8000{busy["scopes"].get_absolute_url()}"' in html
    assert message.extra_headers["List-Id"] == "<api-users.community.orcid.example>"
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8000/mail/unsubscribe/"
    )
    delivery = Delivery.objects.get(recipient=ben)
    assert (delivery.period, delivery.state) == (f"daily:{now:%Y-%m-%d}", "sent")
    run.refresh_from_db()
    assert (run.total, run.sent, run.progress) == (1, 1, "1/1 (100%)")


def test_a_rerun_of_the_same_period_sends_nothing_twice(
    busy, api_users, ben, cleo, django_capture_on_commit_callbacks
):
    watch(ben, "daily", forum=api_users)
    now = soon()
    run_digest(django_capture_on_commit_callbacks, now=now)
    watch(cleo, "daily", forum=api_users)  # joins after the run: the rerun catches her up
    run_digest(django_capture_on_commit_callbacks, now=now + timedelta(minutes=5))
    assert len(mails_to(ben)) == 1
    assert len(mails_to(cleo)) == 1
    assert DigestRun.objects.count() == 1
    assert Delivery.objects.count() == 2


def test_nothing_new_means_no_mail(api_users, ben, django_capture_on_commit_callbacks):
    watch(ben, "daily", forum=api_users)
    run = run_digest(django_capture_on_commit_callbacks)
    assert outbox.outbox == []
    assert run.total == 0
    assert not Delivery.objects.exists()


def test_the_next_digest_has_only_what_is_new_since_the_last_one(
    busy, api_users, ana, ben, django_capture_on_commit_callbacks
):
    watch(ben, "daily", forum=api_users)
    first = soon()
    run_digest(django_capture_on_commit_callbacks, now=first)
    post_dated(busy["scopes"], ana, "Use /read-public", first + timedelta(hours=3))
    outbox.outbox.clear()
    run_digest(django_capture_on_commit_callbacks, now=first + timedelta(days=1))
    [message] = mails_to(ben)
    assert "Use /read-public" in message.body
    assert "--- Tokens ---" not in message.body
    assert "1 new message:" in message.body


def test_a_post_that_commits_after_a_run_is_in_the_next_digest(
    busy, api_users, ana, ben, django_capture_on_commit_callbacks
):
    """A post is inserted (created_at) before the run but committed just after it."""
    watch(ben, "daily", forum=api_users)
    first = soon()
    run_digest(django_capture_on_commit_callbacks, now=first)
    post_dated(busy["scopes"], ana, "Late commit", first - timedelta(seconds=1))
    outbox.outbox.clear()
    run_digest(django_capture_on_commit_callbacks, now=first + timedelta(days=1))
    [message] = mails_to(ben)
    assert "Late commit" in message.body


def test_a_missed_day_run_again_after_the_next_digest_sends_nothing_twice(
    busy, api_users, ana, ben, django_capture_on_commit_callbacks
):
    """send_digests(now=…) runs a missed period again; the next run already caught it up."""
    watch(ben, "daily", forum=api_users)
    first = soon()
    run_digest(django_capture_on_commit_callbacks, now=first)
    post_dated(busy["scopes"], ana, "Posted the missed day", first + timedelta(hours=3))
    run_digest(django_capture_on_commit_callbacks, now=first + timedelta(days=2))
    assert "Posted the missed day" in mails_to(ben)[-1].body
    outbox.outbox.clear()

    run_digest(django_capture_on_commit_callbacks, now=first + timedelta(days=1))

    assert mails_to(ben) == []
    assert Delivery.objects.filter(recipient=ben).count() == 2


@pytest.mark.parametrize(
    ("mode", "gets_daily", "gets_weekly"),
    [
        ("each", False, False),
        ("none", False, False),
        ("daily", True, False),
        ("weekly", False, True),
    ],
)
def test_the_delivery_mode_decides_which_digest(
    busy, api_users, ben, mode, gets_daily, gets_weekly, django_capture_on_commit_callbacks
):
    watch(ben, mode, forum=api_users)
    run_digest(django_capture_on_commit_callbacks, mode="daily")
    assert len(mails_to(ben)) == int(gets_daily)
    outbox.outbox.clear()
    run_digest(django_capture_on_commit_callbacks, mode="weekly")
    assert len(mails_to(ben)) == int(gets_weekly)
    if gets_weekly:
        assert mails_to(ben)[0].subject.startswith("Weekly digest of ORCID API Users list")
        assert Delivery.objects.get().period.startswith("weekly:")


def test_a_watched_topic_alone_brings_only_that_topic(
    busy, ben, django_capture_on_commit_callbacks
):
    watch(ben, "daily", topic=busy["scopes"])
    run_digest(django_capture_on_commit_callbacks)
    [message] = mails_to(ben)
    assert "== ORCID API Users ==" in message.body
    assert "--- Scopes ---" in message.body
    assert "--- Tokens ---" not in message.body


def test_a_muted_topic_is_left_out_of_its_forums_digest(
    busy, api_users, ben, django_capture_on_commit_callbacks
):
    watch(ben, "daily", forum=api_users)
    watch(ben, "none", topic=busy["tokens"])
    run_digest(django_capture_on_commit_callbacks)
    [message] = mails_to(ben)
    assert "--- Scopes ---" in message.body
    assert "--- Tokens ---" not in message.body


def test_each_list_has_its_own_digest(
    busy, api_users, general, ben, django_capture_on_commit_callbacks
):
    watch(ben, "daily", forum=api_users)
    watch(ben, "daily", forum=general)
    run_digest(django_capture_on_commit_callbacks)
    lists = sorted(m.extra_headers["List-Id"] for m in mails_to(ben))
    assert lists == ["<api-users.community.orcid.example>", "<forum-watch.community.orcid.example>"]


def test_private_posts_never_reach_a_non_member(
    busy, api_users, ana, ben, cleo, django_capture_on_commit_callbacks
):
    group = GroupFactory(name="Steering", slug="steering", kind="steering")
    private = forums.forum_create(
        slug="steering", name="Steering", kind="group", group=group, is_private=True
    )
    membership_add(group=group, user=ana)
    membership_add(group=group, user=cleo)
    forums.topic_create(forum=private, by=ana, title="Confidential budget", body="secret")
    watch(cleo, "daily", forum=private)
    watch(ben, "daily", forum=api_users)
    # Ben could watch it while he was a member; he no longer is.
    membership_add(group=group, user=ben)
    watch(ben, "daily", forum=private)
    from contributors.models import Membership

    Membership.objects.filter(user=ben).delete()
    run_digest(django_capture_on_commit_callbacks)
    ben_text = "".join(m.body + m.alternatives[0][0] for m in mails_to(ben))
    assert "Tokens" in ben_text
    assert "Confidential" not in ben_text
    assert "secret" not in ben_text
    [cleo_mail] = mails_to(cleo)
    assert "Confidential budget" in cleo_mail.body


def test_unsubscribing_stops_digests(busy, api_users, ben, django_capture_on_commit_callbacks):
    watch(ben, "daily", forum=api_users)
    services.unsubscribe(user_id=ben.pk, list_id="api-users")
    run_digest(django_capture_on_commit_callbacks)
    assert outbox.outbox == []


def test_unsubscribing_between_writing_and_sending_skips_the_digest(
    busy, api_users, ben, django_capture_on_commit_callbacks
):
    watch(ben, "daily", forum=api_users)
    with django_capture_on_commit_callbacks(execute=False):
        digests.digest_send(mode="daily", now=soon())
    services.unsubscribe(user_id=ben.pk, list_id="api-users")
    ids = list(Delivery.objects.values_list("pk", flat=True))
    assert services.deliveries_send_batch(delivery_ids=ids)["sent"] == []
    assert outbox.outbox == []
    assert Delivery.objects.get().state == "skipped"


def test_a_batch_sent_twice_sends_each_digest_once(
    busy, api_users, ben, cleo, django_capture_on_commit_callbacks
):
    watch(ben, "daily", forum=api_users)
    watch(cleo, "weekly", forum=api_users)
    watch(cleo, "daily", topic=busy["scopes"])
    with django_capture_on_commit_callbacks(execute=False):
        digests.digest_send(mode="daily", now=soon())
    ids = list(Delivery.objects.values_list("pk", flat=True))
    assert len(services.deliveries_send_batch(delivery_ids=ids)["sent"]) == 2
    # A worker that picked up the same batch (redelivery, the sweep) finds nothing to send.
    assert services.deliveries_send_batch(delivery_ids=ids)["sent"] == []
    assert services.delivery_send(delivery_id=ids[0]) == "sent"
    assert sorted(m.to[0] for m in outbox.outbox) == sorted([ben.email, cleo.email])


def test_a_digest_is_sent_by_the_single_delivery_path_too(
    busy, api_users, ben, django_capture_on_commit_callbacks
):
    """The sweep may hand a digest row to send_delivery: it assembles the same mail."""
    watch(ben, "daily", forum=api_users)
    with django_capture_on_commit_callbacks(execute=False):
        digests.digest_send(mode="daily", now=soon())
    services.digest_sections_forget()  # another process: sections come from the database
    assert services.delivery_send(delivery_id=Delivery.objects.get().pk) == "sent"
    assert "--- Tokens ---" in outbox.outbox[0].body
    assert DigestRun.objects.get().sent == 1


class WorkerKilled(Exception):
    """Stands in for a kill -9 of the worker in the middle of building a run."""


def half_built(capture, monkeypatch, *, batches: int):
    """A daily run whose worker died after writing ``batches`` batches of one person."""
    write = digests.digest_batch_write
    written = []

    def write_then_die(**kwargs):
        if len(written) == batches:
            raise WorkerKilled
        written.append(kwargs["user_ids"])
        return write(**kwargs)

    monkeypatch.setattr(digests, "digest_batch_write", write_then_die)
    with capture(execute=True), pytest.raises(WorkerKilled):
        digests.digest_send(mode="daily", now=soon(), batch_size=1)
    monkeypatch.setattr(digests, "digest_batch_write", write)
    return DigestRun.objects.get()


def stall(run, seconds):
    DigestRun.objects.filter(pk=run.pk).update(
        progressed_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_run_left_half_built_is_completed_by_the_sweep_and_nobody_gets_two(
    busy, api_users, ben, cleo, django_capture_on_commit_callbacks, monkeypatch, settings
):
    readers = sorted([ben, cleo, person(name="Dan Reader")], key=lambda p: p.pk)
    for reader in readers:
        watch(reader, "daily", forum=api_users)
    run = half_built(django_capture_on_commit_callbacks, monkeypatch, batches=1)
    assert (run.built_at, run.total, run.cursor) == (None, 1, readers[0].pk)
    assert [m.to for m in outbox.outbox] == [[readers[0].email]]  # its batch went out

    stall(run, settings.MAIL_STALE_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_runs_resume_stalled() == 1

    run.refresh_from_db()
    assert run.built_at is not None
    assert (run.total, run.sent) == (3, 3)
    assert sorted(m.to[0] for m in outbox.outbox) == sorted(r.email for r in readers)
    # Built: later sweeps, and the dead worker's own task when the broker hands it back
    # (a rerun of the period), send nobody a second digest.
    stall(run, settings.MAIL_STALE_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_runs_resume_stalled() == 0
        digests.digest_resume(run_id=run.pk)
    run_digest(django_capture_on_commit_callbacks, now=run.until + digests.SETTLE)
    assert len(outbox.outbox) == 3
    assert Delivery.objects.count() == 3


def test_the_sweep_leaves_a_run_alone_while_its_building_moves(
    busy, api_users, ben, cleo, django_capture_on_commit_callbacks, monkeypatch, settings
):
    for reader in (ben, cleo):
        watch(reader, "daily", forum=api_users)
    run = half_built(django_capture_on_commit_callbacks, monkeypatch, batches=1)
    stall(run, settings.MAIL_STALE_AFTER_SECONDS - 5)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_runs_resume_stalled() == 0
    assert DigestRun.objects.get().total == 1
    # Once stalled, it is handed back once: the claim keeps the next sweep off it.
    stall(run, settings.MAIL_STALE_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.digest_runs_resume_stalled() == 1
        assert services.digest_runs_resume_stalled() == 0
    assert len(callbacks) == 1


def test_a_resumed_run_and_a_concurrent_rerun_write_each_digest_once(
    busy, api_users, ben, cleo, django_capture_on_commit_callbacks, monkeypatch
):
    for reader in (ben, cleo):
        watch(reader, "daily", forum=api_users)
    run = half_built(django_capture_on_commit_callbacks, monkeypatch, batches=1)
    with django_capture_on_commit_callbacks(execute=False):
        digests.digest_resume(run_id=run.pk)  # written, not yet sent
        digests.digest_resume(run_id=run.pk)
    with django_capture_on_commit_callbacks(execute=True):
        # The unique constraint (recipient, kind, list, period) keeps the rows to one each.
        Delivery.objects.filter(state="pending").update(queued_at=None)
        services.deliveries_requeue_stale()
    assert sorted(m.to[0] for m in outbox.outbox) == sorted([ben.email, cleo.email])
    assert DigestRun.objects.get().total == 2


def test_beat_sweeps_stalled_digest_runs_as_often_as_stale_deliveries(settings):
    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    sweep = schedule["mail.tasks.requeue_stale_deliveries"]
    assert schedule["mail.tasks.resume_stalled_digests"] == sweep


def test_each_insert_branch_writes_a_batch_once_queued(vendor_branch, ben, cleo):
    """PostgreSQL's one statement and the ORM's insert (SQLite) write a batch alike."""
    now = timezone.now()
    run = DigestRun.objects.create(
        kind=digests.KIND, period="daily:2026-12-07", since=now - timedelta(days=1), until=now
    )
    row = {
        ben: (ben.pk, "api-users", ben.email, "Daily digest", "en _head:api-users F1", ""),
        cleo: (
            cleo.pk,
            "forum-watch",
            cleo.email,
            "Tägliche Übersicht",
            "de H2 T3",
            "reply+k3y@community.orcid.example",
        ),
    }
    assert services.digest_deliveries_write(run=run, rows=[row[ben]]) == 1
    # A rerun of the batch with someone new: only the new row is written, and counted.
    assert services.digest_deliveries_write(run=run, rows=[row[ben], row[cleo]]) == 1
    written = {d.recipient_id: d for d in Delivery.objects.all()}
    assert set(written) == {ben.pk, cleo.pk}
    for person_, (_user_id, list_id, email, subject, parts, reply_to) in row.items():
        delivery = written[person_.pk]
        assert (
            delivery.list_id,
            delivery.to_email,
            delivery.subject,
            delivery.parts,
            delivery.reply_to,
        ) == (list_id, email, subject, parts, reply_to)
        assert delivery.about == f"{digests.KIND}:{list_id}"
        assert (delivery.kind, delivery.period, delivery.digest_run_id) == (
            run.kind,
            run.period,
            run.pk,
        )
        assert (delivery.state, delivery.attempts) == ("pending", 0)
        assert delivery.queued_at is not None
        assert delivery.created_at is not None
        assert (delivery.body_text, delivery.body_html) == ("", "")


def _batch_queries(run, plan, user_ids, capture):
    services.digest_sections_forget()
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        digests.digest_batch_write(run=run, plan=plan, mode="daily", user_ids=user_ids)
    return len(queries)


def test_a_batch_runs_a_fixed_number_of_queries_whatever_its_size(
    busy, api_users, general, django_capture_on_commit_callbacks
):
    first = person(name="Reader first")
    watch(first, "daily", forum=general)
    people = [person(name=f"Reader {i}") for i in range(12)]
    for i, reader in enumerate(people):
        watch(reader, "daily", forum=api_users if i % 2 else general)
        if i % 3 == 0:
            watch(reader, "daily", topic=busy["scopes"])
    with django_capture_on_commit_callbacks(execute=False):
        run, plan = digests.digest_prepare(mode="daily", now=soon())
    # A first batch settles what the test's own transaction owed the page cache, so that
    # the two measured ones start alike.
    _batch_queries(run, plan, [first.pk], django_capture_on_commit_callbacks)
    small = _batch_queries(
        run, plan, [p.pk for p in people[:3]], django_capture_on_commit_callbacks
    )
    large = _batch_queries(
        run, plan, [p.pk for p in people[3:]], django_capture_on_commit_callbacks
    )
    # Seven read the general forum (one topic: a reply key each), six the API users list;
    # two of the general readers also watch Scopes (one topic there too).
    assert len(outbox.outbox) == 15
    assert small == large
    # write: 7 queries, the one-topic digests' reply keys 3 and the page cache's outbox
    # row; enqueue: 1; send: the claim (lock, update and a savepoint pair), the people, the
    # unsubscriptions and the addresses stopped by bounces of the batch, its commit mode set
    # and reset and the run's progress, then one update per chunk of mails.
    assert small <= 23


def test_staff_see_the_progress_of_a_run_in_the_admin(
    busy, api_users, ben, client, django_capture_on_commit_callbacks
):
    watch(ben, "daily", forum=api_users)
    run_digest(django_capture_on_commit_callbacks)
    client.force_login(with_two_factor(person(is_staff=True, is_superuser=True)))
    page = client.get("/admin/mail/digestrun/")
    assert page.status_code == 200
    assert "1/1 (100%)" in page.content.decode()
    delivery = Delivery.objects.get()
    detail = client.get(f"/admin/mail/delivery/{delivery.pk}/change/")
    assert detail.status_code == 200
    assert "--- Tokens ---" in detail.content.decode()


def test_staff_see_how_far_a_running_digest_is(client):
    now = timezone.now()
    DigestRun.objects.create(
        kind=digests.KIND,
        period="daily:2026-11-24",
        since=now - timedelta(days=1),
        until=now,
        total=1500,
        sent=500,
    )
    client.force_login(with_two_factor(person(is_staff=True, is_superuser=True)))
    page = client.get("/admin/mail/digestrun/").content.decode()
    assert "500/1500 (33%)" in page


def transfer_encodings(message) -> list[str]:
    mime = message.message()
    return [part["Content-Transfer-Encoding"] for part in mime.walk() if not part.is_multipart()]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("A short reply: refresh the token.", "8bit"),
        ("https://orcid.org/" + "x" * 1200, "quoted-printable"),  # over RFC 5322's 998
        ("Ответ " * 100, "quoted-printable"),  # 600 characters, 1,100 bytes
        ("Ответ " * 90, "8bit"),  # 540 characters, 990 bytes
    ],
)
def test_a_digest_part_is_encoded_as_django_would_without_measuring_it_again(
    line, expected, api_users, ana, ben, django_capture_on_commit_callbacks
):
    """The sections' line lengths are measured once, when loaded, not in each mail."""
    forums.topic_create(forum=api_users, by=ana, title="Long lines", body=line)
    watch(ben, "daily", forum=api_users)
    outbox.outbox.clear()
    run_digest(django_capture_on_commit_callbacks)
    [message] = mails_to(ben)
    assert message.encoding is not None  # known from the sections: Django does not measure
    assert transfer_encodings(message) == [expected, expected]
    message.encoding = None  # what Django decides on its own, part by part
    assert transfer_encodings(message) == [expected, expected]
    assert line.strip() in message.message().get_payload()[0].get_payload(decode=True).decode()


@pytest.mark.parametrize(
    ("states", "long"),
    [
        (["closed", "closed", "open"], False),  # the last section may end without a break
        (["closed", "long", "closed"], True),
        (["open", "closed"], None),  # a line may run on into the next section
        (["open", "long"], True),
    ],
)
def test_a_digest_part_has_a_long_line_when_a_section_has_one(states, long):
    assert services._joined_long(states) is long
    assert services._line_state("x" * 999) == "long"
    assert services._line_state("é" * 500 + "\n") == "long"  # 1,000 bytes
    assert services._line_state("é" * 499 + "\n") == "closed"
    assert services._line_state("short, no break") == "open"


def test_a_digest_of_one_topic_can_be_answered_by_mail_and_one_of_several_cannot(
    busy, api_users, ben, cleo, django_capture_on_commit_callbacks
):
    from forums.models import ReplyKey
    from inbound.services import message_receive
    from tests.helpers import mail_bytes

    watch(ben, "daily", topic=busy["scopes"])  # one topic
    watch(cleo, "daily", forum=api_users)  # two topics
    run_digest(django_capture_on_commit_callbacks)
    [to_ben] = mails_to(ben)
    key = ReplyKey.objects.get(user=ben, topic=busy["scopes"]).key
    assert to_ben.reply_to == [f"reply+{key}@community.orcid.example"]
    [to_cleo] = mails_to(cleo)
    assert to_cleo.reply_to == []  # no one topic a reply could go to
    assert not ReplyKey.objects.filter(user=cleo).exists()

    raw = mail_bytes(
        to=to_ben.reply_to[0],
        sender="Ben Reader <ben@example.org>",
        subject=f"Re: {to_ben.subject}",
        text="Try /read-limited.\n\nOn Mon, Dec 7, 2026, the digest wrote:\n> Which scope?\n",
    )
    result = message_receive(raw=raw, recipient=to_ben.reply_to[0])
    assert result.outcome == "posted"
    post = Post.objects.get(pk=result.post_id)
    assert (post.topic, post.author, post.body) == (busy["scopes"], ben, "Try /read-limited.")
