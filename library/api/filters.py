"""Query parameters of the title list; a bad value is a 400 naming the parameter."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from library.models import Title
from library.selectors import title_search


class TitleFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    kind = django_filters.ChoiceFilter(choices=Title.Kind.choices)
    year = django_filters.NumberFilter(field_name="year", min_value=1870, max_value=2100)
    genre = django_filters.CharFilter(method="filter_genre", max_length=100)

    class Meta:
        model = Title
        fields = ["search", "kind", "year", "genre"]

    def filter_search(self, queryset: QuerySet[Title], name: str, value: str) -> QuerySet[Title]:
        return title_search(queryset, value)

    def filter_genre(self, queryset: QuerySet[Title], name: str, value: str) -> QuerySet[Title]:
        # A subquery, not a join: a join would repeat titles and need DISTINCT.
        return queryset.filter(
            id__in=Title.genres.through.objects.filter(genre__name__iexact=value.strip()).values(
                "title_id"
            )
        )


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering, but an unknown field is a 400 instead of being silently ignored."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [field.strip() for field in params.split(",")]
            valid = {
                name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [field for field in fields if field.lstrip("-") not in valid]
            if unknown:
                allowed = ", ".join(sorted(valid))
                raise ValidationError(
                    {self.ordering_param: f"Unknown field {unknown[0]!r}; use one of: {allowed}."}
                )
            # The id makes the order total, so pages never repeat or skip a title.
            return [*fields, "id"]
        return self.get_default_ordering(view)
