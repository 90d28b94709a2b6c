"""One staff check for every app's services (accounts.staff.require_staff_power)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.staff import require_staff_power
from core.errors import NotAllowed


def test_a_person_the_rule_refuses_is_not_allowed():
    with pytest.raises(NotAllowed, match="Only ORCID staff"):
        require_staff_power(AnonymousUser(), lambda by: False)


def test_a_person_the_rule_allows_goes_ahead():
    require_staff_power(AnonymousUser(), lambda by: True)


def test_the_portal_itself_acting_has_no_person_to_check():
    def rule(by):
        raise AssertionError("not asked")

    require_staff_power(None, rule)
