"""Forms that render as NHS.UK design system components (see docs/adr/0001).

Every form in the browser app inherits ``NHSFormMixin``: its fields render through
templates/nhsuk/forms/field.html (label, hint, error message, then the widget), text inputs get
the nhsuk-input classes, choices render as NHS radios, checkboxes or selects, and dates as the
NHS date input (day, month, year). Django admin is untouched: it renders its own widgets.
"""

import datetime
import re

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class NHSFormRenderer(TemplatesSetting):
    form_template_name = "nhsuk/forms/form.html"
    field_template_name = "nhsuk/forms/field.html"


class NHSRadioSelect(forms.RadioSelect):
    template_name = "nhsuk/widgets/radios.html"
    option_template_name = "nhsuk/widgets/radio_option.html"


class NHSCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    template_name = "nhsuk/widgets/checkboxes.html"
    option_template_name = "nhsuk/widgets/checkbox_option.html"


class NHSCheckbox(forms.CheckboxInput):
    """A single yes/no checkbox, rendered as a one-item NHS checkboxes group."""

    template_name = "nhsuk/widgets/checkbox.html"


class NHSSelect(forms.Select):
    """A select whose options are written in Python, not through a template per option: a post
    or organisation select of a national system has hundreds of options, and Django's template
    per option made it most of a page's time."""

    template_name = "nhsuk/widgets/select.html"

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)
        context["widget"]["options_html"] = self.options_html(context["widget"]["value"])
        return context

    def options_html(self, values):
        chosen = {str(v) for v in values}
        parts = []
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', option_value,
                                         self._options(label, chosen)))
            else:
                parts.append(self._options([(option_value, label)], chosen))
        return mark_safe("".join(parts))  # every part was escaped by format_html

    def _options(self, choices, chosen):
        html = []
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            selected = text in chosen
            if selected and not self.allow_multiple_selected:
                chosen.clear()  # a single select shows only its first match selected
            html.append(format_html('<option value="{}"{}>{}</option>', text,
                                    " selected" if selected else "", label))
        return mark_safe("".join(html))


class FetchedChoices(forms.models.ModelChoiceIterator):
    """A model select's choices read in one query. Django reads them through a server-side
    cursor (DECLARE, FETCH, CLOSE on PostgreSQL: three round trips a select), made for tables too
    big to hold; a select shows every row anyway."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class DateInput(forms.MultiWidget):
    """The NHS date input: three text boxes for day, month and year."""

    template_name = "nhsuk/widgets/date_input.html"

    def __init__(self, attrs=None):
        widgets = {
            "day": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                          "class": "nhsuk-input nhsuk-date-input__input "
                                                   "nhsuk-input--width-2"}),
            "month": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                            "class": "nhsuk-input nhsuk-date-input__input "
                                                     "nhsuk-input--width-2"}),
            "year": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                           "class": "nhsuk-input nhsuk-date-input__input "
                                                    "nhsuk-input--width-4"}),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        base_id = context["widget"]["attrs"].get("id")
        for sub, part in zip(context["widget"]["subwidgets"], ("day", "month", "year"),
                             strict=True):
            sub["label"] = part.capitalize()
            if base_id:
                sub["attrs"]["id"] = f"{base_id}_{part}"  # id_start_date_day, as NHS.UK names them
        return context


DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
YEAR = re.compile(r"[0-9]{4}")
# Dates a register of appointments can mean. Far enough from the calendar's ends (1 and 9999)
# that adding a term, a reminder period or an anniversary to one can never overflow.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)


class DateField(forms.MultiValueField):
    """A date typed as day, month and year, with the NHS service manual's error messages."""

    widget = DateInput

    def __init__(self, **kwargs):
        fields = (forms.CharField(required=False), forms.CharField(required=False),
                  forms.CharField(required=False))
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        day, month, year = ((part or "").strip() for part in (data_list or ["", "", ""]))
        if not (day or month or year):
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        label = self.label.lower() if self.label else "date"
        missing = [name for name, part in (("day", day), ("month", month), ("year", year))
                   if not part]
        if missing:
            raise forms.ValidationError(
                f"The {label} must include a {' and a '.join(missing)}.", code="incomplete")
        # ASCII digits only, at most 2 for the day and month: str.isdigit() also says yes to
        # "²", which int() refuses, and a day of 10**30 overflows datetime.date().
        if not (DAY_OR_MONTH.fullmatch(day) and DAY_OR_MONTH.fullmatch(month)
                and YEAR.fullmatch(year)):
            raise forms.ValidationError(f"The {label} must be a real date, with a 4-digit year.",
                                        code="invalid")
        try:
            value = datetime.date(int(year), int(month), int(day))
        except ValueError as error:  # 31 February
            raise forms.ValidationError(f"The {label} must be a real date.",
                                        code="invalid") from error
        if not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(
                f"The {label} must be between {EARLIEST.year} and {LATEST.year}.",
                code="out_of_range")
        return value


