import pytest
from django.core.management import call_command

from accounts.models import User
from core.identifiers import normalize_orcid

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_people_have_valid_orcid_ids(capsys):
    call_command("seed_demo")
    first = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == first > 5
    for user in User.objects.all():
        assert normalize_orcid(user.orcid_id) == user.orcid_id
    assert User.objects.filter(is_staff=True).exists()
    out = capsys.readouterr().out
    assert "staff@example.org" in out


def test_demo_people_can_sign_in_with_the_printed_password(client, settings):
    call_command("seed_demo", quiet_accounts=True)
    response = client.post(
        "/accounts/login/", {"login": "user@example.org", "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
