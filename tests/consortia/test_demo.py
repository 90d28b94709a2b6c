import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from consortia.models import (
    ChecklistEntry,
    Consortium,
    ContactInvitation,
    ContactRequest,
    Membership,
    Organization,
)
from consortia.services import consortium_membership_shortfalls

pytestmark = pytest.mark.django_db


def test_demo_consortia_cover_the_regions_kinds_and_states_and_seed_idempotently(
    client, seeded_demo
):
    counts = (Consortium.objects.count(), Membership.objects.count())
    call_command("seed_demo", quiet_accounts=True)
    assert (Consortium.objects.count(), Membership.objects.count()) == counts

    # Everything is verified but what waits for staff: one proposal and two organizations
    # (its lead, and one that asked to join IReL on the way).
    waiting = Consortium.objects.exclude(verification="verified")
    assert list(waiting.values_list("slug", "verification")) == [("orcid-portugal", "unverified")]
    assert set(
        Organization.objects.exclude(verification="verified").values_list("name", "verification")
    ) == {
        ("Fundação para a Ciência e a Tecnologia", "unverified"),
        ("Dundalk Institute of Technology", "unverified"),
    }
    assert ContactRequest.objects.filter(state="pending").count() == 1
    assert ContactInvitation.objects.filter(state="pending").count() == 1
    assert client.get("/consortia/orcid-portugal/").status_code == 404
    assert "ORCID Portugal" not in client.get("/consortia/").content.decode()

    consortia = Consortium.objects.filter(verification="verified").annotate(
        members=Count("memberships", filter=Q(memberships__state="active"))
    )
    assert consortia.count() >= 12
    assert set(consortia.values_list("region", flat=True)) == {"americas", "emea", "apac"}
    assert set(consortia.values_list("kind", flat=True)) == {"national", "regional"}
    assert all(5 <= c.members <= 25 for c in consortia), [(c.slug, c.members) for c in consortia]
    forming = consortia.filter(status="forming")
    assert forming.count() >= 2
    for consortium in forming:
        done = ChecklistEntry.objects.filter(consortium=consortium, done=True).count()
        assert 0 < done < 12
    below = consortia.filter(below_minimum=True)
    assert below.count() >= 1
    for consortium in consortia.filter(status="active"):
        assert bool(consortium_membership_shortfalls(consortium)) == consortium.below_minimum

    assert client.get("/consortia/").status_code == 200
    assert "Below minimum" in client.get("/consortia/?status=active").content.decode()
    for consortium in consortia:
        assert client.get(f"/consortia/{consortium.slug}/").status_code == 200


def test_the_demo_lead_manages_irel_and_the_demo_member_belongs_to_australia(client, seeded_demo):
    from accounts.models import User

    client.force_login(User.objects.get(email="lead@example.org"))
    html = client.get("/consortia/irel/manage/requests/").content.decode()
    assert "Technological University of the Shannon" in html  # a pending request
    assert "Waiting for ORCID to verify this organization" in html  # Dundalk's
    html = client.get("/consortia/irel/manage/contacts/").content.decode()
    assert "new.colleague@tcd.example" in html  # an invitation
    client.force_login(User.objects.get(email="member@example.org"))
    html = client.get("/consortia/mine/").content.decode()
    assert "University of Melbourne" in html
    assert "Australian ORCID Consortium" in html
    assert "Priya Raman asks to act for University of Melbourne" in html


def test_the_demo_staff_person_finds_the_queue_waiting(client, seeded_demo):
    from accounts.models import User

    client.force_login(User.objects.get(email="staff@example.org"))
    html = client.get("/admin/consortia/consortium/?verification__exact=unverified")
    assert "ORCID Portugal" in html.content.decode()
    html = client.get("/admin/consortia/organization/?verification__exact=unverified")
    assert "Dundalk Institute of Technology" in html.content.decode()
    html = client.get("/admin/consortia/contactrequest/?state__exact=pending")
    assert "Priya Raman" in html.content.decode()
