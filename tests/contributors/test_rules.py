import pytest

from contributors.models import Vote
from contributors.rules import Tally, count_votes


def tally(roll, approve=0, reject=0, abstain=0):
    return Tally(roll_size=roll, approvals=approve, rejections=reject, abstentions=abstain)


@pytest.mark.parametrize(("roll", "needed"), [(1, 1), (2, 2), (3, 2), (6, 4), (7, 4), (8, 5)])
def test_quorum_is_more_than_half_of_the_roll(roll, needed):
    assert tally(roll).quorum_needed == needed
    assert not tally(roll, approve=needed - 1).has_quorum
    assert tally(roll, approve=needed).has_quorum


def test_three_of_seven_is_no_quorum_so_unanimous_approvals_still_reject():
    assert not tally(7, approve=3).approved


def test_four_of_seven_approving_is_approved():
    assert tally(7, approve=4).approved


def test_abstentions_count_toward_quorum_but_not_toward_the_majority():
    result = tally(7, approve=1, abstain=3)
    assert result.has_quorum
    assert result.approved


def test_only_abstentions_reach_quorum_but_do_not_approve():
    result = tally(7, abstain=4)
    assert result.has_quorum
    assert not result.approved


def test_a_tie_between_approvals_and_rejections_rejects():
    assert not tally(7, approve=2, reject=2).approved
    assert tally(7, approve=3, reject=2).approved


def test_an_empty_roll_never_has_quorum():
    assert not tally(0).has_quorum
    assert not tally(0).everyone_voted


def test_everyone_voted_counts_abstentions():
    assert tally(3, approve=1, reject=1, abstain=1).everyone_voted
    assert not tally(3, approve=1, reject=1).everyone_voted


def test_the_tally_counts_only_the_votes_of_the_eligible_roll():
    votes = [
        (1, Vote.Choice.APPROVE),
        (2, Vote.Choice.REJECT),
        (3, Vote.Choice.ABSTAIN),
        (9, Vote.Choice.APPROVE),  # recused or never on the roll: not counted
    ]
    assert count_votes([1, 2, 3, 4], votes) == Tally(
        roll_size=4, approvals=1, rejections=1, abstentions=1
    )
    assert count_votes([], votes) == Tally(roll_size=0, approvals=0, rejections=0, abstentions=0)
