"""Django's own errors are the portal's pages, in its layout and the reader's language:
400, 403 (a refusal and an expired form), 404, 405, 429 and 500 (core.errors, core.outage,
core.ratelimit); /favicon.ico answers."""

import pytest
from django.test import Client, override_settings

from core.ratelimit import local_counters
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

RUSSIAN = {"HTTP_ACCEPT_LANGUAGE": "ru"}


def _page(response) -> str:
    html = response.content.decode()
    assert 'class="site-header"' in html  # the site's layout, not Django's bare page
    return html


def test_an_address_without_a_page_is_a_404_in_the_readers_language(client):
    response = client.get("/no-such-page/", **RUSSIAN)
    assert response.status_code == 404
    html = _page(response)
    assert '<html lang="ru"' in html
    assert "Страница не найдена" in html
    assert "There is no page" not in html


def test_a_missing_object_is_the_same_404_without_the_developers_text(client):
    response = client.get("/forums/t/999999/")
    assert response.status_code == 404
    html = _page(response)
    assert "Page not found" in html
    assert "matches the given query" not in html


def test_a_method_the_address_does_not_take_is_a_branded_405_keeping_allow(client):
    client.force_login(UserFactory())
    response = client.get("/forums/t/1/reply/", **RUSSIAN)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = _page(response)
    assert "Здесь это невозможно" in html


def test_a_refusal_is_a_branded_403_in_the_readers_language(client):
    response = client.get("/forums/moderation/", **RUSSIAN)
    assert response.status_code in (302, 403)  # visitors are sent to sign in
    client.force_login(UserFactory())
    response = client.get("/forums/moderation/", **RUSSIAN)
    assert response.status_code == 403
    html = _page(response)
    assert "Недоступно" in html


def test_a_form_with_an_expired_csrf_token_is_a_branded_403():
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/forums/t/1/reply/", {"body": "hello"}, **RUSSIAN)
    assert response.status_code == 403
    html = _page(response)
    assert "Срок действия формы истёк" in html
    assert "CSRF" not in html


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_a_request_for_another_host_is_a_branded_400(client):
    response = client.get("/", HTTP_HOST="evil.example", HTTP_REFERER="http://evil.example/")
    assert response.status_code == 400
    html = _page(response)
    assert "Bad request" in html
    assert "evil.example" not in html


@pytest.mark.urls("tests.core.error_urls")
@pytest.mark.parametrize(
    ("language", "words"), [("en", "Something went wrong"), ("ru", "Что-то пошло не так")]
)
def test_an_unexpected_error_is_a_branded_500_in_the_readers_language(language, words):
    visitor = Client(raise_request_exception=False)
    response = visitor.get("/boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    assert response["Cache-Control"] == "no-store"
    html = _page(response)
    assert f'<html lang="{language}"' in html
    assert words in html
    assert "an error nobody expected" not in html


@override_settings(RATE_LIMITS={"flag": "1/h"})
def test_too_many_attempts_is_a_branded_429_in_the_readers_language(client):
    local_counters.clear()
    client.force_login(UserFactory())
    client.post("/forums/p/999999/flag/", {"reason": "spam"}, **RUSSIAN)
    response = client.post("/forums/p/999999/flag/", {"reason": "spam"}, **RUSSIAN)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = _page(response)
    assert "Подождите, прежде чем пытаться снова" in html


def test_the_favicon_answers_with_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response["Cache-Control"]
