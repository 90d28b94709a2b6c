"""Whether a mail really comes from the domain of its From address.

The receiving mail server checks DMARC and records it in an ``Authentication-Results``
header (RFC 8601) naming itself (its ``authserv-id``). Anyone can write such a header into
a mail, so only one naming a server of ``INBOUND_TRUSTED_AUTHSERV_IDS`` counts, and only
the topmost of those (the one our own server added last; configure it to remove
headers that claim its name, as OpenDMARC and Rspamd do). Without a trusted header the
mail's DKIM signatures are verified here (dkimpy): one that verifies for the From
domain, or a parent of it (DMARC's relaxed alignment), passes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage

import authres
import dkim

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    how: str  # "dmarc" (a trusted header), "dkim" (verified here) or why it failed


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment without the public suffix list: one domain is the other or a
    parent of it."""
    domain, from_domain = domain.lower().strip("."), from_domain.lower().strip(".")
    if not domain or not from_domain:
        return False
    return (
        domain == from_domain
        or from_domain.endswith("." + domain)
        or domain.endswith("." + from_domain)
    ) and "." in domain


def _results(value: str):
    try:
        return authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    except Exception:  # noqa: BLE001 - a malformed header is no evidence
        return None


def trusted_dmarc(message: EmailMessage, from_domain: str, trusted: list[str]) -> Verdict | None:
    """The verdict of the topmost Authentication-Results of a trusted server, or None when
    no trusted server wrote one."""
    trusted_ids = {t.lower() for t in trusted if t}
    if not trusted_ids:
        return None
    for value in message.get_all("Authentication-Results") or []:
        header = _results(str(value))
        if header is None or (header.authserv_id or "").lower() not in trusted_ids:
            continue
        for result in header.results:
            if result.method.lower() != "dmarc":
                continue
            header_from = next(
                (
                    str(p.value)
                    for p in result.properties
                    if p.type == "header" and p.name == "from"
                ),
                "",
            )
            ok = result.result.lower() == "pass" and aligned(header_from, from_domain)
            return Verdict(ok, "dmarc" if ok else f"dmarc={result.result}")
        return Verdict(False, "no dmarc result")
    return None


def dkim_verdict(raw: bytes, from_domain: str, *, dnsfunc=None) -> Verdict:
    """Verify each DKIM signature; pass when one verifies for the From domain."""
    signatures = raw.count(b"\nDKIM-Signature:") + raw.startswith(b"DKIM-Signature:")
    if not signatures:
        return Verdict(False, "no dkim signature")
    kwargs = {"dnsfunc": dnsfunc} if dnsfunc else {}
    for index in range(signatures):
        checker = dkim.DKIM(raw, logger=logger)
        try:
            ok = checker.verify(idx=index, **kwargs)
        except Exception:  # noqa: BLE001 - a broken signature or DNS failure: not verified
            logger.info("DKIM signature %d did not verify", index, exc_info=True)
            continue
        domain = (checker.domain or b"").decode("ascii", "replace")
        if ok and aligned(domain, from_domain):
            return Verdict(True, "dkim")
    return Verdict(False, "dkim=fail")


def authenticate(
    message: EmailMessage, raw: bytes, from_address: str, *, trusted: list[str], dnsfunc=None
) -> Verdict:
    """Whether the mail passed DMARC (a trusted server's word) or an aligned DKIM check."""
    from_domain = from_address.rpartition("@")[2]
    if not from_domain:
        return Verdict(False, "no from address")
    verdict = trusted_dmarc(message, from_domain, trusted)
    if verdict is not None:
        return verdict
    return dkim_verdict(raw, from_domain, dnsfunc=dnsfunc)
