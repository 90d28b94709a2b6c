"""The consortium rules as pure functions: no database, easy to test at their edges.

A consortium is five or more not-for-profit organizations; a regional consortium also
needs members from at least three countries with no more than 85% in one country. The
agreement is finalized only when, in addition, every pre-agreement checklist item is done.
"""

from collections import Counter
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

MINIMUM_MEMBERS = 5
MINIMUM_REGIONAL_COUNTRIES = 3
MAXIMUM_SHARE_OF_ONE_COUNTRY = 85  # percent

NATIONAL = "national"
REGIONAL = "regional"


def membership_shortfalls(*, kind: str, member_countries: Sequence[str]) -> list[str]:
    """What keeps the members from meeting the minimum; empty when they meet it.

    ``member_countries`` holds the country of each active not-for-profit member.
    """
    problems: list[str] = []
    count = len(member_countries)
    if count < MINIMUM_MEMBERS:
        missing = MINIMUM_MEMBERS - count
        problems.append(
            ngettext(
                "It has %(count)d active not-for-profit member; it needs at least "
                "%(minimum)d (%(missing)d more).",
                "It has %(count)d active not-for-profit members; it needs at least "
                "%(minimum)d (%(missing)d more).",
                count,
            )
            % {"count": count, "minimum": MINIMUM_MEMBERS, "missing": missing}
        )
    if kind == REGIONAL:
        per_country = Counter(str(code) for code in member_countries)
        if len(per_country) < MINIMUM_REGIONAL_COUNTRIES:
            problems.append(
                ngettext(
                    "Its members come from %(count)d country; a regional consortium needs "
                    "members from at least %(minimum)d countries.",
                    "Its members come from %(count)d countries; a regional consortium needs "
                    "members from at least %(minimum)d countries.",
                    len(per_country),
                )
                % {"count": len(per_country), "minimum": MINIMUM_REGIONAL_COUNTRIES}
            )
        if count:
            country, largest = per_country.most_common(1)[0]
            # Integer arithmetic: exactly 85% is allowed, anything above is not.
            if largest * 100 > MAXIMUM_SHARE_OF_ONE_COUNTRY * count:
                problems.append(
                    _(
                        "%(largest)d of its %(count)d members (%(percent)d%%) are in "
                        "%(country)s; a regional consortium may have no more than "
                        "%(maximum)d%% of its members in one country."
                    )
                    % {
                        "largest": largest,
                        "count": count,
                        # Rounded up: a share just above the maximum never reads as the
                        # maximum itself (18 of 21 is 86%, not 85%).
                        "percent": -(-largest * 100 // count),
                        "country": countries.name(country) or country,
                        "maximum": MAXIMUM_SHARE_OF_ONE_COUNTRY,
                    }
                )
    return problems


def agreement_shortfalls(
    *, kind: str, member_countries: Sequence[str], open_checklist_items: Sequence[str]
) -> list[str]:
    """Everything that keeps the agreement from being finalized; empty when it can be."""
    problems = [
        _("Checklist item not done: %(item)s") % {"item": title} for title in open_checklist_items
    ]
    return problems + membership_shortfalls(kind=kind, member_countries=member_countries)