WIDGET_CLASSES = {
    forms.Textarea: "nhsuk-textarea",
    NHSSelect: "nhsuk-select",
    forms.SelectMultiple: "nhsuk-select",
    forms.FileInput: "nhsuk-file-upload",
    forms.ClearableFileInput: "nhsuk-file-upload",
}


class NHSFormMixin:
    """Dress a form's widgets as NHS.UK components and mark the invalid ones."""

    default_renderer = NHSFormRenderer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dress_fields()

    def dress_fields(self):
        """Turn the fields' widgets into NHS.UK ones (call again after adding fields)."""
        for name, field in list(self.fields.items()):
            if isinstance(field, forms.DateField):
                self.fields[name] = field = DateField(
                    required=field.required, label=field.label, help_text=field.help_text,
                    initial=field.initial, error_messages=field.error_messages,
                )
            if isinstance(field, forms.ModelChoiceField):
                field.iterator = FetchedChoices
                field.widget.choices = field.choices
            field.widget = _nhs_widget(field)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                bound, widget = self[name], self.fields[name].widget
                described = [f"{bound.auto_id}_helptext"] if bound.help_text else []
                widget.attrs["aria-describedby"] = " ".join([*described, f"{bound.auto_id}_error"])
                if isinstance(widget, DateInput):
                    for sub in widget.widgets:
                        _add_class(sub, "nhsuk-input--error")
                elif not isinstance(widget, NHSRadioSelect | NHSCheckboxSelectMultiple |
                                    NHSCheckbox):
                    _add_class(widget, _error_class(widget))

    def add_service_errors(self, error, aliases=None):
        """Put a service's ValidationError on the fields it names (``aliases`` maps a model's
        field name to the form's), or at the top of the form for the rest."""
        aliases = aliases or {}
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                target = aliases.get(field, field)
                for message in messages:
                    self.add_error(target if target in self.fields else None, message)
        else:
            for message in error.messages:
                self.add_error(None, message)

    @property
    def error_summary(self):
        """(anchor id, message) pairs for the error summary at the top of the page."""
        items = [("", message) for message in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name == "__all__" or name not in self.fields:
                continue
            anchor = self[name].id_for_label or self[name].auto_id
            widget = self.fields[name].widget
            if isinstance(widget, DateInput):
                anchor = f"{self[name].auto_id}_day"
            elif isinstance(widget, NHSRadioSelect | NHSCheckboxSelectMultiple):
                anchor = f"{self[name].auto_id}_0"
            items += [(anchor, message) for message in errors]
        return items


def _nhs_widget(field):
    widget = field.widget
    if isinstance(widget, DateInput):
        return widget
    # CheckboxSelectMultiple is a subclass of RadioSelect: test it first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        if isinstance(widget, NHSCheckboxSelectMultiple):
            return widget
        return NHSCheckboxSelectMultiple(choices=widget.choices, attrs=widget.attrs)
    if isinstance(widget, forms.RadioSelect) and not isinstance(widget, NHSRadioSelect):
        return NHSRadioSelect(choices=widget.choices, attrs=widget.attrs)
    if isinstance(widget, forms.CheckboxInput) and not isinstance(widget, NHSCheckbox):
        return NHSCheckbox(attrs=widget.attrs)
    if type(widget) is forms.Select:
        select = NHSSelect(attrs=widget.attrs, choices=widget.choices)
        select.is_required, select.is_localized = widget.is_required, widget.is_localized
        widget = select
    for kind, css in WIDGET_CLASSES.items():
        if type(widget) is kind:
            _add_class(widget, css)
            return widget
    if isinstance(widget, forms.widgets.Input) and not isinstance(widget, forms.HiddenInput):
        _add_class(widget, "nhsuk-input")
    return widget


def _error_class(widget):
    if isinstance(widget, forms.Textarea):
        return "nhsuk-textarea--error"
    if isinstance(widget, forms.Select):
        return "nhsuk-select--error"
    if isinstance(widget, forms.FileInput):
        return "nhsuk-file-upload--error"
    return "nhsuk-input--error"


def _add_class(widget, css):
    classes = widget.attrs.get("class", "").split()
    if css not in classes:
        widget.attrs["class"] = " ".join([*classes, css])


class NHSForm(NHSFormMixin, forms.Form):
    pass


class NHSModelForm(NHSFormMixin, forms.ModelForm):
    pass
