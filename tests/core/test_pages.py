import pytest
from django.urls import reverse

from tests.factories import UserFactory, grant, staff_person, with_two_factor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/"])
def test_public_pages_answer_200(client, url):
    assert client.get(url).status_code == 200


def test_base_template_has_skip_link_landmarks_and_language(client):
    html = client.get("/").content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert "<header" in html
    assert "<footer" in html
    assert '<html lang="en">' in html
    assert 'aria-label="Main"' in html


def test_home_explains_three_levels_and_consortia(client):
    html = client.get("/").content.decode()
    for text in ["Technical contributor", "Open source team member", "five or more not-for-profit"]:
        assert text in html


def test_admin_link_only_for_staff(client):
    admin_url = reverse("admin:index")
    assert admin_url not in client.get("/").content.decode()
    client.force_login(UserFactory())
    assert f'href="{admin_url}"' not in client.get("/").content.decode()
    client.force_login(staff_person())
    assert f'href="{admin_url}"' in client.get("/").content.decode()


def test_admin_link_not_for_staff_status_without_a_permission(client):
    # The admin would let them in and show them nothing.
    client.force_login(with_two_factor(UserFactory(is_staff=True)))
    assert f'href="{reverse("admin:index")}"' not in client.get("/").content.decode()


def test_admin_link_not_for_a_permission_without_staff_status(client):
    # The admin would not let them in: their powers are on the public pages.
    client.force_login(with_two_factor(grant(UserFactory(), "forums.moderate_forums")))
    assert f'href="{reverse("admin:index")}"' not in client.get("/").content.decode()


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_no_inline_scripts_in_base_page(client):
    html = client.get("/").content.decode()
    assert "<script>" not in html
    assert "onclick=" not in html
