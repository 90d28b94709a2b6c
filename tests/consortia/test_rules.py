"""The five-member and regional rules, at their edges (pure functions, no database)."""

import pytest

from consortia.regions import region_of_countries
from consortia.rules import agreement_shortfalls, membership_shortfalls
from core.regions import Region


def test_a_national_consortium_with_five_members_meets_the_minimum():
    assert membership_shortfalls(kind="national", member_countries=["IE"] * 5) == []


def test_a_national_consortium_with_four_members_is_one_short():
    problems = membership_shortfalls(kind="national", member_countries=["IE"] * 4)
    assert len(problems) == 1
    assert "4 active not-for-profit members" in problems[0]
    assert "1 more" in problems[0]


def test_a_regional_consortium_with_three_countries_meets_the_country_rule():
    assert (
        membership_shortfalls(kind="regional", member_countries=["NO", "SE", "DK", "NO", "SE"])
        == []
    )


def test_a_regional_consortium_with_two_countries_is_refused():
    problems = membership_shortfalls(
        kind="regional", member_countries=["NO", "NO", "NO", "SE", "SE"]
    )
    assert problems == [
        "Its members come from 2 countries; a regional consortium needs members from at least "
        "3 countries."
    ]


def test_exactly_85_percent_from_one_country_is_allowed():
    members = ["NO"] * 17 + ["SE", "DK", "FI"]  # 17 of 20 = 85%
    assert membership_shortfalls(kind="regional", member_countries=members) == []


def test_more_than_85_percent_from_one_country_is_refused():
    members = ["NO"] * 18 + ["SE", "DK"]  # 18 of 20 = 90%
    problems = membership_shortfalls(kind="regional", member_countries=members)
    assert len(problems) == 1
    assert "18 of its 20 members (90%) are in Norway" in problems[0]
    assert "no more than 85%" in problems[0]


def test_just_above_85_percent_is_refused():
    members = ["NO"] * 6 + ["SE"]  # 6 of 7 = 85.7%: also only 2 countries
    problems = membership_shortfalls(kind="regional", member_countries=members)
    assert any("(86%) are in Norway" in p for p in problems)
    assert any("2 countries" in p for p in problems)


def test_the_refused_share_is_rounded_up_so_it_never_reads_as_the_maximum():
    """18 of 21 is 85.7%: the message said "(85%) … no more than 85%"."""
    members = ["NO"] * 18 + ["SE", "DK", "FI"]
    problems = membership_shortfalls(kind="regional", member_countries=members)
    assert problems == [
        "18 of its 21 members (86%) are in Norway; a regional consortium may have no more "
        "than 85% of its members in one country."
    ]


def test_a_share_a_hair_above_the_maximum_reads_above_it():
    members = ["NO"] * 171 + ["SE"] * 15 + ["DK"] * 15  # 171 of 201 = 85.07%
    problems = membership_shortfalls(kind="regional", member_countries=members)
    assert "171 of its 201 members (86%)" in problems[0]


def test_a_national_consortium_ignores_the_country_rules():
    assert membership_shortfalls(kind="national", member_countries=["IE"] * 30) == []


def test_agreement_lists_every_open_checklist_item_and_the_membership_problems():
    problems = agreement_shortfalls(
        kind="regional",
        member_countries=["NO", "SE"],
        open_checklist_items=["Funding model decided", "Call for participation issued"],
    )
    assert problems[:2] == [
        "Checklist item not done: Funding model decided",
        "Checklist item not done: Call for participation issued",
    ]
    assert any("2 active not-for-profit members" in p for p in problems)
    assert any("2 countries" in p for p in problems)


def test_agreement_has_no_shortfall_when_everything_is_in_place():
    assert (
        agreement_shortfalls(kind="national", member_countries=["IE"] * 5, open_checklist_items=[])
        == []
    )


@pytest.mark.parametrize(
    ("countries", "region"),
    [
        (["US"], Region.AMERICAS),
        (["BR", "AR"], Region.AMERICAS),
        (["NO", "SE", "DK"], Region.EMEA),
        (["ZA"], Region.EMEA),
        (["AU", "NZ"], Region.APAC),
        (["JP"], Region.APAC),
        (["SG", "MY", "GB"], Region.APAC),
    ],
)
def test_the_region_follows_most_of_the_countries(countries, region):
    assert region_of_countries(countries) == region
