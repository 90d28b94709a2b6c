"""Briefings: chairs (and staff) write them, publishing mails each subscriber once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contributors import services
from contributors.models import Briefing, BriefingSubscription, Membership
from core.errors import NotAllowed, RuleViolation
from mail import services as mail_services
from mail.models import Delivery, Unsubscription
from tests.factories.accounts import UserFactory
from tests.factories.contributors import (
    BriefingFactory,
    BriefingSubscriptionFactory,
    GroupFactory,
    MembershipFactory,
)
from tests.helpers import moment_text

pytestmark = pytest.mark.django_db

HOSTILE = (
    "Hello <script>alert('x')</script> team.\n\n"
    '<img src=x onerror="alert(1)">\n\n'
    "**Progress** on [the plan](javascript:alert(2)) and [the docs](https://orcid.org)."
)


@pytest.fixture
def group():
    return GroupFactory(name="Member API working group", slug="member-api")


@pytest.fixture
def chair(group):
    return MembershipFactory(group=group, role=Membership.Role.CHAIR).user


@pytest.fixture
def member(group):
    return MembershipFactory(group=group, role=Membership.Role.MEMBER).user


@pytest.fixture
def outsider():
    return UserFactory(name="Otto Outsider")


@pytest.fixture
def draft(group, chair):
    return services.briefing_create(
        group=group, by=chair, title="What we did in May", body="We **met** twice."
    )


@pytest.fixture
def subscribers(group):
    return [BriefingSubscriptionFactory(group=group).user for _ in range(3)]


def publish(briefing, by, capture):
    with capture(execute=True):
        return services.briefing_publish(briefing=briefing, by=by)


def new_url(group):
    return f"/groups/{group.slug}/briefings/new/"


def briefing_url(briefing, suffix=""):
    return f"/groups/{briefing.group.slug}/briefings/{briefing.pk}/{suffix}"


# --- Who writes and publishes ---------------------------------------------------------------


def test_the_chair_and_staff_open_the_new_briefing_page(client, group, chair, staff):
    for person in (chair, staff):
        client.force_login(person)
        assert client.get(new_url(group)).status_code == 200


def test_a_member_who_is_not_chair_and_an_outsider_are_refused(client, group, member, outsider):
    for person in (member, outsider):
        client.force_login(person)
        assert client.get(new_url(group)).status_code == 403
        response = client.post(new_url(group), {"title": "Mine", "body": "Text"})
        assert response.status_code == 403
    assert not Briefing.objects.exists()


def test_anonymous_people_are_sent_to_sign_in(client, group, draft):
    for url in (new_url(group), briefing_url(draft, "edit/"), briefing_url(draft, "publish/")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert client.post(briefing_url(draft, "publish/")).status_code == 302
    draft.refresh_from_db()
    assert not draft.is_published


def test_a_chair_whose_term_has_expired_is_refused(client, group):
    long_ago = timezone.localdate() - timedelta(days=400)
    former = MembershipFactory(group=group, role=Membership.Role.CHAIR, term_start=long_ago).user
    client.force_login(former)
    assert client.get(new_url(group)).status_code == 403
    with pytest.raises(NotAllowed):
        services.briefing_create(group=group, by=former, title="Late", body="Text")


def test_the_chair_of_another_group_is_refused(client, group):
    other_chair = MembershipFactory(role=Membership.Role.CHAIR).user
    client.force_login(other_chair)
    assert client.get(new_url(group)).status_code == 403


def test_the_service_refuses_publishing_by_a_member_whatever_the_view(
    draft, member, outsider, django_capture_on_commit_callbacks
):
    for person in (member, outsider):
        with pytest.raises(NotAllowed):
            publish(draft, person, django_capture_on_commit_callbacks)
    draft.refresh_from_db()
    assert not draft.is_published


def test_the_chair_writes_a_draft_through_the_page(client, group, chair):
    client.force_login(chair)
    response = client.post(new_url(group), {"title": "June", "body": "We *shipped*."})
    briefing = Briefing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == briefing_url(briefing)
    assert briefing.author == chair
    assert not briefing.is_published
    assert "<em>shipped</em>" in briefing.body_html


def test_staff_edit_and_publish_a_draft_of_the_chair(
    client, draft, staff, subscribers, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    assert "We **met** twice." in client.get(briefing_url(draft, "edit/")).content.decode()
    response = client.post(briefing_url(draft, "edit/"), {"title": "May, edited", "body": "B"})
    assert response.status_code == 302
    confirm = client.get(briefing_url(draft, "publish/")).content.decode()
    assert "mails it to 3 subscribers" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(briefing_url(draft, "publish/"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "May, edited"
    assert draft.published_by == staff
    assert len(mail.outbox) == 3


def test_a_preview_renders_the_markdown_and_saves_nothing(client, group, chair):
    client.force_login(chair)
    response = client.post(new_url(group), {"title": "T", "body": "**bold**", "preview": "1"})
    assert response.status_code == 200
    assert "<strong>bold</strong>" in response.content.decode()
    assert not Briefing.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "body": "Text"},
        {"title": "T", "body": "   "},
        {"title": "x" * 201, "body": "B"},
    ],
)
def test_bad_input_is_a_form_error_with_400(client, group, chair, data):
    client.force_login(chair)
    response = client.post(new_url(group), data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not Briefing.objects.exists()


def test_a_published_briefing_can_no_longer_be_edited(
    client, draft, chair, django_capture_on_commit_callbacks
):
    publish(draft, chair, django_capture_on_commit_callbacks)
    client.force_login(chair)
    response = client.post(briefing_url(draft, "edit/"), {"title": "Changed", "body": "B"})
    assert response.status_code == 302
    with pytest.raises(RuleViolation):
        services.briefing_update(briefing=draft, by=chair, title="Changed", body="B")
    draft.refresh_from_db()
    assert draft.title == "What we did in May"


def test_the_publish_page_shows_the_publication_time_in_utc_whatever_the_chairs_time_zone(
    client, draft, chair, django_capture_on_commit_callbacks
):
    publish(draft, chair, django_capture_on_commit_callbacks)
    draft.refresh_from_db()
    chair.time_zone = "Asia/Tokyo"
    chair.save()
    client.force_login(chair)
    page = client.get(briefing_url(draft, "publish/")).content.decode()
    assert f"published on {moment_text(draft.published_at)} and mailed" in page


# --- Publishing and mail --------------------------------------------------------------------


def test_publishing_mails_each_subscriber_once_with_list_headers(
    client, draft, chair, subscribers, outsider, django_capture_on_commit_callbacks
):
    client.force_login(chair)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(briefing_url(draft, "publish/"))
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in subscribers)
    message = mail.outbox[0]
    assert message.subject == "[Member API working group] What we did in May"
    assert "We **met** twice." in message.body
    assert "<strong>met</strong>" in message.alternatives[0][0]
    assert message.extra_headers["List-Id"] == "<briefings-member-api.community.orcid.example>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/mail/")
    assert "Briefings of Member API working group" in message.body
    assert Delivery.objects.filter(kind="contributors.briefing", state="sent").count() == 3


def test_publishing_twice_is_refused_and_mails_nobody_again(
    client, draft, chair, subscribers, django_capture_on_commit_callbacks
):
    assert publish(draft, chair, django_capture_on_commit_callbacks) == 3
    with pytest.raises(RuleViolation):
        publish(draft, chair, django_capture_on_commit_callbacks)
    client.force_login(chair)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(briefing_url(draft, "publish/"))
    assert response.status_code == 409
    assert len(mail.outbox) == 3
    assert Delivery.objects.count() == 3


def test_a_one_click_unsubscribe_stops_that_groups_briefings_only(
    client, group, chair, subscribers, django_capture_on_commit_callbacks
):
    ana, ben, _cleo = subscribers
    other = GroupFactory(name="Documentation working group")
    other_chair = MembershipFactory(group=other, role=Membership.Role.CHAIR).user
    BriefingSubscriptionFactory(group=other, user=ana)
    list_id = f"briefings-{group.slug}"
    token = mail_services.unsubscribe_token(user_id=ana.pk, list_id=list_id)
    page = client.get(f"/mail/unsubscribe/{token}/")
    assert "Briefings of Member API working group" in page.content.decode()
    response = client.post(
        f"/mail/unsubscribe/{token}/", "List-Unsubscribe=One-Click", content_type="text/plain"
    )
    assert response.status_code == 200
    first = services.briefing_create(group=group, by=chair, title="One", body="B")
    second = services.briefing_create(group=other, by=other_chair, title="Two", body="B")
    publish(first, chair, django_capture_on_commit_callbacks)
    publish(second, other_chair, django_capture_on_commit_callbacks)
    assert [m.subject for m in mail.outbox if m.to == [ana.email]] == [
        "[Documentation working group] Two"
    ]
    assert not Delivery.objects.filter(recipient=ana, about=f"contributors.briefing:{first.pk}")
    assert len([m for m in mail.outbox if "One" in m.subject]) == 2


def test_people_who_are_not_subscribed_get_nothing(
    draft, chair, member, outsider, staff, django_capture_on_commit_callbacks
):
    assert publish(draft, chair, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert not Delivery.objects.exists()
    draft.refresh_from_db()
    assert draft.is_published


def test_a_script_never_reaches_the_page_or_the_mail(
    client, group, chair, subscribers, django_capture_on_commit_callbacks
):
    briefing = services.briefing_create(group=group, by=chair, title="Safe?", body=HOSTILE)
    publish(briefing, chair, django_capture_on_commit_callbacks)
    pages = [
        client.get(briefing_url(briefing)).content.decode(),
        client.get(f"/groups/{group.slug}/briefings/").content.decode(),
    ]
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    for text in [*pages, html]:
        # Raw HTML is shown as text, never as markup; unsafe links are not made links.
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert 'href="javascript' not in text
    assert '<a href="https://orcid.org" rel="nofollow ugc noopener">the docs</a>' in html
    assert "<script" not in message.body
    assert "alert('x')" not in message.body
    assert "Hello  team." in message.body
    assert "<strong>Progress</strong>" in pages[0]


# --- Pages ----------------------------------------------------------------------------------


def test_drafts_are_seen_only_by_the_chair_and_staff(client, draft, chair, staff, member, outsider):
    assert client.get(briefing_url(draft)).status_code == 404
    for person, status in ((member, 404), (outsider, 404), (chair, 200), (staff, 200)):
        client.force_login(person)
        assert client.get(briefing_url(draft)).status_code == status
    client.logout()
    archive = client.get(f"/groups/{draft.group.slug}/briefings/").content.decode()
    assert "What we did in May" not in archive
    assert "What we did in May" not in client.get(draft.group.get_absolute_url()).content.decode()


def test_unknown_groups_and_briefings_are_404(client, group, draft):
    other = GroupFactory()
    published = BriefingFactory(group=group)
    assert client.get("/groups/nope/briefings/").status_code == 404
    assert client.get("/groups/nope/briefings/1/").status_code == 404
    assert client.get(f"/groups/{group.slug}/briefings/999999/").status_code == 404
    # A briefing is only found under its own group.
    assert client.get(f"/groups/{other.slug}/briefings/{published.pk}/").status_code == 404
    assert client.get(f"/groups/{group.slug}/briefings/{published.pk}/").status_code == 200


def test_the_group_page_shows_latest_briefings_and_the_write_link_to_the_chair(
    client, group, chair, member
):
    BriefingFactory(group=group, title="Old news", published_at=timezone.now() - timedelta(1))
    BriefingFactory(group=group, title="Fresh news")
    page = client.get(group.get_absolute_url()).content.decode()
    assert page.index("Fresh news") < page.index("Old news")
    assert "Write a briefing" not in page
    assert "Subscribe to briefings" not in page
    client.force_login(member)
    page = client.get(group.get_absolute_url()).content.decode()
    assert "Subscribe to briefings" in page
    assert "Write a briefing" not in page
    client.force_login(chair)
    assert "Write a briefing" in client.get(group.get_absolute_url()).content.decode()


def test_the_subscribe_toggle_on_the_group_page(client, group, outsider):
    url = f"/groups/{group.slug}/briefings/subscription/"
    assert client.post(url, {"action": "subscribe"}).status_code == 302
    assert not BriefingSubscription.objects.exists()  # anonymous: sent to sign in
    client.force_login(outsider)
    assert client.post(url, {"action": "subscribe"})["Location"] == group.get_absolute_url()
    assert BriefingSubscription.objects.filter(user=outsider, group=group).exists()
    assert "Unsubscribe from briefings" in client.get(group.get_absolute_url()).content.decode()
    client.post(url, {"action": "unsubscribe"})
    assert not BriefingSubscription.objects.exists()
    assert client.post(url, {"action": "bogus"}).status_code == 400


def test_the_archive_is_newest_first_and_paginated(client, group):
    for i in range(25):
        BriefingFactory(
            group=group, title=f"Number {i:02}", published_at=timezone.now() - timedelta(days=i)
        )
    first = client.get(f"/groups/{group.slug}/briefings/").content.decode()
    assert first.index("Number 00") < first.index("Number 19")
    assert "Number 20" not in first
    second = client.get(f"/groups/{group.slug}/briefings/?page=2").content.decode()
    assert "Number 24" in second
    assert client.get(f"/groups/{group.slug}/briefings/?page=x").status_code == 200


def _archive_queries(client, group) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/groups/{group.slug}/briefings/").status_code == 200
    return len(queries)


def test_the_archive_page_runs_a_fixed_number_of_queries(
    client, group, chair, django_assert_max_num_queries
):
    client.force_login(chair)
    BriefingFactory.create_batch(2, group=group)
    _archive_queries(client, group)  # the steady state: the person is cached
    few = _archive_queries(client, group)
    BriefingFactory.create_batch(30, group=group, author=UserFactory())
    BriefingFactory.create_batch(5, group=group)
    _archive_queries(client, group)  # new people bump the people generation: cached again
    with django_assert_max_num_queries(few):
        client.get(f"/groups/{group.slug}/briefings/")
    assert _archive_queries(client, group) == few


def test_the_group_page_runs_a_fixed_number_of_queries(client, group, chair):
    client.force_login(chair)
    BriefingFactory(group=group)
    _captured(client, group.get_absolute_url())  # the steady state: the person is cached
    few = len(_captured(client, group.get_absolute_url()))
    BriefingFactory.create_batch(6, group=group)
    BriefingFactory.create_batch(4, group=group, published_at=None)
    _captured(client, group.get_absolute_url())  # new people: the person is cached again
    assert len(_captured(client, group.get_absolute_url())) == few


def _captured(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return queries


# --- The mail settings page -----------------------------------------------------------------


def test_the_settings_page_lists_every_group_and_saves_choices(client, group, outsider):
    steering = GroupFactory(name="Technical steering group", kind="steering")
    docs = GroupFactory(name="Documentation working group")
    client.force_login(outsider)
    page = client.get("/mail/settings/").content.decode()
    for g in (group, steering, docs):
        assert f'id="briefings-{g.pk}"' in page
    shown = [group.pk, steering.pk, docs.pk]
    response = client.post(
        "/mail/settings/", {"briefing_group": shown, "groups": [group.pk, docs.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == "/mail/settings/"
    assert set(
        BriefingSubscription.objects.filter(user=outsider).values_list("group", flat=True)
    ) == {group.pk, docs.pk}
    page = client.get("/mail/settings/").content.decode()
    assert f'value="{docs.pk}" id="briefings-{docs.pk}" checked' in page
    assert f'value="{steering.pk}" id="briefings-{steering.pk}">' in page
    client.post("/mail/settings/", {"briefing_group": shown, "groups": [steering.pk]})
    assert list(
        BriefingSubscription.objects.filter(user=outsider).values_list("group", flat=True)
    ) == [steering.pk]
    client.post("/mail/settings/", {"briefing_group": shown})
    assert not BriefingSubscription.objects.exists()


def test_a_group_not_on_the_settings_page_keeps_its_subscription(client, group, outsider):
    newer = GroupFactory(name="A group created after the page was shown")
    BriefingSubscriptionFactory(group=newer, user=outsider)
    client.force_login(outsider)
    client.post("/mail/settings/", {"briefing_group": [group.pk], "groups": [group.pk]})
    assert set(
        BriefingSubscription.objects.filter(user=outsider).values_list("group", flat=True)
    ) == {group.pk, newer.pk}


def test_subscribing_again_on_the_settings_page_undoes_a_one_click_unsubscribe(
    client, group, chair, outsider, django_capture_on_commit_callbacks
):
    BriefingSubscriptionFactory(group=group, user=outsider)
    mail_services.unsubscribe(user_id=outsider.pk, list_id=f"briefings-{group.slug}")
    client.force_login(outsider)
    page = client.get("/mail/settings/").content.decode()
    assert f'id="briefings-{group.pk}" checked' not in page  # the unsubscribe wins
    client.post("/mail/settings/", {"briefing_group": [group.pk], "groups": [group.pk]})
    assert not Unsubscription.objects.exists()
    briefing = services.briefing_create(group=group, by=chair, title="Back", body="B")
    publish(briefing, chair, django_capture_on_commit_callbacks)
    assert [m.to[0] for m in mail.outbox] == [outsider.email]


@pytest.mark.parametrize("groups", [["999999"], ["abc"]])
def test_unknown_groups_on_the_settings_page_are_a_400(client, group, outsider, groups):
    client.force_login(outsider)
    response = client.post("/mail/settings/", {"briefing_group": groups, "groups": groups})
    assert response.status_code == 400
    assert not BriefingSubscription.objects.exists()


def test_the_settings_form_needs_a_signed_in_person(client, group):
    response = client.post("/mail/settings/", {"briefing_group": [group.pk], "groups": [group.pk]})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not BriefingSubscription.objects.exists()


def test_staff_see_a_briefings_delivery_states_in_the_admin(
    client, draft, chair, staff, subscribers, django_capture_on_commit_callbacks
):
    publish(draft, chair, django_capture_on_commit_callbacks)
    staff.is_superuser = True  # the admin's model permissions, as in test_admin
    staff.save()
    client.force_login(staff)
    page = client.get(f"/admin/contributors/briefing/{draft.pk}/change/").content.decode()
    assert "sent: 3" in page
    assert f"about=contributors.briefing:{draft.pk}" in page
    listing = client.get(
        f"/admin/mail/delivery/?kind=contributors.briefing&about=contributors.briefing:{draft.pk}"
    )
    assert listing.status_code == 200
    assert subscribers[0].email in listing.content.decode()
