import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mail import services
from mail.models import Delivery, Unsubscription
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEMPLATE = "mail/email/test_notice"


def notify(people, *, about="test:1", period="", **more):
    return services.deliver(
        **more,
        recipients=people,
        kind="test.notice",
        about=about,
        subject="Notice about %(thing)s",
        subject_params={"thing": "the portal"},
        template=TEMPLATE,
        context={"message": "Something happened."},
        list_id="tests",
        period=period,
    )


def test_each_recipient_gets_one_two_part_mail_with_list_headers(
    django_capture_on_commit_callbacks,
):
    ana, ben = UserFactory(name="Ana"), UserFactory(name="Ben")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify([ana, ben]) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ana.email, ben.email])
    message = next(m for m in mail.outbox if m.to == [ana.email])
    assert message.subject == "Notice about the portal"
    assert "Hello Ana," in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Something happened." in html
    assert message.extra_headers["List-Id"] == "<tests.community.orcid.example>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8000/mail/unsubscribe/"
    )
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_nothing_is_sent_before_the_transaction_commits(django_capture_on_commit_callbacks):
    person = UserFactory()  # (saving a person also schedules a cache bump: core.cache)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([person])
    assert mail.outbox == []
    assert Delivery.objects.get().state == "pending"
    assert len(callbacks) == 1


def test_the_same_thing_is_never_delivered_twice_to_a_person(django_capture_on_commit_callbacks):
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notify([person])
        assert notify([person]) == 0
        notify([person, person])
    assert len(mail.outbox) == 1
    assert Delivery.objects.count() == 1
    # A new period (digests) is a new delivery.
    with django_capture_on_commit_callbacks(execute=True):
        notify([person], period="2026-11-23")
    assert len(mail.outbox) == 2


def test_the_mail_of_an_event_is_handed_to_one_send_task_as_it_is_written(
    django_capture_on_commit_callbacks,
):
    """The rows are written handed over (``queued_at``) and their ids go to one task after
    commit: no lookup of them and no second write. A row of a person who left the list is
    written skipped and handed to nobody."""
    ana, ben, cy = UserFactory.create_batch(3)
    Unsubscription.objects.create(user=cy, list_id="tests")
    with (
        mock.patch("mail.tasks.send_delivery_batch.delay") as delay,
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notify([ana, ben, cy]) == 3
    rows = {row.recipient_id: row for row in Delivery.objects.all()}
    delay.assert_called_once()
    assert sorted(delay.call_args.args[0]) == sorted([rows[ana.pk].pk, rows[ben.pk].pk])
    assert rows[ana.pk].queued_at is not None
    assert rows[ben.pk].queued_at is not None
    assert (rows[cy.pk].state, rows[cy.pk].queued_at) == ("skipped", None)
    delivery_queries = [q["sql"] for q in queries.captured_queries if "mail_delivery" in q["sql"]]
    assert [sql.split()[0] for sql in delivery_queries] == ["SELECT", "INSERT"]


def test_a_delivery_a_concurrent_writer_made_first_stands_as_it_wrote_it(
    django_capture_on_commit_callbacks,
):
    person = UserFactory()
    theirs = Delivery.objects.create(
        recipient=person,
        kind="test.notice",
        about="test:1",
        list_id="tests",
        to_email=person.email,
        subject="Theirs",
        body_text="t",
        body_html="h",
        state="sent",
    )
    # ``fresh``: written as if no delivery had been there when the event was read.
    with django_capture_on_commit_callbacks(execute=True):
        notify([person], fresh=True)
    row = Delivery.objects.get()
    assert (row.pk, row.subject, row.state) == (theirs.pk, "Theirs", "sent")
    assert mail.outbox == []  # handed over all the same: the send task takes only pending


def test_the_database_refuses_a_duplicate_delivery():
    from django.db import IntegrityError

    person = UserFactory()
    fields = dict(recipient=person, kind="k", about="a", period="", list_id="l", to_email="x@e.org")
    Delivery.objects.create(**fields, subject="s", body_text="t", body_html="h")
    with pytest.raises(IntegrityError):
        Delivery.objects.create(**fields, subject="s2", body_text="t", body_html="h")


def test_sending_a_delivery_again_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify([UserFactory()])
    delivery = Delivery.objects.get()
    assert services.delivery_send(delivery_id=delivery.pk) == "sent"
    assert len(mail.outbox) == 1


def test_smtp_errors_count_attempts_then_end_failed(django_capture_on_commit_callbacks):
    person = UserFactory()
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=smtplib.SMTPServerDisconnected("gone"),
        ),
        django_capture_on_commit_callbacks(execute=False),
    ):
        notify([person])
        delivery = Delivery.objects.get()
        for _ in range(services.MAX_ATTEMPTS - 1):
            assert services.delivery_send(delivery_id=delivery.pk) == "pending"
        assert services.delivery_send(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.attempts == services.MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    assert "SMTPServerDisconnected" in delivery.last_error
    assert mail.outbox == []


def test_the_retry_schedule_spans_days_and_repeats_its_last_delay(settings):
    # 1, 5, 15 min, 1, 4, 12 h, then daily: ten attempts over about 3.7 days.
    delays = [services.retry_delay(n) for n in range(services.MAX_ATTEMPTS - 1)]
    assert delays == [60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 86400, 86400]
    assert 3 * 86400 < sum(delays) < 5 * 86400
    settings.MAIL_RETRY_SCHEDULE = [1.5, 3.0]
    assert [services.retry_delay(n) for n in range(4)] == [1.5, 3.0, 3.0, 3.0]


def test_the_send_tasks_never_retry_in_the_broker(django_capture_on_commit_callbacks):
    """A failed attempt's retry is the row's next attempt time, not a Celery countdown."""
    from mail.tasks import send_delivery, send_delivery_batch

    with django_capture_on_commit_callbacks(execute=False):
        notify([UserFactory()])
    pk = Delivery.objects.get().pk
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=smtplib.SMTPDataError(451, b"try later"),
        ),
        mock.patch.object(send_delivery, "retry") as single_retry,
        mock.patch.object(send_delivery_batch, "retry") as batch_retry,
    ):
        assert send_delivery.apply(args=[pk], throw=True).get() == "pending"
        counts = send_delivery_batch.apply(args=[[pk]], throw=True).get()
    assert counts == {"sent": 0, "skipped": 0, "failed": 0, "retry": 1}
    single_retry.assert_not_called()
    batch_retry.assert_not_called()
    assert Delivery.objects.get().attempts == 2


