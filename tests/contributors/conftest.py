import pytest

from contributors import services
from tests.factories.accounts import staff_person
from tests.factories.contributors import AgreementFactory, contributor, steering_members


@pytest.fixture
def staff():
    return staff_person()


@pytest.fixture
def steering():
    """Seven steering-group members with a current term; the first chairs."""
    return steering_members(7)


@pytest.fixture
def nominee():
    return contributor(name="Mei Chen")


@pytest.fixture
def agreement():
    return AgreementFactory(version="2026.1")


@pytest.fixture
def nomination(staff, steering, nominee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.nomination_open(nominee=nominee, rationale="Years of **help**.", by=staff)
