"""/mail/settings/: the API users list, watched forums and topics, unsubscribe per list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contributors.services import membership_add
from forums import services as forums
from forums.models import Subscription
from mail import lists, services
from mail.models import Unsubscription
from tests.factories.accounts import staff_person
from tests.factories.contributors import GroupFactory
from tests.helpers import watch

pytestmark = pytest.mark.django_db
URL = "/mail/settings/"


@pytest.fixture
def private(ana):
    group = GroupFactory(name="Steering", slug="steering", kind="steering")
    forum = forums.forum_create(
        slug="steering", name="Steering room", kind="group", group=group, is_private=True
    )
    membership_add(group=group, user=ana)
    return forum


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_shows_the_list_mode_and_every_watched_forum_and_topic(
    client, api_users, general, ana, ben
):
    watch(ben, "weekly", forum=api_users)
    topic = forums.topic_create(forum=api_users, by=ana, title="Rate limits", body="How many?")
    watch(ben, "daily", topic=topic)
    watch(ben, "each", forum=general)
    client.force_login(ben)
    page = client.get(URL).content.decode()
    assert '<option value="weekly" selected>weekly digest</option>' in page
    assert "Rate limits" in page
    assert topic.get_absolute_url() in page
    assert "General" in page
    assert '<option value="daily" selected>daily digest</option>' in page


def test_changing_the_list_mode_saves_it(client, api_users, ben):
    client.force_login(ben)
    response = client.post(URL, {"action": "watch", "forum": api_users.pk, "mode": "daily"})
    assert response.status_code == 302
    assert Subscription.objects.get(user=ben, forum=api_users).mode == "daily"
    client.post(URL, {"action": "watch", "forum": api_users.pk, "mode": "off"})
    assert not Subscription.objects.filter(user=ben).exists()


def test_unsubscribe_all_then_subscribing_again_clears_the_unsubscription(client, api_users, ben):
    watch(ben, "each", forum=api_users)
    client.force_login(ben)
    client.post(URL, {"action": "unsubscribe", "list": "api-users"})
    assert Unsubscription.objects.filter(user=ben, list_id="api-users").exists()
    assert "You unsubscribed from this list" in client.get(URL).content.decode()
    client.post(URL, {"action": "watch", "forum": api_users.pk, "mode": "weekly"})
    assert not Unsubscription.objects.filter(user=ben, list_id="api-users").exists()


def test_receive_again_undoes_an_unsubscription_from_a_mail(client, ben):
    services.unsubscribe(user_id=ben.pk, list_id="consortia")
    client.force_login(ben)
    client.post(URL, {"action": "resubscribe", "list": "consortia"})
    assert not Unsubscription.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "unsubscribe", "list": "no-such-list"}, "There is no such list."),
        ({"action": "watch", "forum": "1", "mode": "hourly"}, "Choose how you want to receive"),
        ({"action": "watch", "topic": "abc", "mode": "each"}, "Choose a forum or a topic."),
        ({"action": "explode"}, "This change is not known."),
    ],
)
def test_unknown_input_is_a_400_with_what_is_wrong(client, api_users, ben, data, message):
    client.force_login(ben)
    response = client.post(URL, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This did not work" in page
    assert message in page


def test_an_outsider_cannot_watch_a_private_forum_or_its_topics(client, private, ana, ben):
    secret = forums.topic_create(forum=private, by=ana, title="Budget", body="secret")
    client.force_login(ben)
    assert (
        client.post(URL, {"action": "watch", "forum": private.pk, "mode": "each"}).status_code
        == 404
    )
    assert (
        client.post(URL, {"action": "watch", "topic": secret.pk, "mode": "each"}).status_code == 404
    )
    assert not Subscription.objects.filter(user=ben).exists()


def test_a_member_watches_the_private_forum_and_staff_too(client, private, ana):
    client.force_login(ana)
    assert (
        client.post(URL, {"action": "watch", "forum": private.pk, "mode": "daily"}).status_code
        == 302
    )
    assert "Steering room" in client.get(URL).content.decode()
    staff = staff_person()
    client.force_login(staff)
    assert (
        client.post(URL, {"action": "watch", "forum": private.pk, "mode": "each"}).status_code
        == 302
    )


def test_a_former_member_no_longer_sees_the_private_forum_listed(client, private, ana, ben):
    membership_add(group=private.group, user=ben)
    watch(ben, "daily", forum=private)
    from contributors.models import Membership

    Membership.objects.filter(user=ben).delete()
    client.force_login(ben)
    assert "Steering room" not in client.get(URL).content.decode()


def _page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_page_runs_a_fixed_number_of_queries(client, api_users, general, ana, ben):
    watch(ben, "daily", forum=api_users)
    client.force_login(ben)
    _page_queries(client)  # the steady state: the person is cached
    few = _page_queries(client)
    for i in range(8):
        topic = forums.topic_create(forum=general, by=ana, title=f"Topic {i}", body="Hi")
        watch(ben, "each", topic=topic)
    assert _page_queries(client) == few


def test_the_briefings_section_of_the_contributors_app_is_on_the_page(client, ben):
    client.force_login(ben)
    assert 'id="briefings-heading"' in client.get(URL).content.decode()


def test_a_section_registered_by_an_app_shows_and_carries_out_its_own_action(
    client, ben, monkeypatch
):
    monkeypatch.setattr(lists, "SECTIONS", dict(lists.SECTIONS))
    done = []

    def bake(user, data):
        done.append((user.pk, data["flavour"]))
        return "Baked."

    # Any existing template stands in for an app's section.
    lists.register_settings_section(
        "bakery", template="mail/email/test_notice.txt", actions={"bake": bake}, position=1
    )
    client.force_login(ben)
    assert "Hello" in client.get(URL).content.decode()
    response = client.post(URL, {"action": "bake", "flavour": "rye"}, follow=True)
    assert done == [(ben.pk, "rye")]
    assert "Baked." in response.content.decode()
