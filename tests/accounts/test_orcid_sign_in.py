"""Sign in with ORCID, end to end, with ORCID's HTTP endpoints answered by a local fake."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.orcid.views import OrcidOAuth2Adapter

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JOSIAH = "0000-0002-1825-0097"


def orcid_record(orcid: str, *, email: str | None) -> dict:
    emails = [{"email": email, "verified": True, "primary": True}] if email else []
    return {
        "orcid-identifier": {
            "uri": f"https://orcid.org/{orcid}",
            "path": orcid,
            "host": "orcid.org",
        },
        "person": {
            "name": {
                "given-names": {"value": "Josiah"},
                "family-name": {"value": "Carberry"},
                "credit-name": None,
            },
            "emails": {"email": emails},
        },
    }


class FakeOrcid:
    """ORCID's token and record endpoints, on a loopback port."""

    def __init__(self, orcid: str, email: str | None):
        self.orcid = orcid
        self.email = email
        self.requests: list[tuple[str, str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, payload: dict, status: int = 200):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                fake.requests.append(("POST", self.path, form))
                if self.path == "/oauth/token" and form.get("code") == ["good-code"]:
                    self._reply(
                        {
                            "access_token": "token-123",
                            "token_type": "bearer",
                            "expires_in": 631138518,
                            "scope": "/authenticate",
                            "name": "Josiah Carberry",
                            "orcid": fake.orcid,
                        }
                    )
                else:
                    self._reply({"error": "invalid_grant"}, status=400)

            def do_GET(self):
                fake.requests.append(("GET", self.path, dict(self.headers)))
                if self.path == f"/v3.0/{fake.orcid}/record":
                    self._reply(orcid_record(fake.orcid, email=fake.email))
                else:
                    self._reply({"error": "not found"}, status=404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def orcid_app(db):
    return SocialApp.objects.create(
        provider="orcid", name="ORCID", client_id="APP-TEST", secret="secret"
    )


@pytest.fixture
def fake_orcid(monkeypatch, orcid_app, request):
    email = getattr(request, "param", "josiah@example.edu")
    with FakeOrcid(JOSIAH, email) as fake:
        # The provider builds these URLs from BASE_DOMAIN at import; point them at the fake.
        monkeypatch.setattr(OrcidOAuth2Adapter, "authorize_url", f"{fake.base}/oauth/authorize")
        monkeypatch.setattr(OrcidOAuth2Adapter, "access_token_url", f"{fake.base}/oauth/token")
        monkeypatch.setattr(OrcidOAuth2Adapter, "profile_url", f"{fake.base}/v3.0/%s/record")
        yield fake


def start_orcid_login(client) -> str:
    """Press "Sign in with ORCID"; return the state ORCID would send back."""
    response = client.post("/accounts/orcid/login/")
    assert response.status_code == 302
    location = urlparse(response["Location"])
    query = parse_qs(location.query)
    assert location.path == "/oauth/authorize"
    assert query["client_id"] == ["APP-TEST"]
    assert query["scope"] == ["/authenticate"]
    return query["state"][0]


def test_login_page_offers_sign_in_with_orcid(client, orcid_app):
    html = client.get("/accounts/login/").content.decode()
    assert "/accounts/orcid/login/" in html


def test_new_person_signing_in_with_orcid_gets_an_account_with_their_orcid_id(client, fake_orcid):
    state = start_orcid_login(client)
    response = client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")
    assert response.status_code == 302
    user = User.objects.get(orcid_id=JOSIAH)
    assert user.name == "Josiah Carberry"
    assert user.email == "josiah@example.edu"
    assert SocialAccount.objects.get(user=user).uid == JOSIAH
    # The portal really talked to the token and record endpoints.
    assert [r[1] for r in fake_orcid.requests] == ["/oauth/token", f"/v3.0/{JOSIAH}/record"]
    assert client.get("/").context["user"] == user


@pytest.mark.parametrize("fake_orcid", [None], indirect=True)
def test_orcid_record_without_public_email_asks_for_one_then_creates_the_account(
    client, fake_orcid
):
    state = start_orcid_login(client)
    response = client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/3rdparty/signup/"
    response = client.post("/accounts/3rdparty/signup/", {"email": "josiah@brown.example"})
    assert response.status_code == 302
    user = User.objects.get(email="josiah@brown.example")
    assert user.orcid_id == JOSIAH


def test_returning_person_is_signed_in_to_the_same_account(client, fake_orcid):
    state = start_orcid_login(client)
    client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")
    client.post("/accounts/logout/")
    state = start_orcid_login(client)
    client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")
    assert User.objects.filter(orcid_id=JOSIAH).count() == 1
    assert client.get("/").context["user"].orcid_id == JOSIAH


def test_a_forged_state_creates_no_account(client, fake_orcid):
    start_orcid_login(client)
    response = client.get("/accounts/orcid/login/callback/?code=good-code&state=forged")
    assert response.status_code == 401  # allauth's "login failed" page
    assert not User.objects.filter(orcid_id=JOSIAH).exists()


def test_signed_in_person_connecting_orcid_gets_the_id_on_their_profile(client, fake_orcid):
    person = UserFactory(orcid_id=None)
    client.force_login(person)
    response = client.post("/accounts/orcid/login/", {"process": "connect"})
    state = parse_qs(urlparse(response["Location"]).query)["state"][0]
    client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")
    person.refresh_from_db()
    assert person.orcid_id == JOSIAH


def test_a_typed_orcid_id_claims_nothing_and_its_owner_signs_in_with_orcid(client, fake_orcid):
    from tests.factories.contributors import contributor

    impostor = contributor(name="Mallory Impostor", orcid_id=None)
    client.force_login(impostor)
    client.post(
        "/accounts/profile/",
        {"name": "Mallory Impostor", "orcid_id": JOSIAH, "affiliation": "", "language": ""},
    )
    impostor.refresh_from_db()
    assert impostor.orcid_id is None
    assert "Mallory" not in client.get(f"/contributors/{JOSIAH}/").content.decode()

    # The iD's owner signs in with ORCID: a new account with the iD, not a server error.
    client.post("/accounts/logout/")
    state = start_orcid_login(client)
    response = client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")
    assert response.status_code == 302
    owner = User.objects.get(orcid_id=JOSIAH)
    assert owner != impostor
    assert owner.name == "Josiah Carberry"
