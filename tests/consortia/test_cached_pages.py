"""The consortia's cached pages (core.pagecache): a change shows at once, to everyone."""

import pytest

from tests.factories.accounts import UserFactory
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db


def test_a_renamed_consortium_shows_on_the_cached_directory_at_once(client):
    consortium = ConsortiumFactory(name="Irish consortium", countries=["IE"])
    assert "Irish consortium" in client.get("/consortia/").content.decode()

    consortium.name = "IReL consortium"
    consortium.save()

    html = client.get("/consortia/").content.decode()
    assert "IReL consortium" in html
    assert "Irish consortium" not in html


def test_a_filtered_directory_is_cached_apart_from_the_unfiltered_one(client):
    ConsortiumFactory(name="Irish consortium", countries=["IE"], region="emea")
    ConsortiumFactory(name="Brazilian consortium", countries=["BR"], region="americas")
    assert "Brazilian consortium" in client.get("/consortia/").content.decode()
    assert "Brazilian consortium" not in client.get("/consortia/?region=emea").content.decode()


def test_a_new_member_shows_on_the_cached_consortium_page_at_once(client):
    consortium = ConsortiumFactory(slug="irel", countries=["IE"])
    url = "/consortia/irel/"
    assert "Trinity College Dublin" not in client.get(url).content.decode()

    MembershipFactory(
        consortium=consortium, organization=OrganizationFactory(name="Trinity College Dublin")
    )

    assert "Trinity College Dublin" in client.get(url).content.decode()


def test_the_cached_consortium_page_shows_manage_to_its_contacts_only(client):
    consortium = ConsortiumFactory(slug="irel", countries=["IE"])
    contact = ConsortiumContactFactory(consortium=consortium).user
    manage = "/consortia/irel/manage/"
    assert manage not in client.get("/consortia/irel/").content.decode()
    client.force_login(contact)
    assert manage in client.get("/consortia/irel/").content.decode()
    client.force_login(UserFactory())
    assert manage not in client.get("/consortia/irel/").content.decode()
