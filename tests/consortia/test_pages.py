"""Every consortia page: strict CSP (no inline script or style), landmarks and labels."""

import pytest
from django.core.exceptions import ValidationError

from consortia import services
from consortia.models import Consortium
from tests.factories.accounts import UserFactory, grant, with_two_factor
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgressReportFactory,
)
from tests.helpers import assert_clean_markup

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_client(client):
    consortium = ConsortiumFactory(slug="irel", status="forming")
    MembershipFactory(consortium=consortium, state="requested")
    lead = ConsortiumContactFactory(consortium=consortium, role="main").user
    # Staff see the finalize buttons too.
    grant(lead, "consortia.finalize_consortium", "consortia.deactivate_consortium")
    with_two_factor(lead)
    ProgressReportFactory(consortium=consortium)
    client.force_login(lead)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/consortia/",
        "/consortia/?page=1&region=emea",
        "/consortia/irel/",
        "/consortia/irel/join/",
        "/consortia/irel/manage/",
        "/consortia/propose/",
        "/consortia/mine/",
    ],
)
def test_pages_have_no_inline_script_or_style_and_label_every_field(lead_client, url):
    response = lead_client.get(url)
    assert response.status_code == 200
    assert_clean_markup(response.content.decode())


def test_the_trust_pages_too(lead_client):
    organization = OrganizationFactory(name="University of Limerick")
    consortium = Consortium.objects.get(slug="irel")
    lead = consortium.contacts.get().user
    invitation = services.contact_invitation_send(
        consortium=consortium, by=lead, email="x@example.org", role="staff"
    )
    for url in (
        "/consortia/organizations/?q=limerick",
        f"/consortia/organizations/{organization.pk}/ask/",
        f"/consortia/invitations/{invitation.token}/",
    ):
        response = lead_client.get(url)
        assert response.status_code == 200, url
        assert_clean_markup(response.content.decode())


def test_a_report_has_its_own_page(client):
    report = ProgressReportFactory(consortium__slug="irel", title="Spring", body="**Bold**")
    html = client.get(f"/consortia/irel/reports/{report.pk}/").content.decode()
    assert "<strong>Bold</strong>" in html
    assert client.get(f"/consortia/other/reports/{report.pk}/").status_code == 404


def test_a_consortium_cannot_take_the_slug_of_a_page():
    consortium = ConsortiumFactory.build(slug="propose", lead_organization=None)
    with pytest.raises(ValidationError, match="address of a page"):
        consortium.clean()


def test_the_dashboard_needs_sign_in(client):
    assert client.get("/consortia/mine/").status_code == 302
    client.force_login(UserFactory())
    assert (
        "Your organizations have no memberships" in client.get("/consortia/mine/").content.decode()
    )
    assert Consortium.objects.count() == 0