def test_broker_outage_leaves_deliveries_to_the_sweeps_next_run(
    django_capture_on_commit_callbacks,
):
    person = UserFactory()
    with (
        mock.patch(
            "mail.tasks.send_delivery_batch.delay", side_effect=ConnectionError("broker down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify([person])  # the event still succeeds
    delivery = Delivery.objects.get()
    assert delivery.state == "pending"
    assert delivery.queued_at is None  # no task holds it: due at the sweep's next run
    assert mail.outbox == []
    assert services.deliveries_requeue_stale() == 1
    assert len(mail.outbox) == 1
    assert Delivery.objects.get().state == "sent"


def test_a_broker_outage_in_a_batch_enqueue_is_logged_and_left_to_the_sweep(
    django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=False):
        notify(UserFactory.create_batch(3))
    ids = list(Delivery.objects.values_list("pk", flat=True))
    with mock.patch(
        "mail.tasks.send_delivery_batch.delay", side_effect=ConnectionError("broker down")
    ):
        services.enqueue_batch(ids)  # after commit: never raises
    assert "Broker unavailable" in caplog.text
    assert set(Delivery.objects.values_list("queued_at", flat=True)) == {None}
    assert services.deliveries_requeue_stale() == 3
    assert len(mail.outbox) == 3


def test_a_queued_delivery_is_taken_back_only_when_its_task_is_overdue(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        notify([UserFactory()])
    Delivery.objects.update(queued_at=timezone.now())  # a send task holds it
    assert services.deliveries_requeue_stale() == 0
    Delivery.objects.update(queued_at=timezone.now() - services.STALE_AFTER - timedelta(seconds=1))
    assert services.deliveries_requeue_stale() == 1  # the worker died with it
    assert Delivery.objects.get().state == "sent"


def test_one_click_unsubscribe_stops_further_mail(client, django_capture_on_commit_callbacks):
    person = UserFactory()
    token = services.unsubscribe_token(user_id=person.pk, list_id="tests")
    url = f"/mail/unsubscribe/{token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert not Unsubscription.objects.exists()  # GET only asks
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # no session, no CSRF token
    assert response.status_code == 200
    assert Unsubscription.objects.filter(user=person, list_id="tests").exists()
    with django_capture_on_commit_callbacks(execute=True):
        notify([person], about="test:2")
    assert mail.outbox == []
    assert Delivery.objects.get().state == "skipped"


@pytest.mark.parametrize("token", ["forged", "eyJ1IjoxfQ:1tX:bad-signature"])
def test_a_forged_token_gets_a_clear_400_page(client, token):
    response = client.post(f"/mail/unsubscribe/{token}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert not Unsubscription.objects.exists()


def test_an_expired_token_gets_a_clear_400_page(client):
    person = UserFactory()
    token = services.unsubscribe_token(user_id=person.pk, list_id="tests")
    later = timezone.now().timestamp() + services.UNSUBSCRIBE_MAX_AGE + 60
    with mock.patch("time.time", return_value=later):
        response = client.get(f"/mail/unsubscribe/{token}/")
    assert response.status_code == 400


def test_the_one_click_link_of_a_deleted_account_is_answered_not_an_error(client):
    person = UserFactory()
    token = services.unsubscribe_token(user_id=person.pk, list_id="tests")
    person.delete()
    response = client.post(f"/mail/unsubscribe/{token}/")
    assert response.status_code == 200
    assert not Unsubscription.objects.exists()


def test_user_text_in_a_plain_text_mail_is_escaped_once_in_its_html_part(
    django_capture_on_commit_callbacks,
):
    """A .txt-only mail (drawn with autoescape off) gets its HTML part from the text."""
    from consortia.models import Membership
    from tests.factories.consortia import ConsortiumFactory, OrganizationFactory

    requester = UserFactory(name="Ann <b>Bold</b>")
    consortium = ConsortiumFactory(name="R&D Consortium")
    membership = Membership(
        consortium=consortium,
        organization=OrganizationFactory(),
        message='Please <a href="https://evil.example">click</a> & join',
    )
    subject, text, html = services._render(
        "consortia/email/join_requested",
        {
            "recipient": requester,
            "membership": membership,
            "consortium": consortium,
            "requester": requester.display_name,
            "site_url": "http://127.0.0.1:8000",
            "list_name": "Consortia",
            "unsubscribe_url": "http://127.0.0.1:8000/mail/unsubscribe/x/",
        },
        "Join request",
        None,
    )
    assert 'Please <a href="https://evil.example">click</a> & join' in text
    assert "R&D Consortium" in text
    assert '<a href="https://evil.example">' not in html
    assert "&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt; &amp; join" in html
    assert "R&amp;D Consortium" in html
    assert "&amp;amp;" not in html


class WorkerKilled(BaseException):
    """What an OOM kill or a hard time limit looks like from inside the task."""


@pytest.fixture
def pending_batch(django_capture_on_commit_callbacks):
    """``pending_batch(n)``: the ids of n pending deliveries."""

    def make(n: int) -> list[int]:
        with django_capture_on_commit_callbacks(execute=False):
            notify(UserFactory.create_batch(n))
        return list(Delivery.objects.values_list("pk", flat=True))

    return make


def killed_mid_batch_then_swept(ids: list[int], monkeypatch) -> None:
    """Kill the send of 45 deliveries at its 26th mail, sweep: at most a chunk goes twice."""
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def dies_at_the_26th(self, messages):
        if len(mail.outbox) == 25:
            raise WorkerKilled
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", dies_at_the_26th)
    with pytest.raises(WorkerKilled):
        services.deliveries_send_batch(delivery_ids=ids)
    assert Delivery.objects.filter(state="sent").count() == 20  # two chunks recorded
    # The chunk in flight stays claimed; the ones after it were never tried.
    assert Delivery.objects.filter(state="sending").count() == 10
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    # The sweep, once the claim is stale, takes the chunk back and hands everything over.
    Delivery.objects.filter(state="sending").update(
        queued_at=timezone.now() - services.STALE_AFTER - timedelta(seconds=1)
    )
    assert services.deliveries_requeue_stale() == 25
    assert Delivery.objects.filter(state="sent").count() == 45
    resent = len(mail.outbox) - 45
    assert resent == 5  # only what the killed chunk had sent
    assert resent <= services.SEND_CHUNK


def test_a_worker_killed_mid_batch_resends_at_most_ten_mails(pending_batch, monkeypatch):
    assert services.SEND_CHUNK == 10  # issue 22: at most 10 duplicates per pool process
    killed_mid_batch_then_swept(pending_batch(45), monkeypatch)


def test_a_mail_server_that_cannot_be_reached_costs_no_attempt(pending_batch):
    ids = pending_batch(25)
    before = timezone.now()
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.open",
        side_effect=ConnectionRefusedError("no SMTP server"),
        create=True,
    ):
        outcome = services.deliveries_send_batch(delivery_ids=ids)
    assert sorted(outcome["retry"]) == sorted(ids)
    rows = Delivery.objects.all()
    assert {(d.state, d.attempts, d.queued_at) for d in rows} == {("pending", 0, None)}
    assert all("ConnectionRefusedError" in d.last_error for d in rows)
    first_delay = timedelta(seconds=services.retry_delay(0))
    assert all(d.next_attempt_at >= before + first_delay for d in rows)
    assert mail.outbox == []


def test_the_briefings_of_a_group_with_the_longest_slug_fit_the_list_columns(
    client, django_capture_on_commit_callbacks
):
    # PostgreSQL refuses a list id longer than its column (SQLite does not check): the
    # rows are validated against their fields, as the database would.
    from contributors import services as contributors
    from contributors.models import Group, Membership
    from tests.factories.contributors import (
        BriefingSubscriptionFactory,
        GroupFactory,
        MembershipFactory,
    )

    slug = "w" * Group._meta.get_field("slug").max_length
    group = GroupFactory(name="Persistent identifiers for research software", slug=slug)
    chair = MembershipFactory(group=group, role=Membership.Role.CHAIR).user
    reader = BriefingSubscriptionFactory(group=group).user
    draft = contributors.briefing_create(group=group, by=chair, title="May", body="We met.")
    with django_capture_on_commit_callbacks(execute=True):
        contributors.briefing_publish(briefing=draft, by=chair)
    delivery = Delivery.objects.get(recipient=reader)
    delivery.full_clean()
    assert delivery.state == "sent"
    assert mail.outbox[0].extra_headers["List-Id"] == f"<briefings-{slug}.community.orcid.example>"

    token = services.unsubscribe_token(user_id=reader.pk, list_id=delivery.list_id)
    assert client.post(f"/mail/unsubscribe/{token}/").status_code == 200
    Unsubscription.objects.get(user=reader, list_id=f"briefings-{slug}").full_clean()


def test_the_sweep_leaves_deliveries_a_live_task_has_claimed(pending_batch):
    ids = pending_batch(3)
    Delivery.objects.filter(pk__in=ids).update(state="sending", queued_at=timezone.now())
    assert services.deliveries_requeue_stale() == 0
    assert Delivery.objects.filter(state="sending").count() == 3
    assert not mail.outbox


def test_a_sent_chunk_is_recorded_sent_once_inside_a_transaction(pending_batch):
    """Inside a transaction (here the test's) a chunk is recorded by an update that waits."""
    ids = pending_batch(12)  # a chunk of 10 and one of 2
    Delivery.objects.filter(pk=ids[0]).update(attempts=2, last_error="SMTPServerDisconnected")
    before = timezone.now()
    outcome = services.deliveries_send_batch(delivery_ids=ids)
    assert sorted(outcome["sent"]) == sorted(ids)
    rows = {d.pk: d for d in Delivery.objects.all()}
    assert {(d.state, d.queued_at, d.next_attempt_at, d.last_error) for d in rows.values()} == {
        ("sent", None, None, "")
    }
    assert all(d.sent_at >= before for d in rows.values())
    assert [rows[pk].attempts for pk in ids] == [3] + [1] * 11
    assert len(mail.outbox) == 12


def committed_batch(n: int) -> list[int]:
    """n pending deliveries written and committed (no transaction around the send)."""
    people = UserFactory.create_batch(n)
    Delivery.objects.bulk_create(
        [
            Delivery(
                recipient=p,
                kind="test.notice",
                about="test:1",
                list_id="tests",
                to_email=p.email,
                subject="Notice",
                body_text="Something happened.",
                body_html="<p>Something happened.</p>",
            )
            for p in people
        ]
    )
    return list(Delivery.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_worker_records_sent_chunks_on_a_connection_of_its_own():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the batch's own connection is PostgreSQL's")
    ids = committed_batch(25)
    opened = []
    real_init = services._SentRecords.__init__

    def init(records):
        real_init(records)
        opened.append(records.connection)

    with mock.patch.object(services._SentRecords, "__init__", init):
        outcome = services.deliveries_send_batch(delivery_ids=ids)
    assert [c is not None for c in opened] == [True]  # the batch's own, not Django's
    assert opened[0].closed
    assert sorted(outcome["sent"]) == ids
    assert set(Delivery.objects.values_list("state", "attempts", "queued_at")) == {
        ("sent", 1, None)
    }
    assert len(mail.outbox) == 25


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_with_records_in_flight_resends_at_most_ten(monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the batch's own connection is PostgreSQL's")
    # The second chunk's record is in flight when the third chunk begins: it lands.
    killed_mid_batch_then_swept(committed_batch(45), monkeypatch)


@pytest.mark.django_db(transaction=True)
def test_a_record_that_fails_stops_the_batch_and_is_not_lost_silently(monkeypatch):
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        pytest.skip("the batch's own connection is PostgreSQL's")
    ids = committed_batch(25)
    # An update PostgreSQL refuses (here: a malformed statement, as a dropped column would).
    monkeypatch.setattr(
        services, "_SENT_SQL_NUMBERED", b"UPDATE nowhere SET x = $1, y = $2, z = $3"
    )
    with pytest.raises(DatabaseError, match="Recording sent deliveries failed"):
        services.deliveries_send_batch(delivery_ids=ids)
    # Nothing claims to be sent that was not recorded: the sweep takes these back.
    assert not Delivery.objects.filter(state="sent").exists()
    assert Delivery.objects.filter(state="sending").count() == 20  # sent or in flight
    assert Delivery.objects.filter(state="pending").count() == 5  # given back, never tried
