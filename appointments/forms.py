"""Forms for the state changes. They collect input; the services in services.py hold the rules."""

from django import forms
from django.utils import timezone

from .models import BulkChange


class ExtendForm(forms.Form):
    new_end_date = forms.DateField(
        label="New end date", help_text="The new last day of the term.",
        error_messages={"required": "Enter the new end date.",
                        "invalid": "Enter the new end date as a real date."},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for the extension."},
    )
    agreed_by = forms.CharField(
        label="Agreed by", max_length=300,
        help_text="Who agreed it, e.g. the appointee, the partnership executive and the partners.",
        error_messages={"required": "Enter who agreed the extension."},
    )
    agreed_on = forms.DateField(
        label="Agreed on", initial=timezone.localdate,
        error_messages={"required": "Enter the date it was agreed.",
                        "invalid": "Enter the date it was agreed as a real date."},
    )


class EndForm(forms.Form):
    """End early or cease: the last day and why."""

    on = forms.DateField(
        label="Last day of the appointment",
        error_messages={"required": "Enter the last day of the appointment.",
                        "invalid": "Enter the last day as a real date."},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the appointment ends."},
    )


class BulkChangeForm(forms.Form):
    kind = forms.ChoiceField(
        label="Change", choices=BulkChange.Kind.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to extend or cease the appointments."},
    )
    on_date = forms.DateField(
        label="New end date, or the day they cease",
        error_messages={"required": "Enter the date.", "invalid": "Enter a real date."},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for the change."},
    )
    agreed_by = forms.CharField(
        max_length=300, error_messages={"required": "Enter who agreed the change."}
    )
    agreed_on = forms.DateField(
        initial=timezone.localdate,
        error_messages={"required": "Enter the date it was agreed.",
                        "invalid": "Enter a real date."},
    )
