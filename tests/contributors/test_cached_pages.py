"""The contributors' cached pages (core.pagecache): a change shows at once; pagination."""

from datetime import date

import pytest

from contributors import services
from contributors.views import PAGE_SIZE
from tests.factories.contributors import ContributionFactory, contributor
from tests.helpers import vote

pytestmark = pytest.mark.django_db


def test_a_renamed_contributor_shows_on_the_cached_directory_at_once(client):
    person = contributor(name="Mei Chen")
    assert "Mei Chen" in client.get("/contributors/").content.decode()

    person.name = "Mei Chen-Li"
    person.save()

    assert "Mei Chen-Li" in client.get("/contributors/").content.decode()


def test_the_directory_shows_a_page_of_contributors_at_a_time(client):
    for n in range(PAGE_SIZE + 1):
        contributor(name=f"Person {n:02d}")
    first = client.get("/contributors/")
    assert len(first.context["directory"]["page"].object_list) == PAGE_SIZE
    assert "page=2" in first.content.decode()
    second = client.get("/contributors/?page=2")
    assert len(second.context["directory"]["page"].object_list) == 1


def test_a_new_contribution_shows_on_the_cached_profile_at_once(client, staff):
    person = contributor(name="Mei Chen")
    url = f"/contributors/{person.orcid_id}/"
    assert "Fixed the sandbox" not in client.get(url).content.decode()

    services.contribution_add(
        user=person, by=staff, kind="patch", title="Fixed the sandbox", date=date(2026, 1, 5)
    )

    assert "Fixed the sandbox" in client.get(url).content.decode()


def test_the_cached_profile_shows_the_verify_button_to_staff_only(client, staff):
    person = contributor(name="Mei Chen")
    ContributionFactory(user=person, verified=False)
    url = f"/contributors/{person.orcid_id}/"
    assert "/verify/" not in client.get(url).content.decode()
    client.force_login(staff)
    assert "/verify/" in client.get(url).content.decode()


def test_a_vote_shows_on_the_cached_review_list_and_nomination_at_once(
    client, nomination, steering
):
    client.force_login(steering[0])
    url = f"/review/nominations/{nomination.pk}/"
    assert "Too early" not in client.get(url).content.decode()
    [row] = client.get("/review/").context["queue"]["open"]
    assert row.vote_count == 0

    vote(nomination, steering[1], "reject", "Too early")

    assert "Too early" in client.get(url).content.decode()
    assert "1 of 7" in client.get("/review/").content.decode()


def test_the_review_list_shows_the_decided_nominations_a_page_at_a_time(client, staff, steering):
    from contributors.selectors import REVIEW_DECIDED_PAGE_SIZE

    for n in range(REVIEW_DECIDED_PAGE_SIZE + 1):
        person = contributor(name=f"Decided {n:02d}")
        decided = services.nomination_open(nominee=person, rationale="r", by=staff)
        services.nomination_decide(nomination_id=decided.pk, now=decided.deadline)
    client.force_login(steering[0])
    first = client.get("/review/")
    assert len(first.context["queue"]["decided"].object_list) == REVIEW_DECIDED_PAGE_SIZE
    assert 'href="?page=2"' in first.content.decode()
    second = client.get("/review/?page=2")
    assert len(second.context["queue"]["decided"].object_list) == 1
    assert "Decided 00" in second.content.decode()  # the oldest comes last
