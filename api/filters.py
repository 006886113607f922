"""The API's filters are the list pages' own FilterSets (``<app>/filters.py``): the same query
parameter names, the same choices (drawn from what the user may see), the same validation. A
value a FilterSet refuses answers 400 with its message, and nothing is listed. The schema's
query parameters come from the same FilterSets (drf-spectacular's django-filter support)."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

# Parameters of the pagination, not of a filter; the API always orders by id.
NOT_A_FILTER = {"cursor", "page_size", "sort", "format"}


def filtered(filterset_class, request, queryset):
    """``queryset`` filtered by the query of the request, or 400 naming each refused value."""
    data = request.query_params.copy()
    for key in NOT_A_FILTER:
        data.pop(key, None)
    filterset = filterset_class(data, queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError({field: [error["message"] for error in errors]
                               for field, errors in filterset.errors.get_json_data().items()})
    return filterset.qs


class ListFilterBackend(DjangoFilterBackend):
    """Filters a list by the view's ``filterset_class``. A record's own address (and the
    changes made at it) answers whatever the query says: a filter's default, such as current
    posts only, never hides a record the user may see."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or getattr(view, "action", "list") != "list":
            return queryset
        return filtered(filterset_class, request, queryset)
