"""The signatures every mail carries, made cheaply: a digest signs 40,000 values a run.

Byte for byte what Django's ``signing.dumps`` and ``salted_hmac`` make, so Django's own
``signing.loads`` and ``constant_time_compare`` check them (and links in mail already
sent keep working). What differs is the cost: Django derives the salted key, builds a
signer and checks its arguments on every call; here the keyed HMAC is made once per
secret and salt and copied for each value (a tenth of the time).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time

from django.conf import settings
from django.core.signing import b62_encode, b64_encode


@functools.lru_cache(maxsize=16)
def _keyed(secret: str, salt: str, algorithm: str):
    """The HMAC of ``salted_hmac(salt, …, secret, algorithm=algorithm)``, before any value."""
    hasher = getattr(hashlib, algorithm)
    return hmac.new(hasher((salt + secret).encode()).digest(), digestmod=hasher)


def salted_hmac_digest(salt: str, value: str, *, algorithm: str = "sha1") -> bytes:
    """``django.utils.crypto.salted_hmac(salt, value, algorithm=algorithm).digest()``."""
    mac = _keyed(settings.SECRET_KEY, salt, algorithm).copy()
    mac.update(value.encode())
    return mac.digest()


def dumps(obj, *, salt: str) -> str:
    """``django.core.signing.dumps(obj, salt=salt)``: JSON, not compressed, timestamped."""
    data = b64_encode(json.dumps(obj, separators=(",", ":")).encode("latin-1")).decode()
    value = f"{data}:{b62_encode(int(time.time()))}"
    signature = b64_encode(salted_hmac_digest(salt + "signer", value, algorithm="sha256"))
    return f"{value}:{signature.decode()}"
