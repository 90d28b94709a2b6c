"""consortia/0006: rows from before verification are vouched for only where staff (or a
lead contact of a consortium staff handled) already accepted them."""

import importlib

import pytest
from django.apps import apps

from consortia.models import Consortium, Organization
from tests.factories.consortia import ConsortiumFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("consortia.migrations.0006_trust")


def test_only_what_staff_handled_is_verified():
    before = {"verification": "unverified"}
    finalized = ConsortiumFactory(status="active", lead_organization__verification="unverified")
    Consortium.objects.filter(pk=finalized.pk).update(**before)
    inactive = ConsortiumFactory(status="inactive", agreement_finalized_at=None, **before)
    forming = ConsortiumFactory(
        status="forming", lead_organization__verification="unverified", **before
    )
    accepted = MembershipFactory(consortium=finalized, organization__verification="unverified")
    former = MembershipFactory(
        consortium=finalized, organization__verification="unverified", state="left"
    )
    asked = MembershipFactory(
        consortium=finalized, organization__verification="unverified", state="requested"
    )
    in_forming = MembershipFactory(consortium=forming, organization__verification="unverified")
    alone = OrganizationFactory(verification="unverified")

    migration.vouch_for_what_staff_already_handled(apps, None)

    consortia = dict(Consortium.objects.values_list("pk", "verification"))
    assert consortia == {
        finalized.pk: "verified",
        inactive.pk: "verified",
        forming.pk: "unverified",
    }
    organizations = dict(Organization.objects.values_list("pk", "verification"))
    assert organizations[finalized.lead_organization_id] == "verified"
    assert organizations[accepted.organization_id] == "verified"
    assert organizations[former.organization_id] == "verified"
    assert organizations[asked.organization_id] == "unverified"
    assert organizations[forming.lead_organization_id] == "unverified"
    assert organizations[in_forming.organization_id] == "unverified"
    assert organizations[alone.pk] == "unverified"
