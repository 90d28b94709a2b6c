"""Which countries belong to each of ORCID's three regions (ISO 3166-1 alpha-2).

ORCID works in the Americas; Europe, Middle East & Africa; and Asia-Pacific. Every country
not listed for the Americas or Asia-Pacific belongs to EMEA.
"""

from collections import Counter
from collections.abc import Iterable

from core.regions import Region

AMERICAS = frozenset(
    [
        "AG",
        "AI",
        "AR",
        "AW",
        "BB",
        "BL",
        "BM",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BZ",
        "CA",
        "CL",
        "CO",
        "CR",
        "CU",
        "CW",
        "DM",
        "DO",
        "EC",
        "FK",
        "GD",
        "GF",
        "GL",
        "GP",
        "GS",
        "GT",
        "GY",
        "HN",
        "HT",
        "JM",
        "KN",
        "KY",
        "LC",
        "MF",
        "MQ",
        "MS",
        "MX",
        "NI",
        "PA",
        "PE",
        "PM",
        "PR",
        "PY",
        "SR",
        "SV",
        "SX",
        "TC",
        "TT",
        "UM",
        "US",
        "UY",
        "VC",
        "VE",
        "VG",
        "VI",
    ]
)
APAC = frozenset(
    # South, East, South-East and Central Asia, and Oceania.
    [
        "AF",
        "BD",
        "BT",
        "IN",
        "LK",
        "MV",
        "NP",
        "PK",
        "CN",
        "HK",
        "JP",
        "KP",
        "KR",
        "MN",
        "MO",
        "TW",
        "BN",
        "ID",
        "KH",
        "LA",
        "MM",
        "MY",
        "PH",
        "SG",
        "TH",
        "TL",
        "VN",
        "KZ",
        "KG",
        "TJ",
        "TM",
        "UZ",
        "IO",
        "AS",
        "AU",
        "CC",
        "CK",
        "CX",
        "FJ",
        "FM",
        "GU",
        "HM",
        "KI",
        "MH",
        "MP",
        "NC",
        "NF",
        "NR",
        "NU",
        "NZ",
        "PF",
        "PG",
        "PN",
        "PW",
        "SB",
        "TK",
        "TO",
        "TV",
        "VU",
        "WF",
        "WS",
    ]
)


def region_of_country(code: str) -> str:
    code = str(code).upper()
    if code in AMERICAS:
        return Region.AMERICAS
    if code in APAC:
        return Region.APAC
    return Region.EMEA


def region_of_countries(codes: Iterable[str]) -> str:
    """The region most of the countries are in (the first country's region breaks a tie)."""
    regions = [region_of_country(code) for code in codes]
    if not regions:
        return ""
    counts = Counter(regions)
    best = max(counts.values())
    return next(region for region in regions if counts[region] == best)
