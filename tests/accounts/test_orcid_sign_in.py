"""Sign in with ORCID, end to end, with ORCID's HTTP endpoints answered by a local fake."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.orcid.views import OrcidOAuth2Adapter

from accounts.models import User
from mail.models import Delivery
from tests.factories import UserFactory
from tests.factories.accounts import with_two_factor
from tests.factories.contributors import contributor

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
    # The iD is the one ORCID's token response named, held by the connected ORCID account.
    assert SocialAccount.objects.get(user=user).uid == JOSIAH
    assert user.get_absolute_url() == f"/contributors/{JOSIAH}/"
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


def connect_orcid(client):
    """Press "Connect" for ORCID on the account pages and come back from ORCID."""
    response = client.post("/accounts/orcid/login/", {"process": "connect"})
    assert response.status_code == 302
    state = parse_qs(urlparse(response["Location"]).query)["state"][0]
    return client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")


def test_the_account_pages_offer_to_connect_orcid(client, orcid_app):
    client.force_login(UserFactory())
    html = client.get("/accounts/3rdparty/").content.decode()
    assert "/accounts/orcid/login/?process=connect" in html


def test_connecting_orcid_gives_a_signed_in_person_the_id_orcid_proved(client, fake_orcid):
    person = contributor(name="Josiah C.", orcid=False)
    old_address = person.get_absolute_url()
    client.force_login(person)
    response = connect_orcid(client)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.orcid_id == JOSIAH
    assert SocialAccount.objects.get(provider="orcid", uid=JOSIAH).user == person
    # The profile is now at the iD; its earlier address leads there.
    assert "Josiah C." in client.get(f"/contributors/{JOSIAH}/").content.decode()
    assert client.get(old_address)["Location"] == f"/contributors/{JOSIAH}/"


def test_connecting_the_id_a_person_once_typed_proves_it(client, fake_orcid):
    person = UserFactory(unverified_orcid_id=JOSIAH)
    client.force_login(person)
    connect_orcid(client)
    person.refresh_from_db()
    assert (person.orcid_id, person.unverified_orcid_id) == (JOSIAH, "")


def test_an_id_connected_to_another_account_is_refused_with_a_way_to_ask_staff(
    client, fake_orcid, django_capture_on_commit_callbacks
):
    holder = UserFactory(orcid=JOSIAH, name="First Account")
    staff = with_two_factor(UserFactory(is_staff=True, is_superuser=True, name="Olivia Staff"))
    person = UserFactory(name="Second Account")
    client.force_login(person)

    response = connect_orcid(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/orcid-taken/"
    page = client.get("/accounts/orcid-taken/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"https://orcid.org/{JOSIAH}" in html
    assert "connected to another account" in html
    person.refresh_from_db()
    assert person.orcid_id is None
    assert SocialAccount.objects.get(provider="orcid", uid=JOSIAH).user == holder

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/orcid-taken/", {"note": "I made two accounts."})
    assert response["Location"] == "/accounts/3rdparty/"
    (delivery,) = Delivery.objects.filter(kind="accounts.orcid_conflict")
    assert delivery.recipient == staff
    assert delivery.reply_to == person.email
    assert "I made two accounts." in delivery.body_text
    assert f"/admin/accounts/user/{holder.pk}/change/" in delivery.body_text
    assert delivery.state == "sent"
    # The request was answered: the page is not offered again without a new sign-in.
    assert client.get("/accounts/orcid-taken/")["Location"] == "/accounts/3rdparty/"


def test_asking_staff_twice_about_the_same_id_mails_them_once(client, fake_orcid):
    UserFactory(orcid=JOSIAH)
    with_two_factor(UserFactory(is_staff=True, is_superuser=True))
    client.force_login(UserFactory())
    for _ in range(2):
        connect_orcid(client)
        client.post("/accounts/orcid-taken/", {"note": ""})
    assert Delivery.objects.filter(kind="accounts.orcid_conflict").count() == 1


def test_the_conflict_page_needs_an_id_proved_in_this_session(client):
    assert client.get("/accounts/orcid-taken/")["Location"].startswith("/accounts/login/")
    client.force_login(UserFactory())
    assert client.get("/accounts/orcid-taken/")["Location"] == "/accounts/3rdparty/"
    assert client.post("/accounts/orcid-taken/", {"note": "x"}).status_code == 302
    assert not Delivery.objects.filter(kind="accounts.orcid_conflict").exists()


def test_a_second_orcid_id_is_refused_while_the_first_is_connected(client, fake_orcid):
    person = UserFactory(orcid="0000-0002-9079-593X")
    client.force_login(person)
    response = connect_orcid(client)
    assert response["Location"] == "/accounts/3rdparty/"
    messages = [str(m) for m in client.get("/accounts/3rdparty/").context["messages"]]
    assert any("already connected to the ORCID iD 0000-0002-9079-593X" in m for m in messages)
    person.refresh_from_db()
    assert person.orcid_id == "0000-0002-9079-593X"
    assert not SocialAccount.objects.filter(uid=JOSIAH).exists()


def test_removing_the_orcid_connection_removes_the_id(client, orcid_app):
    person = contributor(orcid=JOSIAH)
    client.force_login(person)
    account = SocialAccount.objects.get(user=person)
    response = client.post("/accounts/3rdparty/", {"account": account.pk})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.orcid_id is None
    assert client.get(f"/contributors/{JOSIAH}/").status_code == 404
    assert client.get(f"/contributors/p/{person.public_id}/").status_code == 200


def test_without_sign_in_with_orcid_set_up_removing_it_is_refused_with_a_message(client):
    person = UserFactory(orcid=JOSIAH)  # demo people on a development server
    client.force_login(person)
    account = SocialAccount.objects.get(user=person)
    response = client.post("/accounts/3rdparty/", {"account": account.pk})
    assert response.status_code == 200
    assert "not set up on this portal" in response.content.decode()
    person.refresh_from_db()
    assert person.orcid_id == JOSIAH


def test_staff_deleting_an_orcid_account_in_the_admin_frees_its_id(client, fake_orcid):
    holder = UserFactory(orcid=JOSIAH)
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    account = SocialAccount.objects.get(user=holder)
    response = client.post(
        f"/admin/socialaccount/socialaccount/{account.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    holder.refresh_from_db()
    assert holder.orcid_id is None
    # Its owner can now connect it to their own account.
    owner = UserFactory()
    client.force_login(owner)
    connect_orcid(client)
    owner.refresh_from_db()
    assert owner.orcid_id == JOSIAH


def test_signing_in_with_an_id_recorded_without_its_orcid_account_is_no_server_error(
    client, fake_orcid
):
    # Data from before iDs were proved, had the migration not set it aside.
    stale = UserFactory()
    User.objects.filter(pk=stale.pk).update(orcid_id=JOSIAH)
    state = start_orcid_login(client)
    response = client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")
    assert response["Location"] == "/accounts/orcid-taken/"
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()


def test_a_typed_orcid_id_claims_nothing_and_its_owner_signs_in_with_orcid(client, fake_orcid):
    impostor = contributor(name="Mallory Impostor", orcid=False)
    client.force_login(impostor)
    client.post(
        "/accounts/profile/",
        {"name": "Mallory Impostor", "orcid_id": JOSIAH, "affiliation": "", "language": ""},
    )
    impostor.refresh_from_db()
    assert impostor.orcid_id is None
    page = client.get(f"/contributors/{JOSIAH}/").content.decode()
    # The header names whoever is signed in; the page itself names nobody for the iD.
    assert "Mallory" not in page[page.index("<main") : page.index("</main>")]

    # The iD's owner signs in with ORCID: a new account with the iD, not a server error.
    client.post("/accounts/logout/")
    state = start_orcid_login(client)
    response = client.get(f"/accounts/orcid/login/callback/?code=good-code&state={state}")
    assert response.status_code == 302
    owner = User.objects.get(orcid_id=JOSIAH)
    assert owner != impostor
    assert owner.name == "Josiah Carberry"
