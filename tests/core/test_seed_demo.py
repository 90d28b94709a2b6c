import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command

from accounts.models import User
from core.identifiers import normalize_orcid

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_people_have_connected_orcid_accounts(capsys):
    call_command("seed_demo")
    first = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == first > 5
    # Every demo person proved their iD as Sign in with ORCID does: an ORCID account.
    accounts = dict(SocialAccount.objects.filter(provider="orcid").values_list("user_id", "uid"))
    for user in User.objects.all():
        assert normalize_orcid(user.orcid_id) == user.orcid_id
        assert accounts[user.pk] == user.orcid_id
    assert len(accounts) == first
    assert User.objects.filter(is_staff=True).exists()
    out = capsys.readouterr().out
    assert "staff@example.org" in out


def test_demo_people_can_sign_in_with_the_printed_password(client, settings):
    call_command("seed_demo", quiet_accounts=True)
    response = client.post(
        "/accounts/login/", {"login": "user@example.org", "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
