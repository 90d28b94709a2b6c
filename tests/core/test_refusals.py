"""One handler turns a refusal into a page, and one rule turns validation into a refusal:
core.errors."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import (
    DomainErrorMiddleware,
    InvalidInput,
    RuleViolation,
    full_clean,
    permission_denied,
)
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def _request(rf, **headers):
    request = rf.post("/somewhere/", **headers)
    request.user = AnonymousUser()
    return request


def _handle(request, error):
    return DomainErrorMiddleware(lambda r: None).process_exception(request, error)


def test_a_domain_error_is_the_refusal_page_with_its_status_message_and_details(rf):
    error = RuleViolation("Five members first.", details=["Five members first.", "Two more."])
    response = _handle(_request(rf), error)
    page = response.content.decode()
    assert response.status_code == 409
    assert "This did not work" in page
    assert page.count("Five members first.") == 1
    assert "Two more." in page


def test_other_exceptions_are_left_to_django(rf):
    assert _handle(_request(rf), ValueError("boom")) is None


def test_the_way_back_is_the_page_the_person_came_from_on_this_site_only(rf):
    here = _handle(_request(rf, HTTP_REFERER="http://testserver/forums/"), RuleViolation())
    assert 'href="http://testserver/forums/"' in here.content.decode()
    elsewhere = _handle(_request(rf, HTTP_REFERER="https://evil.example/"), RuleViolation())
    assert "evil.example" not in elsewhere.content.decode()
    assert "Back to the home page" in elsewhere.content.decode()


def test_a_permission_denied_shows_its_reason_on_the_same_page(rf):
    response = permission_denied(_request(rf), PermissionDenied("Only ORCID staff do this."))
    assert response.status_code == 403
    assert "Only ORCID staff do this." in response.content.decode()
    bare = permission_denied(_request(rf), PermissionDenied())
    assert "You are not allowed to do this." in bare.content.decode()


def test_a_refusal_from_a_view_reaches_the_person_through_the_middleware(client):
    client.force_login(UserFactory())
    response = client.post("/mail/settings/", {"list": "no-such-list"})
    assert response.status_code == 400
    assert "There is no such list." in response.content.decode()


def test_a_service_s_model_validation_is_invalid_input_with_every_message():
    class Invalid:
        def full_clean(self, **kwargs):
            assert kwargs == {"exclude": ["password"]}
            raise ValidationError({"title": ["Too long."], "room": ["Choose a room."]})

    with pytest.raises(InvalidInput) as error:
        full_clean(Invalid(), exclude=["password"])
    assert error.value.status_code == 400
    assert [str(error.value.message), *error.value.details] == ["Too long.", "Choose a room."]
