import pytest
from django.conf import settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_accept_language_chooses_the_language_else_english(client):
    assert '<html lang="ru">' in client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="zh-hans">' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_switcher_sets_a_cookie_for_visitors(client):
    response = client.post("/accounts/language/", {"language": "es", "next": "/forums/"})
    assert response.status_code == 302
    assert response["Location"] == "/forums/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert '<html lang="es">' in client.get("/").content.decode()


def test_switcher_stores_the_choice_on_the_profile_which_wins_over_the_browser(client):
    person = UserFactory()
    client.force_login(person)
    client.post("/accounts/language/", {"language": "pt-br"})
    person.refresh_from_db()
    assert person.language == "pt-br"
    client.cookies.clear()
    client.force_login(person)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<html lang="pt-br">' in html


def test_switcher_refuses_unknown_languages_and_foreign_redirects(client):
    assert client.post("/accounts/language/", {"language": "xx"}).status_code == 400
    response = client.post(
        "/accounts/language/", {"language": "ru", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_header_offers_all_six_languages(client):
    html = client.get("/").content.decode()
    for code in ["en", "zh-hans", "zh-hant", "pt-br", "es", "ru"]:
        assert f'<option value="{code}"' in html
