"""/mail/settings/: one form with one Save for the API users list, watched forums and
topics, briefings and lists; one statement per list of what the person receives; the
undo of a one-click unsubscribe."""

import pytest
from django.core import mail as outbox
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contributors.models import BriefingSubscription
from contributors.services import membership_add
from forums import services as forums
from forums.models import Subscription
from mail import lists, services
from mail.models import Delivery, Unsubscription
from tests.factories.accounts import staff_person
from tests.factories.contributors import GroupFactory
from tests.helpers import watch

pytestmark = pytest.mark.django_db
URL = "/mail/settings/"
# The link of the unsubscribe pages (every page's footer links there too).
SETTINGS_LINK = '<a href="/mail/settings/">Choose what you receive in your mail settings</a>'
LISTS = ["ideas", "forums", "api-users", "forum-watch", "governance", "consortia", "events"]


def form(**rows):
    """The page's form as a browser sends it: every list ticked, the given rows changed.

    ``rows``: ``forum_<id>`` / ``topic_<id>`` → a delivery mode.
    """
    data = {"list": LISTS, "receive": list(LISTS), "watch": []}
    for name, mode in rows.items():
        key = name.replace("_", "-")
        data["watch"].append(key)
        data[f"mode-{key}"] = mode
    return data


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


def test_the_account_menu_and_the_footer_link_to_the_page(client, ben):
    client.force_login(ben)
    page = client.get("/forums/").content.decode()
    account_menu = page.split('class="account-nav"')[1].split("</nav>")[0]
    footer = page.split('class="site-footer"')[1]
    assert 'href="/mail/settings/"' in account_menu
    assert 'href="/mail/settings/"' in footer


def test_the_page_is_one_form_with_one_save(client, api_users, general, ana, ben):
    topic = forums.topic_create(forum=general, by=ana, title="Rate limits", body="How many?")
    watch(ben, "daily", topic=topic)
    client.force_login(ben)
    page = client.get(URL).content.decode()
    main = page.split('<main id="main"')[1].split("</main>")[0]
    assert main.count("<form") == 1
    assert main.count('type="submit"') == 1
    assert "Unsubscribe from all" not in main


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
    assert "You receive a weekly digest of the list. 1 topic you watch has a delivery" in page


def test_two_settings_changed_at_once_both_persist(client, api_users, general, ana, ben):
    topic = forums.topic_create(forum=general, by=ana, title="Rate limits", body="How many?")
    watch(ben, "each", topic=topic)
    client.force_login(ben)
    data = form(**{f"forum_{api_users.pk}": "daily", f"topic_{topic.pk}": "weekly"})
    response = client.post(URL, data)
    assert response.status_code == 302
    assert response["Location"] == URL
    assert Subscription.objects.get(user=ben, forum=api_users).mode == "daily"
    assert Subscription.objects.get(user=ben, topic=topic).mode == "weekly"
    page = client.get(URL).content.decode()
    assert "Your mail settings are saved." in page
    assert "You receive a daily digest of the list." in page


def test_a_row_set_to_off_stops_watching_and_unchanged_rows_stay(client, api_users, general, ben):
    watch(ben, "weekly", forum=api_users)
    watch(ben, "each", forum=general)
    client.force_login(ben)
    client.post(URL, form(**{f"forum_{api_users.pk}": "weekly", f"forum_{general.pk}": "off"}))
    assert list(Subscription.objects.filter(user=ben).values_list("forum", "mode")) == [
        (api_users.pk, "weekly")
    ]


def test_one_save_changes_forums_briefings_and_lists_together(client, api_users, ben):
    docs = GroupFactory(name="Documentation working group")
    client.force_login(ben)
    data = form(**{f"forum_{api_users.pk}": "each"})
    data |= {"briefing_group": [docs.pk], "groups": [docs.pk]}
    data["receive"] = [list_id for list_id in LISTS if list_id != "events"]
    assert client.post(URL, data).status_code == 302
    assert Subscription.objects.get(user=ben, forum=api_users).mode == "each"
    assert BriefingSubscription.objects.filter(user=ben, group=docs).exists()
    assert list(Unsubscription.objects.filter(user=ben).values_list("list_id", flat=True)) == [
        "events"
    ]


