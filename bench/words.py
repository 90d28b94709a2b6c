"""The words of generated forum posts (bench/fill.py, bench/search.py): skewed like real
ones, a few ORCID API words in a quarter of all posts. No Django: importable anywhere."""

from __future__ import annotations

import random

COMMON = str.split(
    "the a to of and in is for on with that this it we our my you can how do does when not "
    "from by be are was have has but or if at as what why"
)
TOPICAL = str.split(
    "orcid api token oauth scope authenticate read-public read-limited member sandbox record "
    "works work put-code affiliation employment education funding grant peer review webhook "
    "callback notification client credentials redirect_uri mismatch refresh expire expired "
    "json xml schema search expanded paging rate limit error 401 403 404 409 500 doi crossref "
    "datacite ror ringgold grid researcher institution repository cris integration library "
    "python java javascript curl request response header bearer"
)


def sentence(rng: random.Random, words: int) -> str:
    out = []
    for _ in range(words):
        # Zipf-like: common words often, topical words less, a long tail of rare ones.
        roll = rng.random()
        if roll < 0.55:
            out.append(rng.choice(COMMON))
        elif roll < 0.95:
            out.append(TOPICAL[min(int(rng.paretovariate(1.2)) - 1, len(TOPICAL) - 1)])
        else:
            out.append(f"w{rng.randrange(50_000)}")
    return " ".join(out).capitalize() + "."
