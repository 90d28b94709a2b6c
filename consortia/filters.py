import django_filters
import django_filters.constants
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from consortia import selectors
from consortia.models import Consortium
from core.regions import Region


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ties (same member count) keep the same order from page to page."""

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "name", "pk")


class ConsortiumFilter(django_filters.FilterSet):
    """The directory's filters: ``q``, ``region``, ``country``, ``kind``, ``status``, ``sort``."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        help_text=_("Name of the consortium, its lead organization or a member."),
    )
    region = django_filters.ChoiceFilter(
        label=_("Region"), choices=Region.choices, empty_label=_("All regions")
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        choices=lambda: list(countries),
        method="filter_country",
        empty_label=_("All countries"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Consortium.Kind.choices, empty_label=_("National and regional")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Consortium.Status.choices, empty_label=_("Any status")
    )
    sort = StableOrderingFilter(
        label=_("Sort by"),
        empty_label=_("Name"),
        fields=(("name", "name"), ("member_count", "members"), ("created_at", "created")),
        field_labels={
            "name": _("Name (A–Z)"),
            "-name": _("Name (Z–A)"),
            "member_count": _("Fewest members"),
            "-member_count": _("Most members"),
            "created_at": _("Oldest"),
            "-created_at": _("Newest"),
        },
    )

    class Meta:
        model = Consortium
        fields = ["q", "region", "country", "kind", "status"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return selectors.search_consortia(queryset, value) if value else queryset

    def filter_country(self, queryset, name, value):
        return selectors.filter_by_country(queryset, value)
