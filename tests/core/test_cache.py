"""core.cache: every write to an area's tables bumps its generation, wherever it comes from,
on commit and through the outbox of pending invalidations when the bump cannot be made."""

import os
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache as django_cache
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from core import cache
from core.models import PendingInvalidation
from forums.models import Forum, Topic
from tests.factories.accounts import UserFactory, person, with_two_factor
from tests.factories.consortia import ConsortiumFactory
from tests.factories.forums import ForumFactory
from tests.helpers import free_port

pytestmark = pytest.mark.django_db

LIVE = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not LIVE, reason="needs REDIS_URL (a real Redis)")


# --- generations -------------------------------------------------------------------------------


def test_a_generation_is_stable_until_bumped():
    first = cache.generation("consortia")
    assert cache.generation("consortia") == first
    cache.bump("consortia")
    assert cache.generation("consortia") != first


def test_a_bump_leaves_the_other_areas_alone():
    forums = cache.generation("forums")
    cache.bump("consortia")
    assert cache.generation("forums") == forums


def test_an_evicted_generation_never_repeats_an_earlier_value():
    first = cache.generation("forums")
    django_cache.delete(cache.PREFIX + "forums")
    assert cache.generation("forums") != first


def test_an_unknown_area_is_refused():
    with pytest.raises(ValueError, match="unknown cache area"):
        cache.generation("nowhere")


# --- which writes bump which areas -----------------------------------------------------------


def test_the_tables_of_an_app_belong_to_its_area_and_people_s_tables_to_people():
    assert cache.areas_of('INSERT INTO "forums_post" ("body") VALUES (%s)') == {"forums"}
    assert cache.areas_of('DELETE FROM "contributors_membership" WHERE 1') == {"contributors"}
    assert cache.areas_of('UPDATE "accounts_user_groups" SET "group_id" = 1') == {"people"}
    assert cache.areas_of('INSERT INTO "auth_group_permissions" VALUES (1, 2)') == {"people"}
    assert cache.areas_of('INSERT INTO "mfa_authenticator" VALUES (1)') == {"people"}
    assert cache.areas_of('SELECT * FROM "forums_post"') == frozenset()
    assert cache.areas_of('INSERT INTO "mail_delivery" VALUES (1)') == frozenset()
    assert cache.areas_of('UPDATE "django_session" SET "x" = 1') == frozenset()
    # A model whose rows show on no page (forums.ReplyKey) bumps nothing.
    assert cache.areas_of('INSERT INTO "forums_replykey" VALUES (1)') == frozenset()


def test_saving_and_deleting_a_row_of_an_area_bumps_its_generation():
    before = cache.generation("consortia")
    consortium = ConsortiumFactory()
    assert cache.generation("consortia") != before
    before = cache.generation("consortia")
    consortium.delete()
    assert cache.generation("consortia") != before


def test_a_sign_in_bumps_nothing_but_a_new_name_bumps_people():
    user = UserFactory()
    before = cache.generation(*cache.AREAS)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert cache.generation(*cache.AREAS) == before
    user.name = "Someone Else"
    user.save()
    assert cache.generation("people") != before.split(".")[-1]


def test_an_update_in_a_service_invalidates_without_any_decorator(client, monkeypatch):
    """topic_pin writes with QuerySet.update(), which sends no signal; the page follows."""
    from forums import services
    from tests.factories.accounts import staff_person

    forum = ForumFactory(slug="general", name="General")
    topic = services.topic_create(forum=forum, by=person(), title="Hello", body="World")
    moderator = staff_person()
    assert "pinned" not in client.get("/forums/general/").content.decode()
    monkeypatch.setattr(services, "_log", lambda *args, **kwargs: None)  # the update alone

    services.topic_pin(topic=topic, by=moderator, pinned=True)

    assert "pinned" in client.get("/forums/general/").content.decode()
    Topic.objects.filter(pk=topic.pk).update(title="Renamed without a signal")
    assert "Renamed without a signal" in client.get("/forums/general/").content.decode()


def test_an_admin_edit_invalidates(client):
    ForumFactory(slug="general", name="General talk")
    assert "General talk" in client.get("/forums/").content.decode()
    admin = type(client)()
    admin.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))

    response = admin.post(
        "/admin/forums/forum/" + str(Forum.objects.get(slug="general").pk) + "/change/",
        {"name_en": "Renamed in the admin", "description_en": "", "position": 0},
    )

    assert response.status_code == 302
    page = client.get("/forums/").content.decode()
    assert "Renamed in the admin" in page
    assert "General talk" not in page


def test_a_management_command_write_invalidates(client):
    ForumFactory(slug="general", name="General talk")
    assert "General talk" in client.get("/forums/").content.decode()

    call_command(
        "shell",
        command="from forums.models import Forum; "
        "Forum.objects.filter(slug='general').update(name='Renamed from the shell')",
    )

    assert "Renamed from the shell" in client.get("/forums/").content.decode()


