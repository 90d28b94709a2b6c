"""core.client: X-Forwarded-For is believed only from a trusted proxy (FORWARDED_ALLOW_IPS)."""

import pytest
from django.test import RequestFactory, override_settings

from accounts.adapters import AccountAdapter
from core.client import client_address

PROXY = "10.0.0.5"


def request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


@pytest.fixture(autouse=True)
def _one_trusted_proxy_network():
    with override_settings(FORWARDED_ALLOW_IPS=["10.0.0.0/24", "127.0.0.1"]):
        yield


def test_without_a_proxy_the_peer_is_the_client():
    assert client_address(request("198.51.100.4")) == "198.51.100.4"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored():
    assert client_address(request("198.51.100.4", "203.0.113.9")) == "198.51.100.4"
    assert client_address(request("198.51.100.4", "127.0.0.1, 10.0.0.5")) == "198.51.100.4"


def test_a_trusted_proxy_forwards_its_client():
    assert client_address(request(PROXY, "203.0.113.9")) == "203.0.113.9"


def test_behind_a_trusted_proxy_a_prepended_address_is_not_believed():
    """The client sent ``X-Forwarded-For: 1.2.3.4`` itself; the proxy appended the real
    address. The rightmost address that is no trusted proxy is the client."""
    assert client_address(request(PROXY, "1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_to_the_client():
    assert client_address(request(PROXY, "203.0.113.9, 10.0.0.7, 10.0.0.6")) == "203.0.113.9"


def test_a_garbled_entry_ends_the_walk_at_the_last_trusted_hop():
    assert client_address(request(PROXY, "203.0.113.9, not-an-address")) == PROXY
    assert client_address(request(PROXY, "")) == PROXY


def test_addresses_with_ports_and_ipv6_are_understood():
    assert client_address(request(PROXY, "203.0.113.9:51234")) == "203.0.113.9"
    assert client_address(request(PROXY, "[2001:db8::1]:443")) == "2001:db8::1"
    assert client_address(request("2001:db8::2", "203.0.113.9")) == "2001:db8::2"


def test_a_star_trusts_every_peer():
    with override_settings(FORWARDED_ALLOW_IPS=["*"]):
        assert client_address(request("198.51.100.4", "203.0.113.9")) == "203.0.113.9"


def test_allauth_counts_its_sign_in_attempts_per_client_address():
    adapter = AccountAdapter()
    assert adapter.get_client_ip(request("198.51.100.4", "203.0.113.9")) == "198.51.100.4"
    assert adapter.get_client_ip(request(PROXY, "203.0.113.9")) == "203.0.113.9"
