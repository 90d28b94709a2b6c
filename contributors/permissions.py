"""Access decisions of the contributors app (filled in by the contributors issue)."""


def can_review_nominations(user) -> bool:
    """Whether ``user`` sees the review pages: steering-group members with a current term.

    The steering group does not exist yet (contributors issue), so nobody does.
    """
    return False
