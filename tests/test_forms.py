"""The NHS.UK dressing of forms: a select written in Python says exactly what Django's own
template-per-option select says, for every kind of choice."""

import pytest
from django import forms
from django.db.models import QuerySet
from django.test.html import parse_html

from ccpl.forms import NHSForm, NHSSelect
from roles.models import Organisation

from .factories import OrganisationFactory

CHOICES = [
    ("", "Select one"),
    ("a", "Plain"),
    ("<b>", 'Quotes " and <tags> & ampersands'),
    ("Group", [("g1", "In a group"), ("g2", "Also in it")]),
    (3, "A number"),
]


@pytest.mark.parametrize("value", [None, "", "a", "<b>", "g2", 3, "missing"])
def test_the_select_renders_as_djangos_own(value):
    ours = NHSSelect(choices=CHOICES, attrs={"class": "nhsuk-select", "id": "id_x"})
    django_own = forms.Select(choices=CHOICES, attrs={"class": "nhsuk-select", "id": "id_x"})
    assert parse_html(ours.render("x", value)) == parse_html(django_own.render("x", value))


def test_a_single_select_marks_only_its_first_match():
    html = NHSSelect(choices=[("1", "One"), (1, "One again")]).render("x", "1")
    assert html.count("selected") == 1


@pytest.mark.django_db
def test_a_form_dresses_a_model_select_and_keeps_its_queryset():
    first = OrganisationFactory(name="Ardent Trust")
    OrganisationFactory(name="Borough <Trust>")

    class Pick(NHSForm):
        organisation = forms.ModelChoiceField(Organisation.objects.order_by("name"))

    form = Pick(initial={"organisation": first.pk})
    widget = form.fields["organisation"].widget
    assert isinstance(widget, NHSSelect) and widget.is_required
    html = str(form["organisation"])
    assert f'<option value="{first.pk}" selected>Ardent Trust</option>' in html
    assert "Borough &lt;Trust&gt;" in html
    assert 'class="nhsuk-select"' in html
    form = Pick({"organisation": "not a number"})
    assert not form.is_valid() and "nhsuk-select--error" in str(form["organisation"])


@pytest.mark.django_db
def test_a_model_select_reads_its_choices_in_one_query(django_assert_num_queries,
                                                         monkeypatch):
    """Not through a server-side cursor (three round trips on PostgreSQL for a short list)."""
    OrganisationFactory.create_batch(3)

    class Pick(NHSForm):
        organisation = forms.ModelChoiceField(Organisation.objects.order_by("name"))

    def no_cursor(*args, **kwargs):
        raise AssertionError("a select read its choices through a server-side cursor")

    monkeypatch.setattr(QuerySet, "iterator", no_cursor)
    form = Pick()
    with django_assert_num_queries(1):
        html = str(form["organisation"])
    assert html.count("<option") == 4
