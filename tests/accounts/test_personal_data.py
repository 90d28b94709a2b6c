"""People's data: downloading it, deleting the account, and retention.

One person (Ada) with something of every kind the portal holds, and another (Bruno) with
the same kinds, entangled with hers: he posts in her topic, she flags his post, they vote
on each other's nominations. Her export holds all of hers and nothing of his; after her
account is deleted no row holds her address, name or iD (but her agreement signature,
which is kept and says so), and the pages she took part in still render.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.db.models.functions import Cast
from django.utils import timezone

from accounts import services as account_services
from accounts.models import DataExport, User
from accounts.tasks import purge_personal_data
from consortia.models import ConsortiumContact
from contributors import services as contributors_services
from contributors.models import Nomination, Signature
from contributors.models import Vote as NominationVote
from core.errors import NotAllowed, RuleViolation
from forums import services as forums_services
from forums.models import Post, Topic
from forums.models import Vote as IdeaVote
from mail.models import BounceScore, Delivery
from tests.factories.accounts import UserFactory, grant, staff_person
from tests.factories.consortia import ConsortiumContactFactory, ConsortiumFactory
from tests.factories.contributors import (
    AgreementFactory,
    BriefingSubscriptionFactory,
    GroupFactory,
    MembershipFactory,
    contributor,
    steering_group,
    steering_members,
)
from tests.factories.events import RegistrationFactory, SessionFactory
from tests.factories.forums import FlagFactory, ForumFactory, IdeaFactory, PostFactory, TopicFactory
from tests.helpers import count_queries, vote, watch

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"  # UserFactory's

# Every file of an export: the kinds the issue lists, and the rest of what the portal holds.
EXPORT_FILES = {
    "account/profile",
    "account/connected_accounts",
    "account/email_addresses",
    "account/two_factor",
    "account/data_exports",
    "account/mail_deliveries",
    "account/mail_unsubscriptions",
    "consortia/consortium_contacts",
    "consortia/organization_contacts",
    "consortia/contact_requests",
    "consortia/invitations",
    "contributors/level",
    "contributors/level_history",
    "contributors/contributions",
    "contributors/group_memberships",
    "contributors/nominations_about_me",
    "contributors/my_votes",
    "contributors/my_recusals",
    "contributors/agreement_signatures",
    "contributors/briefing_subscriptions",
    "contributors/briefings_written",
    "events/registrations",
    "events/sessions",
    "forums/topics",
    "forums/posts",
    "forums/idea_votes",
    "forums/flags",
    "forums/subscriptions",
}
# The kinds the issue names, each of which Ada has.
NONEMPTY = {
    "account/profile",
    "account/connected_accounts",
    "account/email_addresses",
    "account/mail_deliveries",
    "consortia/consortium_contacts",
    "contributors/level",
    "contributors/level_history",
    "contributors/contributions",
    "contributors/group_memberships",
    "contributors/nominations_about_me",
    "contributors/my_votes",
    "contributors/agreement_signatures",
    "contributors/briefing_subscriptions",
    "events/registrations",
    "events/sessions",
    "forums/topics",
    "forums/posts",
    "forums/idea_votes",
    "forums/flags",
    "forums/subscriptions",
}


def _approve(nomination):
    for entry in nomination.roll.select_related("voter"):
        vote(nomination, entry.voter, "approve", "Solid work")
    nomination.refresh_from_db()
    assert nomination.state == "approved"
    return nomination


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """Ada and Bruno, each with something of every kind."""
    steering = steering_members(5)
    agreement = AgreementFactory(version="2026.1")
    ada = contributor(name="Ada Quintessa", email="ada.quintessa@example.org")
    bruno = contributor(name="Bruno Otherperson", email="bruno.otherperson@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        # Ada is nominated, approved and signs; then she joins the steering group and votes
        # on Bruno's nomination, which is decided; he signs too.
        about_ada = _approve(
            contributors_services.nomination_open(nominee=ada, rationale="Docs.", by=None)
        )
        contributors_services.agreement_sign(
            by=ada,
            nomination=about_ada,
            agreement_version=agreement.version,
            full_name=ada.name,
            confirmed=True,
            ip_address="203.0.113.7",
        )
        MembershipFactory(group=steering_group(), user=ada)
        about_bruno = _approve(
            contributors_services.nomination_open(nominee=bruno, rationale="Code.", by=None)
        )
        contributors_services.agreement_sign(
            by=bruno,
            nomination=about_bruno,
            agreement_version=agreement.version,
            full_name=bruno.name,
            confirmed=True,
            ip_address="198.51.100.9",
        )
    group = GroupFactory()
    forum = ForumFactory(slug="general")
    ideas = IdeaFactory(author=bruno, title="An idea anyone may read")
    # What each writes is marked with their first name in lower case (not their name: what
    # people wrote stays, and is not rewritten).
    for who, other in ((ada, bruno), (bruno, ada)):
        mark, other_mark = who.name.split()[0].lower(), other.name.split()[0].lower()
        topic = TopicFactory(forum=forum, author=who, body=f"First words of {mark}")
        post = PostFactory(topic=topic, author=who, body=f"Reply of {mark}, before")
        forums_services.post_edit(post=post, by=who, body=f"Reply of {mark}, after")
        PostFactory(topic=topic, author=other, body=f"Answer of {other_mark}")
        FlagFactory(post=PostFactory(author=other), user=who, note=f"flag note of {mark}")
        watch(who, "daily", forum=forum)
        BriefingSubscriptionFactory(user=who, group=group)
        RegistrationFactory(user=who)
        SessionFactory(speakers=[who], abstract=f"Talk of {mark}")
        ConsortiumContactFactory(user=who, consortium=ConsortiumFactory())
        IdeaVote.objects.create(idea=ideas, user=who)
    # Ada is not the only lead contact of her consortium.
    ConsortiumContactFactory(consortium=ConsortiumContact.objects.get(user=ada).consortium)
    return {"ada": ada, "bruno": bruno, "steering": steering, "about_bruno": about_bruno}


def _export_of(client, person, django_capture_on_commit_callbacks) -> dict[str, object]:
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/data/")
    assert response.status_code == 302
    export = DataExport.objects.get(user=person)
    assert export.state == "ready"
    download = client.get(f"/accounts/data/{export.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    return {
        name.removesuffix(".json"): json.loads(archive.read(name)) for name in archive.namelist()
    }


def identity(person) -> list[str]:
    return [person.email, person.name, person.orcid_id]


# --- Download my data -----------------------------------------------------------------------


def test_the_export_holds_every_kind_of_the_persons_data_and_nothing_of_anyone_elses(
    client, world, django_capture_on_commit_callbacks
):
    ada, bruno = world["ada"], world["bruno"]
    files = _export_of(client, ada, django_capture_on_commit_callbacks)

    assert set(files) == EXPORT_FILES
    assert not [name for name in NONEMPTY if not files[name]], "a kind is missing"
    text = json.dumps(files, ensure_ascii=False)
    assert ada.orcid_id in text
    assert "Reply of ada, before" in text
    assert "flag note of ada" in text
    assert "Talk of ada" in text
    assert files["contributors/agreement_signatures"][0]["ip_address"] == "203.0.113.7"
    for needle in [*identity(bruno), "198.51.100.9", "Answer of bruno", "flag note of bruno"]:
        where = [name for name, content in files.items() if needle in json.dumps(content)]
        assert not where, (needle, where)


def test_the_page_shows_progress_and_takes_one_request_at_a_time(client, world):
    ada = world["ada"]
    client.force_login(ada)
    # No on-commit callbacks run here: the task has not built the export yet.
    assert client.post("/accounts/data/").status_code == 302
    page = client.get("/accounts/data/").content.decode()
    assert "being prepared (0 of 5 parts done)" in page
    assert "Ask for a copy of my data" not in page
    again = client.post("/accounts/data/")
    assert again.status_code == 409
    assert DataExport.objects.filter(user=ada).count() == 1


def test_asking_is_rate_limited(client, world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "data_export": "2/d"}
    client.force_login(world["ada"])
    DataExport.objects.create(user=world["ada"], state="failed")
    assert [client.post("/accounts/data/").status_code for _ in range(3)] == [302, 409, 429]


def test_the_mail_links_to_a_download_only_its_owner_gets_until_it_expires(
    client, world, django_capture_on_commit_callbacks
):
    ada, bruno = world["ada"], world["bruno"]
    mail.outbox.clear()
    _export_of(client, ada, django_capture_on_commit_callbacks)
    export = DataExport.objects.get(user=ada)
    link = f"/accounts/data/{export.pk}/download/"
    [message] = mail.outbox
    assert message.to == [ada.email]
    assert link in message.body

    client.force_login(bruno)
    assert client.get(link).status_code == 404
    client.logout()
    assert client.get(link)["Location"].startswith("/accounts/login/")
    client.force_login(ada)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now())
    assert client.get(link).status_code == 404
    assert "has expired" in client.get("/accounts/data/").content.decode()


def test_the_data_page_asks_the_same_queries_however_many_exports_there_were(client, world):
    ada = world["ada"]
    client.force_login(ada)
    DataExport.objects.create(user=ada, state="failed")
    few = count_queries(client, "/accounts/data/")
    for _ in range(5):
        DataExport.objects.create(user=ada, state="ready", archive=b"x" * 1000)
    assert count_queries(client, "/accounts/data/") == few


# --- Delete my account ----------------------------------------------------------------------


def rows_holding(needles: list[str]) -> dict[str, int]:
    """Every row of every table whose text (char, text and JSON columns) holds a needle."""
    found: dict[str, int] = {}
    for model in apps.get_models(include_auto_created=True):
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for field in fields:
            for needle in needles:
                rows = model._default_manager.annotate(
                    _text=Cast(field.attname, models.TextField())
                ).filter(_text__icontains=needle)
                count = rows.count()
                if count:
                    key = f"{model._meta.db_table}.{field.attname}"
                    found[key] = found.get(key, 0) + count
    return found


def test_after_deletion_no_row_holds_the_persons_address_name_or_id_but_the_signature(
    client, world, django_capture_on_commit_callbacks
):
    ada, bruno = world["ada"], world["bruno"]
    _export_of(client, ada, django_capture_on_commit_callbacks)  # mail and an export too
    BounceScore.objects.create(email=ada.email, score=1, last_bounce_at=timezone.now())
    needles = identity(ada)
    assert len(rows_holding(needles)) > 10
    topic = Topic.objects.get(author=ada)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/"

    # Kept, as the agreement's records require (README, "People's data").
    assert rows_holding(needles) == {
        "contributors_signature.full_name": 1,
        "contributors_signature.orcid_id": 1,
    }
    former = User.objects.get(pk=ada.pk)
    assert former.erased_at is not None
    assert not former.is_active
    assert not former.has_usable_password()
    assert not SocialAccount.objects.filter(user=former).exists()
    assert not EmailAddress.objects.filter(user=former).exists()
    assert Post.objects.filter(author=former).count() == 4  # posts stay
    assert Signature.objects.filter(signer=former).exists()
    # Her idea vote went, and the idea's count with it (Bruno's stays).
    assert not IdeaVote.objects.filter(user=former).exists()
    assert Topic.objects.get(pk=ideas_pk(bruno)).vote_count == 1
    # Bruno's things are untouched.
    assert rows_holding(identity(bruno))
    assert Post.objects.filter(author=bruno).count() == 5

    # The topic page still renders, her posts by "a former member".
    client.force_login(bruno)
    page = client.get(topic.get_absolute_url())
    assert page.status_code == 200
    assert "A former member" in page.content.decode()
    assert "Ada Quintessa" not in page.content.decode()
    # Her vote on Bruno's decided nomination keeps counting, no longer attributed.
    nomination = Nomination.objects.get(pk=world["about_bruno"].pk)
    assert NominationVote.objects.filter(nomination=nomination, voter=former).exists()
    assert (nomination.state, nomination.approvals) == ("approved", 6)
    client.force_login(world["steering"][0])
    review = client.get(f"/review/nominations/{nomination.pk}/")
    assert review.status_code == 200
    assert "A former member" in review.content.decode()
    assert "Ada Quintessa" not in review.content.decode()
    # Her profile is gone; she cannot sign in.
    assert client.get(former.get_absolute_url()).status_code == 404
    client.logout()
    assert not client.login(email=ada.email, password=PASSWORD)


def ideas_pk(author) -> int:
    return Topic.objects.get(author=author, title="An idea anyone may read").pk


def test_deleting_signs_the_person_out_everywhere(client, world):
    ada = world["ada"]
    other_browser = type(client)()
    other_browser.force_login(ada)
    client.force_login(ada)
    assert Session.objects.count() == 2
    client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    # What is left is the visitor's new session holding the goodbye message, not Ada's.
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id")]
    assert other_browser.get("/accounts/profile/").status_code == 302


def test_a_wrong_password_deletes_nothing(client, world):
    ada = world["ada"]
    client.force_login(ada)
    response = client.post("/accounts/delete/", {"password": "not-it-at-all", "confirm": "on"})
    assert response.status_code == 400
    assert "This is not your password." in response.content.decode()
    assert User.objects.get(pk=ada.pk).erased_at is None


def test_an_account_without_a_password_confirms_through_orcid_first(client, world):
    ada = world["ada"]
    ada.set_unusable_password()
    ada.save()
    client.force_login(ada)
    page = client.get("/accounts/delete/")
    assert page.status_code == 200
    assert 'name="password"' not in page.content.decode()
    response = client.post("/accounts/delete/", {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert User.objects.get(pk=ada.pk).erased_at is None


def test_the_only_lead_contact_of_a_consortium_is_told_to_hand_it_over(client, world):
    ada = world["ada"]
    alone = ConsortiumFactory(name="Lonely Consortium")
    ConsortiumContactFactory(consortium=alone, user=ada)
    client.force_login(ada)
    page = client.get("/accounts/delete/").content.decode()
    assert "You are the only lead contact of Lonely Consortium" in page
    response = client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 409
    assert User.objects.get(pk=ada.pk).erased_at is None


def test_someone_with_an_open_nomination_waits_until_it_is_decided(client, world):
    carol = contributor(name="Carol Pending")
    contributors_services.nomination_open(nominee=carol, rationale="Tests.", by=None)
    client.force_login(carol)
    assert (
        "Your OST nomination is open for votes" in client.get("/accounts/delete/").content.decode()
    )
    with pytest.raises(RuleViolation):
        account_services.account_delete(user=carol, by=carol)


def test_a_voter_of_an_open_nomination_leaves_its_roll(world):
    ada, steering = world["ada"], world["steering"]
    nominee = contributor(name="Dan Open")
    nomination = contributors_services.nomination_open(nominee=nominee, rationale="X.", by=None)
    vote(nomination, ada, "approve")
    account_services.account_delete(user=ada, by=ada)
    entry = nomination.roll.get(voter_id=ada.pk)
    assert entry.recused_at is not None
    assert not NominationVote.objects.filter(nomination=nomination, voter_id=ada.pk).exists()
    assert Nomination.objects.get(pk=nomination.pk).state == "open"
    assert len(steering) == 5


def test_staff_delete_an_account_on_request_from_the_admin_with_an_audit_entry(client, world):
    ada = world["ada"]
    admin = grant(staff_person(name="Sam Staff"), "accounts.view_user", "accounts.delete_user")
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "delete_account_on_request", "_selected_action": [ada.pk]},
    )
    assert response.status_code == 302
    former = User.objects.get(pk=ada.pk)
    assert former.erased_at is not None
    entry = LogEntry.objects.filter(object_id=str(ada.pk)).latest("action_time")
    assert entry.user == admin
    assert entry.object_repr == "A former member"
    assert "on request by staff" in entry.change_message


def test_staff_without_the_permission_cannot_delete_someone_elses_account(world):
    ada = world["ada"]
    somebody = UserFactory()
    with pytest.raises(NotAllowed):
        account_services.account_delete(user=ada, by=somebody)
    assert User.objects.get(pk=ada.pk).erased_at is None


# --- Retention ------------------------------------------------------------------------------


def test_the_retention_task_purges_old_deliveries_ip_addresses_sessions_and_exports(
    world, settings, client
):
    settings.RETENTION_DELIVERY_DAYS = 30
    settings.RETENTION_IP_ADDRESS_DAYS = 60
    ada, bruno = world["ada"], world["bruno"]
    now = timezone.now()

    def delivery(state, days_ago, about):
        row = Delivery.objects.create(
            recipient=ada,
            kind="test",
            about=about,
            list_id="account",
            to_email=ada.email,
            subject="s",
            body_text="b",
            body_html="b",
            state=state,
        )
        Delivery.objects.filter(pk=row.pk).update(created_at=now - timedelta(days=days_ago))
        return row.pk

    old_sent = delivery("sent", 31, "a")
    old_pending = delivery("pending", 31, "b")
    recent_sent = delivery("sent", 29, "c")
    Signature.objects.filter(signer=ada).update(signed_at=now - timedelta(days=61))
    ada.nominations.get().events.update(created_at=now - timedelta(days=61))
    type(client)().force_login(bruno)
    Session.objects.update(expire_date=now - timedelta(seconds=1))
    client.force_login(ada)  # a live session
    old_export = DataExport.objects.create(user=ada, state="ready", expires_at=now)

    counts = purge_personal_data.delay().get()

    remaining = set(Delivery.objects.values_list("pk", flat=True))
    assert old_sent not in remaining
    assert {old_pending, recent_sent} <= remaining
    assert Signature.objects.get(signer=ada).ip_address is None
    assert Signature.objects.get(signer=bruno).ip_address == "198.51.100.9"
    signed = ada.nominations.get().events.get(kind="signed")
    assert "ip" not in signed.data
    assert Session.objects.count() == 1
    assert not DataExport.objects.filter(pk=old_export.pk).exists()
    assert counts["ip_addresses"] == 1
    assert counts["sessions"] == 1
    # Running it again changes nothing.
    assert set(purge_personal_data.delay().get().values()) == {0}


def test_a_request_whose_task_was_lost_lets_the_person_ask_again_an_hour_later(client, world):
    ada = world["ada"]
    client.force_login(ada)
    lost = DataExport.objects.create(user=ada, requested_at=timezone.now() - timedelta(hours=2))
    page = client.get("/accounts/data/").content.decode()
    assert "Preparing your last copy failed" in page
    assert "Ask for a copy of my data" in page
    assert client.post("/accounts/data/").status_code == 302
    lost.refresh_from_db()
    assert lost.state == "failed"
    assert DataExport.objects.filter(user=ada, state="pending").count() == 1


def test_an_export_built_after_its_account_was_deleted_sends_nothing(world):
    ada = world["ada"]
    export = account_services.data_export_request(by=ada)
    account_services.account_delete(user=ada, by=ada)
    mail.outbox.clear()
    assert account_services.data_export_build(export_id=export.pk) is None
    assert not mail.outbox