def test_a_private_forum_leaves_a_former_member_s_pages_when_the_membership_ends(
    client, django_capture_on_commit_callbacks
):
    """The incident: a private forum still shown to a former member from a cached page."""
    from contributors.models import Membership
    from contributors.services import membership_add
    from forums import services
    from tests.factories.contributors import GroupFactory

    group = GroupFactory(name="Technical steering group", slug="steering", kind="steering")
    services.forum_create(
        slug="steering", name="Steering (private)", kind="group", group=group, is_private=True
    )
    member = person()
    membership_add(group=group, user=member)
    client.force_login(member)
    assert "Steering (private)" in client.get("/forums/").content.decode()
    assert client.get("/forums/steering/").status_code == 200

    # The term ends (written the way a script or a bulk action would: no signal).
    with django_capture_on_commit_callbacks(execute=True):
        Membership.objects.filter(user=member).update(
            term_start=timezone.localdate() - timedelta(days=400),
            term_end=timezone.localdate() - timedelta(days=1),
        )

    assert "Steering (private)" not in client.get("/forums/").content.decode()
    assert client.get("/forums/steering/").status_code in (403, 404)


# --- on commit, and the outbox --------------------------------------------------------------


def test_a_transaction_owes_its_bumps_in_an_outbox_row_delivered_and_deleted_on_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        ForumFactory()
        ForumFactory()  # the same area: one row
        assert list(PendingInvalidation.objects.values_list("areas", flat=True)) == ["forums"]
        during = cache.generation("forums")
    assert cache.generation("forums") != during  # bumped again when it committed
    assert not PendingInvalidation.objects.exists()


def test_a_savepoint_rolled_back_takes_its_row_and_a_later_write_owes_its_own(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                ForumFactory()
                raise RuntimeError
        except RuntimeError:
            pass
        assert not PendingInvalidation.objects.exists()
        ForumFactory()
        assert PendingInvalidation.objects.count() == 1
        during = cache.generation("forums")
    assert len(callbacks) == 1
    assert cache.generation("forums") != during


def test_a_worker_that_dies_after_its_commit_leaves_a_row_the_sweep_replays(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    from core.tasks import replay_invalidations

    ForumFactory(slug="general", name="General talk")
    assert "General talk" in client.get("/forums/").content.decode()
    # The write commits; the process is killed before any of its bumps reach Redis (none
    # is made, and its on-commit work never runs).
    with monkeypatch.context() as dying, django_capture_on_commit_callbacks(execute=False):
        dying.setattr(cache, "bump", lambda *areas: True)
        Forum.objects.filter(slug="general").update(name="Renamed before dying")
    assert PendingInvalidation.objects.filter(areas="forums").exists()
    assert "General talk" in client.get("/forums/").content.decode()  # stale until the sweep

    assert replay_invalidations() == 1

    assert not PendingInvalidation.objects.exists()
    assert "Renamed before dying" in client.get("/forums/").content.decode()


def test_the_sweep_keeps_the_rows_while_the_cache_does_not_take_the_bumps(monkeypatch):
    PendingInvalidation.objects.create(areas="forums")
    monkeypatch.setattr(cache, "bump", lambda *areas: False)
    assert cache.replay_pending() == 0
    assert PendingInvalidation.objects.count() == 1


def test_a_write_in_autocommit_is_bumped_at_once_and_leaves_no_row(transactional_db):
    before = cache.generation("forums")
    ForumFactory()
    assert cache.generation("forums") != before
    assert not PendingInvalidation.objects.exists()


@needs_redis
def test_redis_down_during_a_write_the_page_is_right_once_redis_is_back_and_the_sweep_ran(
    client, django_capture_on_commit_callbacks
):
    """The writer's process may never see Redis again: the row in the database carries the
    bump to whoever sweeps."""
    prefix = f"test-outbox-{uuid.uuid4().hex}"

    def caches(url):
        backend = {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
        return {"default": backend, "pages": backend}

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    ForumFactory(slug="general", name="General talk")
    with override_settings(CACHES=caches(LIVE)):
        assert "General talk" in client.get("/forums/").content.decode()
    with override_settings(CACHES=caches(dead)):
        with django_capture_on_commit_callbacks(execute=True):
            Forum.objects.filter(slug="general").update(name="Renamed while Redis was down")
        assert PendingInvalidation.objects.filter(areas="forums").exists()
    with override_settings(CACHES=caches(LIVE)):  # Redis is back, in another process
        assert "General talk" in client.get("/forums/").content.decode()

        assert cache.replay_pending() == 1

        assert "Renamed while Redis was down" in client.get("/forums/").content.decode()
        assert not PendingInvalidation.objects.exists()