def test_a_refusal_in_one_row_leaves_every_row_as_it_was(client, api_users, private, ben):
    client.force_login(ben)
    data = form(**{f"forum_{api_users.pk}": "daily", f"forum_{private.pk}": "each"})
    data["receive"] = []
    assert client.post(URL, data).status_code == 404  # the private forum is not his to see
    assert not Subscription.objects.filter(user=ben).exists()
    assert not Unsubscription.objects.exists()


def test_the_api_users_list_reads_the_same_at_the_top_and_in_the_lists(client, api_users, ana, ben):
    # The author of a topic of the list watches it: he is not subscribed to the list, but
    # the topic's messages are mailed to him. Both places say so.
    topic = forums.topic_create(forum=api_users, by=ben, title="ORCID iD in CSL", body="?")
    assert Subscription.objects.get(user=ben, topic=topic).mode == "each"
    client.force_login(ben)
    page = client.get(URL).content.decode()
    statement = "You receive only the 1 topic of the list you watch."
    assert page.count(statement) == 2
    assert "receiving" not in page


def test_a_list_left_in_one_click_says_so_everywhere_and_ticking_it_again_undoes_it(
    client, api_users, ben
):
    watch(ben, "each", forum=api_users)
    services.unsubscribe(user_id=ben.pk, list_id="api-users")
    client.force_login(ben)
    page = client.get(URL).content.decode()
    left = "You receive nothing from this list: you unsubscribed from it."
    assert page.count(left) == 2
    assert 'id="list-api-users" aria-describedby="list-api-users-receives">' in page  # unticked
    client.post(URL, form(**{f"forum_{api_users.pk}": "each"}))
    assert not Unsubscription.objects.exists()
    assert left not in client.get(URL).content.decode()


def test_choosing_a_delivery_again_subscribes_to_the_left_list_unless_it_is_unticked(
    client, api_users, ben
):
    watch(ben, "each", forum=api_users)
    services.unsubscribe(user_id=ben.pk, list_id="api-users")
    client.force_login(ben)
    data = form(**{f"forum_{api_users.pk}": "weekly"})
    data["receive"] = [list_id for list_id in LISTS if list_id != "api-users"]
    client.post(URL, data)  # the box shown unticked, left as it was: the delivery wins
    assert not Unsubscription.objects.exists()
    data[f"mode-forum-{api_users.pk}"] = "daily"
    client.post(URL, data)  # the box shown ticked, unticked: he leaves, whatever the delivery
    assert Unsubscription.objects.filter(user=ben, list_id="api-users").exists()
    assert Subscription.objects.get(user=ben, forum=api_users).mode == "daily"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"list": "no-such-list"}, "There is no such list."),
        ({"watch": "forum-1", "mode-forum-1": "hourly"}, "Choose how you want to receive"),
        ({"watch": "topic-abc", "mode-topic-abc": "each"}, "Choose a forum or a topic."),
        ({"watch": "post-1", "mode-post-1": "each"}, "Choose a forum or a topic."),
        ({"briefing_group": "999999"}, "Your briefing choices were not changed"),
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
    assert client.post(URL, form(**{f"forum_{private.pk}": "each"})).status_code == 404
    assert client.post(URL, form(**{f"topic_{secret.pk}": "each"})).status_code == 404
    assert not Subscription.objects.filter(user=ben).exists()


def test_a_member_watches_the_private_forum_and_staff_too(client, private, ana):
    client.force_login(ana)
    assert client.post(URL, form(**{f"forum_{private.pk}": "daily"})).status_code == 302
    assert "Steering room" in client.get(URL).content.decode()
    client.force_login(staff_person())
    assert client.post(URL, form(**{f"forum_{private.pk}": "each"})).status_code == 302


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
        group = GroupFactory(name=f"Group {i}")
        BriefingSubscription.objects.create(user=ben, group=group)
        services.unsubscribe(user_id=ben.pk, list_id=f"briefings-{group.slug}")
    services.unsubscribe(user_id=ben.pk, list_id="forum-watch")
    assert _page_queries(client) == few


