"""Two lead contacts accepting the same organization at the same moment: the database
constraint keeps it an active member of one consortium only (PostgreSQL: real
concurrent transactions)."""

import pytest
from django.db import connection

from consortia import services
from consortia.models import Membership
from core.errors import RuleViolation
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationFactory,
)
from tests.helpers import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]


def test_two_concurrent_accepts_leave_the_organization_active_in_one_consortium():
    organization = OrganizationFactory()
    requests = []
    leads = []
    for _ in range(2):
        consortium = ConsortiumFactory()
        leads.append(ConsortiumContactFactory(consortium=consortium, role="main").user)
        requests.append(
            MembershipFactory(consortium=consortium, organization=organization, state="requested")
        )
    results = run_together(
        *[
            (lambda r=r, lead=lead: services.membership_accept(membership=r, by=lead))
            for r, lead in zip(requests, leads, strict=True)
        ]
    )
    assert Membership.objects.filter(organization=organization, state="active").count() == 1
    assert sum(isinstance(r, Membership) for r in results) == 1
    assert sum(isinstance(r, RuleViolation) for r in results) == 1


def test_two_concurrent_requests_leave_one_pending_request():
    from tests.factories.consortia import OrganizationContactFactory

    contact = OrganizationContactFactory()
    consortium = ConsortiumFactory()
    results = run_together(
        *[
            (
                lambda: services.membership_request(
                    consortium=consortium, by=contact.user, organization=contact.organization
                )
            )
            for _ in range(2)
        ]
    )
    assert Membership.objects.filter(organization=contact.organization).count() == 1
    assert sum(isinstance(r, RuleViolation) for r in results) == 1
