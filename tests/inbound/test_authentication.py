"""Whether a mail comes from its From domain: a trusted server's DMARC verdict, else DKIM."""

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from inbound import authentication, parsing
from tests.helpers import mail_bytes

TRUSTED = ["mx.community.orcid.example"]


def _verdict(raw: bytes, dnsfunc=None):
    message = parsing.parse(raw)
    return authentication.authenticate(
        message, raw, parsing.from_address_of(message), trusted=TRUSTED, dnsfunc=dnsfunc
    )


def _with_results(value: str, sender: str = "ana@example.org") -> bytes:
    return mail_bytes(to="api-users@x", sender=sender, headers={"Authentication-Results": value})


def test_a_trusted_server_s_dmarc_pass_for_the_from_domain_passes():
    raw = _with_results("mx.community.orcid.example; dkim=pass; dmarc=pass header.from=example.org")
    assert _verdict(raw) == authentication.Verdict(True, "dmarc")


def test_a_trusted_server_s_dmarc_fail_fails():
    raw = _with_results("mx.community.orcid.example; dmarc=fail (p=reject) header.from=example.org")
    assert _verdict(raw) == authentication.Verdict(False, "dmarc=fail")


def test_a_pass_for_another_domain_than_the_from_address_fails():
    raw = _with_results(
        "mx.community.orcid.example; dmarc=pass header.from=attacker.example",
        sender="ana@example.org",
    )
    assert not _verdict(raw).passed


def test_a_pass_written_by_an_untrusted_server_counts_for_nothing():
    raw = _with_results("mx.attacker.example; dmarc=pass header.from=example.org")
    assert _verdict(raw) == authentication.Verdict(False, "no dkim signature")


def test_only_the_topmost_trusted_header_counts():
    # A forged header further down, under the one our server added, is not believed.
    raw = mail_bytes(to="api-users@x", headers={"Authentication-Results": "x"})
    raw = (
        b"Authentication-Results: mx.community.orcid.example; dmarc=fail header.from=example.org\r\n"
        + raw.replace(
            b"Authentication-Results: x",
            b"Authentication-Results: mx.community.orcid.example; dmarc=pass header.from=example.org",
        )
    )
    assert not _verdict(raw).passed


@pytest.mark.parametrize(
    ("domain", "from_domain", "aligned"),
    [
        ("example.org", "example.org", True),
        ("example.org", "mail.example.org", True),
        ("mail.example.org", "example.org", True),
        ("ample.org", "example.org", False),
        ("org", "example.org", False),
        ("", "example.org", False),
    ],
)
def test_relaxed_alignment(domain, from_domain, aligned):
    assert authentication.aligned(domain, from_domain) is aligned


@pytest.fixture(scope="module")
def dkim_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dnsfunc(name, timeout=5):
        return record if name == b"sel._domainkey.example.org." else None

    return private, dnsfunc


def _signed(private: bytes, domain: bytes = b"example.org") -> bytes:
    raw = mail_bytes(to="api-users@x", sender="ana@example.org", subject="Token expired")
    signature = dkim.sign(raw, b"sel", domain, private, include_headers=[b"from", b"subject"])
    return signature + raw


def test_without_a_trusted_header_an_aligned_dkim_signature_passes(dkim_key):
    private, dnsfunc = dkim_key
    assert _verdict(_signed(private), dnsfunc) == authentication.Verdict(True, "dkim")


def test_a_mail_changed_after_signing_fails_dkim(dkim_key):
    private, dnsfunc = dkim_key
    raw = _signed(private).replace(b"Subject: Token expired", b"Subject: Token stolen")
    assert _verdict(raw, dnsfunc) == authentication.Verdict(False, "dkim=fail")


def test_a_signature_of_another_domain_does_not_vouch_for_the_from_address(dkim_key):
    private, _dnsfunc = dkim_key

    def dnsfunc(name, timeout=5):  # the attacker's own key, published under their domain
        return _dnsfunc(name.replace(b"attacker.example", b"example.org"))

    assert not _verdict(_signed(private, b"attacker.example"), dnsfunc).passed
