import django_filters
from django.utils.translation import gettext_lazy as _

from contributors import selectors
from contributors.models import Contribution, Level, Profile


class ContributorFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(
        label=_("Level"),
        choices=[(Level.CONTRIBUTOR, Level.CONTRIBUTOR.label), (Level.OST, Level.OST.label)],
        empty_label=_("All levels"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Contribution kind"),
        choices=Contribution.Kind.choices,
        empty_label=_("All kinds"),
        method="filter_kind",
    )

    class Meta:
        model = Profile
        fields = ["level", "kind"]

    def filter_kind(self, queryset, name, value):
        return queryset.filter(selectors.has_contribution_of_kind(value))
