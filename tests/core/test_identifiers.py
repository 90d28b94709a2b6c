import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.identifiers import (
    normalize_orcid,
    normalize_ror,
    orcid_check_character,
    ror_checksum,
)

VALID_ORCIDS = [
    "0000-0002-1825-0097",
    "0000-0002-9079-593X",
    "0000-0003-1419-2405",
    "0009-0001-5055-9262",
    "4444-4444-4444-4446",
]
VALID_RORS = ["02mhbdp94", "05gq02987", "013meh722", "03yrm5c26", "00jmfr291"]


@pytest.mark.parametrize("orcid", VALID_ORCIDS)
def test_documented_orcid_ids_are_valid(orcid):
    assert normalize_orcid(orcid) == orcid


@pytest.mark.parametrize(
    ("raw", "bare"),
    [
        ("https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("http://orcid.org/0000-0002-9079-593x/", "0000-0002-9079-593X"),
        ("  orcid.org/0000-0003-1419-2405 ", "0000-0003-1419-2405"),
        ("0000000218250097", "0000-0002-1825-0097"),
    ],
)
def test_orcid_url_and_bare_input_are_stored_bare(raw, bare):
    assert normalize_orcid(raw) == bare


@pytest.mark.parametrize(
    "bad", ["0000-0002-1825-0098", "0000-0002-9079-5930", "4444-4444-4444-4444"]
)
def test_orcid_with_wrong_check_character_is_rejected(bad):
    with pytest.raises(ValidationError) as exc:
        normalize_orcid(bad)
    assert exc.value.code == "invalid_checksum"


@pytest.mark.parametrize(
    "bad", ["", "0000-0002-1825", "abcd-0002-1825-0097", "https://example.org/x"]
)
def test_malformed_orcid_is_rejected_with_format_message(bad):
    with pytest.raises(ValidationError) as exc:
        normalize_orcid(bad)
    assert exc.value.code == "invalid_format"


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_every_15_digit_base_has_exactly_one_valid_check_character(base):
    valid = [c for c in "0123456789X" if orcid_check_character(base) == c]
    assert len(valid) == 1
    formatted = "-".join((base + valid[0])[i : i + 4] for i in range(0, 16, 4))
    assert normalize_orcid(formatted) == formatted


@pytest.mark.parametrize("ror", VALID_RORS)
def test_documented_ror_ids_are_valid(ror):
    assert normalize_ror(ror) == ror
    assert normalize_ror(f"https://ror.org/{ror.upper()}") == ror


@pytest.mark.parametrize("bad", ["02mhbdp95", "05gq02988", "12mhbdp94", "02mhbdp9", "02mhbdpi4"])
def test_bad_ror_ids_are_rejected(bad):
    with pytest.raises(ValidationError):
        normalize_ror(bad)


@given(st.text(alphabet="0123456789abcdefghjkmnpqrstvwxyz", min_size=6, max_size=6))
def test_ror_checksum_round_trips_and_detects_a_changed_digit(body):
    ror = "0" + body + ror_checksum("0" + body)
    assert normalize_ror(ror) == ror
    wrong = f"{(int(ror[7:]) + 1) % 100:02d}"
    with pytest.raises(ValidationError):
        normalize_ror(ror[:7] + wrong)
