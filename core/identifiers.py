"""ORCID iD and ROR ID: normalization and checksum validation (see shared/DOMAIN.md)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ORCID_URL_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/")
_ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_ORCID_BARE_RE = re.compile(r"^\d{15}[\dX]$")

ROR_URL_PREFIXES = ("https://ror.org/", "http://ror.org/", "ror.org/")
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR_RE = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}\d{2}$")


def orcid_check_character(base_digits: str) -> str:
    """ISO/IEC 7064 MOD 11-2 check character of the first 15 digits of an ORCID iD."""
    total = 0
    for ch in base_digits:
        total = (total + int(ch)) * 2
    remainder = (12 - total % 11) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_orcid(value: str) -> str:
    """Return the bare ``0000-0000-0000-0000`` form of an ORCID iD, or raise ValidationError.

    Accepts the bare form (with or without hyphens, lower-case ``x``) and the URL form.
    """
    raw = (value or "").strip()
    for prefix in ORCID_URL_PREFIXES:
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix) :]
            break
    raw = raw.strip("/").upper()
    if _ORCID_BARE_RE.match(raw):
        raw = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    if not _ORCID_RE.match(raw):
        raise ValidationError(
            _(
                "Enter an ORCID iD like 0000-0002-1825-0097 or https://orcid.org/0000-0002-1825-0097."
            ),
            code="invalid_format",
        )
    digits = raw.replace("-", "")
    if orcid_check_character(digits[:15]) != digits[15]:
        raise ValidationError(
            _("%(value)s is not a valid ORCID iD: its check character does not match."),
            code="invalid_checksum",
            params={"value": raw},
        )
    return raw


def validate_orcid(value: str) -> None:
    """Model-field validator: the stored value must already be a valid bare ORCID iD."""
    if normalize_orcid(value) != value:
        raise ValidationError(
            _("Store the ORCID iD in its bare form, like 0000-0002-1825-0097."),
            code="not_normalized",
        )


def orcid_url(orcid_id: str) -> str:
    return f"https://orcid.org/{orcid_id}"


def ror_checksum(base: str) -> str:
    """The two ISO 7064 MOD 97-10 check digits of a ROR ID's first seven characters."""
    number = 0
    for ch in base:
        number = number * 32 + _CROCKFORD.index(ch)
    return f"{98 - (number * 100) % 97:02d}"


def normalize_ror(value: str) -> str:
    """Return the bare nine-character ROR ID (``02mhbdp94``), or raise ValidationError."""
    raw = (value or "").strip()
    for prefix in ROR_URL_PREFIXES:
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix) :]
            break
    raw = raw.strip("/").lower()
    if not _ROR_RE.match(raw):
        raise ValidationError(
            _("Enter a ROR ID like 02mhbdp94 or https://ror.org/02mhbdp94."),
            code="invalid_format",
        )
    if ror_checksum(raw[:7]) != raw[7:]:
        raise ValidationError(
            _("%(value)s is not a valid ROR ID: its check digits do not match."),
            code="invalid_checksum",
            params={"value": raw},
        )
    return raw


def validate_ror(value: str) -> None:
    if normalize_ror(value) != value:
        raise ValidationError(
            _("Store the ROR ID in its bare form, like 02mhbdp94."), code="not_normalized"
        )


def ror_url(ror_id: str) -> str:
    return f"https://ror.org/{ror_id}"
