"""The address of the person behind a request, believing proxies only where configured.

``REMOTE_ADDR`` is the peer that opened the connection: behind a reverse proxy, the proxy.
The proxy tells who its client was in ``X-Forwarded-For`` — but anyone can send that
header, so it is read only when the peer is a trusted proxy: ``FORWARDED_ALLOW_IPS``, the
same setting (and environment variable) gunicorn reads for the scheme headers
(orcid_community/gunicorn_conf.py): addresses or networks, comma-separated, or ``*``
to trust every peer (only when nothing but the proxy can reach the portal). Like
gunicorn, a connection without an address (a UNIX socket) counts as trusted.

The header lists one address per hop, the nearest last. It is read from the right: each
trusted proxy's entry is skipped, and the first address that is not a trusted proxy is
the client. An entry that is not an address ends the walk at the last trusted hop, so a
forged or garbled header can never put a made-up address in its place.

Everything that needs a client's address — rate limits (core.ratelimit), the address
recorded with an OST agreement signature, allauth's own rate limits
(accounts.adapters) — asks :func:`client_address`.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8)
def _trusted_networks(allowed: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...] | None:
    """The networks of ``FORWARDED_ALLOW_IPS``; None for ``*`` (every peer)."""
    entries = [entry.strip() for entry in allowed if entry.strip()]
    if "*" in entries:
        return None
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: Address | None) -> bool:
    networks = _trusted_networks(tuple(settings.FORWARDED_ALLOW_IPS))
    if networks is None or address is None:
        return True
    return any(address in network for network in networks)


def _parse(value: str) -> Address | None:
    """An address from a header entry, also with a port (``1.2.3.4:5``, ``[::1]:5``)."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address: the peer's, or the one a trusted proxy forwarded."""
    peer_text = request.META.get("REMOTE_ADDR", "")
    peer = _parse(peer_text) if peer_text else None
    if peer_text and peer is None:
        return None  # not an address: nothing to believe
    if not _is_trusted(peer):
        return str(peer)
    found = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed(forwarded.split(",") if forwarded else []):
        hop = _parse(entry)
        if hop is None:
            break
        found = hop
        if not _is_trusted(hop):
            break
    return str(found) if found is not None else None
