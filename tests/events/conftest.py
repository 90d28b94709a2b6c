import pytest

from tests.factories.accounts import UserFactory, staff_person
from tests.factories.contributors import steering_members
from tests.factories.events import MeetingFactory


@pytest.fixture
def staff():
    return staff_person()


@pytest.fixture
def reviewer():
    """A member of the technical steering group with a current term (not staff)."""
    return steering_members(1, chair=False)[0]


@pytest.fixture
def member():
    return UserFactory(name="Raj Patel")


@pytest.fixture
def speaker():
    return UserFactory(name="Mei Chen", orcid=True)


@pytest.fixture
def meeting():
    return MeetingFactory(slug="emea-2026", title="ORCID EMEA outreach meeting")