def test_the_briefings_section_of_the_contributors_app_is_in_the_form(client, ben):
    GroupFactory(name="Documentation working group")
    client.force_login(ben)
    page = client.get(URL).content.decode()
    assert 'id="briefings-heading"' in page
    assert 'name="briefing_group"' in page
    assert "/mail/settings/briefings/" not in page


def test_a_section_registered_by_an_app_shows_and_saves_with_the_form(client, ben, monkeypatch):
    monkeypatch.setattr(lists, "SECTIONS", dict(lists.SECTIONS))
    done = []

    def bake(user, data):
        done.append((user.pk, data.get("flavour")))

    # Any existing template stands in for an app's section.
    lists.register_settings_section(
        "bakery", template="mail/email/test_notice.txt", save=bake, position=1
    )
    client.force_login(ben)
    assert "Hello" in client.get(URL).content.decode()
    response = client.post(URL, {"flavour": "rye"}, follow=True)
    assert done == [(ben.pk, "rye")]
    assert "Your mail settings are saved." in response.content.decode()


# --- The page after a one-click unsubscribe, and its undo ------------------------------------


def _pending(user, list_id):
    return Delivery.objects.create(
        recipient=user,
        kind="forums.post",
        about=f"forums.post:{Delivery.objects.count() + 1}",
        list_id=list_id,
        to_email=user.email,
        subject="New post",
        body_text="Hello",
        body_html="<p>Hello</p>",
    )


def test_unsubscribe_then_undo_receives_exactly_what_was_stopped(
    client, ben, django_capture_on_commit_callbacks
):
    waiting = _pending(ben, "api-users")
    other = _pending(ben, "consortia")
    token = services.unsubscribe_token(user_id=ben.pk, list_id="api-users")
    page = client.post(f"/mail/unsubscribe/{token}/").content.decode()
    assert "You are unsubscribed" in page
    assert SETTINGS_LINK in page
    waiting.refresh_from_db()
    assert waiting.state == "skipped"
    undo = page.split('name="token" value="')[1].split('"')[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mail/unsubscribe/undo/", {"token": undo})
    assert response.status_code == 200
    assert "You are subscribed again" in response.content.decode()
    assert not Unsubscription.objects.exists()
    waiting.refresh_from_db()
    other.refresh_from_db()
    assert (waiting.state, other.state) == ("sent", "pending")  # the skipped one went out
    assert [m.to for m in outbox.outbox] == [[ben.email]]


def test_the_undo_leaves_alone_what_the_click_did_not_stop(client, ben):
    services.unsubscribe(user_id=ben.pk, list_id="api-users")  # left before, elsewhere
    token = services.unsubscribe_token(user_id=ben.pk, list_id="api-users")
    page = client.post(f"/mail/unsubscribe/{token}/").content.decode()
    assert "You had already unsubscribed" in page
    assert "/mail/unsubscribe/undo/" not in page
    assert SETTINGS_LINK in page
    assert Unsubscription.objects.filter(user=ben).count() == 1


def test_the_confirmation_page_of_the_link_offers_the_settings_too(client, ben):
    token = services.unsubscribe_token(user_id=ben.pk, list_id="api-users")
    response = client.get(f"/mail/unsubscribe/{token}/")
    assert response.status_code == 200
    assert SETTINGS_LINK in response.content.decode()
    assert not Unsubscription.objects.exists()  # a GET (a link checker) changes nothing


@pytest.mark.parametrize("token", ["", "forged", "unsubscribe"])
def test_an_undo_needs_the_token_of_the_click(client, ben, token):
    services.unsubscribe(user_id=ben.pk, list_id="api-users")
    if token == "unsubscribe":  # the link of the mail is not the undo's proof
        token = services.unsubscribe_token(user_id=ben.pk, list_id="api-users")
    response = client.post("/mail/unsubscribe/undo/", {"token": token})
    assert response.status_code == 400
    assert Unsubscription.objects.filter(user=ben).exists()
