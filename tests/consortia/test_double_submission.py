"""A join request or a consortium proposal sent twice (a double click, a reload) is made
once and both answers lead to it (core.submissions)."""

import pytest
from django.db import connection
from django.test import Client

from consortia.models import Consortium, Membership
from tests.factories.accounts import UserFactory
from tests.factories.consortia import ConsortiumContactFactory, ConsortiumFactory
from tests.helpers import run_together

JOIN = {
    "organization": "",
    "new_name": "University of Galway",
    "new_ror_id": "https://ror.org/03bea9k73",
    "new_country": "IE",
    "new_org_type": "higher_education",
    "new_website": "https://universityofgalway.ie",
    "message": "We would like to join.",
}
PROPOSAL = {
    "name": "ORCID South-East Asia",
    "kind": "regional",
    "countries": ["SG", "MY", "TH"],
    "description": "A regional consortium.",
    "new_name": "National University of Singapore",
    "new_ror_id": "01tgyzw49",
    "new_country": "SG",
    "new_org_type": "higher_education",
}


def _consortium():
    consortium = ConsortiumFactory(name="IReL ORCID", slug="irel")
    ConsortiumContactFactory(consortium=consortium, role="main")
    return consortium


@pytest.mark.django_db
def test_a_join_request_sent_twice_is_one_request_and_no_error(client):
    consortium = _consortium()
    client.force_login(UserFactory())
    first = client.post("/consortia/irel/join/", JOIN)
    second = client.post("/consortia/irel/join/", JOIN)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == "/consortia/mine/"
    assert Membership.objects.filter(consortium=consortium, state="requested").count() == 1


@pytest.mark.django_db
def test_a_proposal_sent_twice_is_one_consortium(client):
    client.force_login(UserFactory())
    first = client.post("/consortia/propose/", PROPOSAL)
    second = client.post("/consortia/propose/", PROPOSAL)
    consortium = Consortium.objects.get(name=PROPOSAL["name"])
    assert first["Location"] == second["Location"] == f"/consortia/{consortium.slug}/manage/"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
@pytest.mark.parametrize(
    ("path", "data"), [("/consortia/irel/join/", JOIN), ("/consortia/propose/", PROPOSAL)]
)
def test_a_form_sent_twice_at_the_same_moment_makes_one_thing(path, data):
    _consortium()
    user = UserFactory()
    clients = [Client() for _ in range(2)]
    for client in clients:
        client.force_login(user)
    answers = run_together(*[(lambda c=c: c.post(path, data)) for c in clients])
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert Membership.objects.filter(state="requested").count() == (1 if "join" in path else 0)
    assert Consortium.objects.filter(name=PROPOSAL["name"]).count() == (0 if "join" in path else 1)
