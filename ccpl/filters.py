"""The filters of every list are django-filter FilterSets, one per list: the page renders its form
(NHS.UK fields) and its API endpoint reads the same query parameters, so the two always agree.

Rules every FilterSet here keeps:

- Every choice is drawn from what the user may see (querysets are callables of the request), so
  naming a system the user cannot see is a refused value, not a way to probe.
- A value the form refuses lists nothing: the page shows the form's message above the filters,
  the API answers 400 with it. A partly valid query never filters by its valid half alone.
- The page's order (``?sort=``) belongs to the page: the list page's FilterSet adds a
  ``SortFilter`` to the shared one; the API always pages in id order.
"""

import django_filters
from django import forms

from .forms import NHSForm
from .models import Notification


class FilterSet(django_filters.FilterSet):
    """A list's filters as an NHS.UK form. Always bound: no query is the empty query, so the
    defaults (the open vacancies, the current posts) apply to a bare address too."""

    class Meta:
        form = NHSForm

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__({} if data is None else data, queryset, request=request, **kwargs)

    @property
    def qs(self):
        if not self.is_valid():
            return self.queryset.none()
        return super().qs

    def chosen(self, name, default=None):
        """The cleaned value of one filter, or ``default`` when it is empty or the form is not
        valid."""
        value = self.form.cleaned_data.get(name) if self.is_valid() else None
        return default if value in (None, "") else value


class SortFilter(django_filters.ChoiceFilter):
    """The order of a list page's rows: ``?sort=<column>`` or ``-<column>`` (a hidden field the
    sortable column headers set). Each column's order ends with the primary key, so pages never
    repeat or skip a row."""

    def __init__(self, orders, *, default, **kwargs):
        self.orders, self.default = orders, default
        super().__init__(choices=[(key, key) for key in orders], widget=forms.HiddenInput,
                         **kwargs)

    def filter(self, qs, value):
        return qs.order_by(*self.orders[value or self.default])


class CheckboxFilter(django_filters.BooleanFilter):
    """A yes-only filter shown as one checkbox (django-filter's own BooleanFilter is a
    yes/no/unknown select). Its method narrows the list when ticked and is given False, to leave
    the list as it is, when not."""

    field_class = forms.BooleanField


class NotificationFilter(FilterSet):
    """The e-mails the register has sent, as on /reminders/."""

    kind = django_filters.ChoiceFilter(choices=Notification.Kind.choices, empty_label="Any",
                                       label="Kind")
    status = django_filters.ChoiceFilter(choices=Notification.Status.choices, empty_label="Any",
                                         label="Status")
    recipient = django_filters.CharFilter(field_name="recipient_email", lookup_expr="icontains",
                                          max_length=254, label="Recipient's e-mail")
    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                      label="Created on or after")
