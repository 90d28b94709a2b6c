"""Pure rules of OST nominations: no database, so every edge is cheap to test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings


def default_deadline(opened_at: datetime) -> datetime:
    return opened_at + timedelta(days=settings.CONTRIBUTORS_NOMINATION_DAYS)


def earliest_deadline(opened_at: datetime) -> datetime:
    return opened_at + timedelta(hours=settings.CONTRIBUTORS_NOMINATION_MIN_HOURS)


@dataclass(frozen=True)
class Tally:
    roll_size: int
    approvals: int
    rejections: int
    abstentions: int

    @property
    def voted(self) -> int:
        return self.approvals + self.rejections + self.abstentions

    @property
    def quorum_needed(self) -> int:
        """More than half of the roll: 4 of 7, 4 of 6, 1 of 1."""
        return self.roll_size // 2 + 1

    @property
    def has_quorum(self) -> bool:
        # Abstentions count toward the quorum, not toward the majority.
        return self.roll_size > 0 and self.voted >= self.quorum_needed

    @property
    def approved(self) -> bool:
        return self.has_quorum and self.approvals > self.rejections

    @property
    def everyone_voted(self) -> bool:
        return self.roll_size > 0 and self.voted >= self.roll_size


def count_votes(eligible_voter_ids: Collection[int], votes: Iterable[tuple[int, str]]) -> Tally:
    """The tally over the eligible (not recused) voters of the roll; ``votes`` are
    ``(voter id, choice)`` pairs, and a vote of someone off the roll does not count."""
    eligible = set(eligible_voter_ids)
    choices = Counter(choice for voter_id, choice in votes if voter_id in eligible)
    return Tally(
        roll_size=len(eligible),
        approvals=choices["approve"],
        rejections=choices["reject"],
        abstentions=choices["abstain"],
    )
