"""accounts 0002 and contributors 0004 on data written before iDs had to be proved."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("accounts", "0001_initial"), ("contributors", "0003_staff_permissions")]
AFTER = [("accounts", "0002_verified_orcid_ids"), ("contributors", "0004_signature_orcid_id")]
JOSIAH = "0000-0002-1825-0097"
CARBERRY = "0000-0002-9079-593X"
OTHER = "0000-0003-1419-2405"


def migrate(targets):
    executor = MigrationExecutor(connection)
    # allauth's ORCID accounts as they are today, whatever the name of its latest migration.
    targets = targets + executor.loader.graph.leaf_nodes("socialaccount")
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before():
    """The models as they were before the change; the latest migrations again afterwards."""
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_typed_ids_are_set_aside_and_proved_ones_kept(before):
    User = before.get_model("accounts", "User")
    SocialAccount = before.get_model("socialaccount", "SocialAccount")
    # Mallory typed Josiah's iD; Josiah had connected ORCID but could not get his own iD.
    User.objects.create(email="mallory@example.org", orcid_id=JOSIAH)
    josiah = User.objects.create(email="josiah@example.org")
    SocialAccount.objects.create(user=josiah, provider="orcid", uid=JOSIAH, extra_data={})
    # Carberry signed in with ORCID: his iD is proved. Pat typed an iD nobody proved.
    carberry = User.objects.create(email="carberry@example.org", orcid_id=CARBERRY)
    SocialAccount.objects.create(user=carberry, provider="orcid", uid=CARBERRY, extra_data={})
    pat = User.objects.create(email="pat@example.org", orcid_id=OTHER)
    User.objects.create(email="nobody@example.org")
    # Both signed the OST agreement.
    Agreement = before.get_model("contributors", "Agreement")
    Nomination = before.get_model("contributors", "Nomination")
    Signature = before.get_model("contributors", "Signature")
    agreement = Agreement.objects.create(version="1", title="T", body="B")
    for signer in (carberry, pat):
        nomination = Nomination.objects.create(
            nominee=signer,
            rationale="r",
            state="approved",
            decided_at=timezone.now(),
            deadline=timezone.now() + timedelta(days=14),
        )
        Signature.objects.create(
            nomination=nomination, signer=signer, agreement=agreement, full_name="N"
        )

    after = migrate(AFTER)

    User = after.get_model("accounts", "User")
    people = {u.email.split("@")[0]: u for u in User.objects.all()}
    assert (people["mallory"].orcid_id, people["mallory"].unverified_orcid_id) == (None, JOSIAH)
    assert (people["josiah"].orcid_id, people["josiah"].unverified_orcid_id) == (JOSIAH, "")
    assert (people["carberry"].orcid_id, people["carberry"].unverified_orcid_id) == (CARBERRY, "")
    assert (people["pat"].orcid_id, people["pat"].unverified_orcid_id) == (None, OTHER)
    assert (people["nobody"].orcid_id, people["nobody"].unverified_orcid_id) == (None, "")
    public_ids = {u.public_id for u in people.values()}
    assert None not in public_ids
    assert len(public_ids) == 5
    Signature = after.get_model("contributors", "Signature")
    signed = dict(Signature.objects.values_list("signer__email", "orcid_id"))
    assert signed == {"carberry@example.org": CARBERRY, "pat@example.org": ""}
