import re

from django import forms

from ccpl.forms import DateField, NHSForm

from .models import SCALE
from .services import MAX_COMMENT

YEAR = re.compile("[0-9]{4}")


class OpenSurveyForm(NHSForm):
    year = forms.CharField(
        label="Survey year", max_length=20,
        help_text="The year the answers describe, for the trend from one year to the next.",
        error_messages={"required": "Enter the survey year."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-4"}))
    closes_on = DateField(label="Leaders can answer until",
                          error_messages={"required": "Enter the closing date."})

    def clean_year(self):
        """Four ASCII digits: int() would also take "２０２６" and "²"."""
        year = self.cleaned_data["year"].strip()
        if not YEAR.fullmatch(year):
            raise forms.ValidationError("Enter the year as 4 digits, like 2026.")
        if int(year) < 2000:
            raise forms.ValidationError("Enter a year from 2000.")
        return int(year)


class AnswerForm(NHSForm):
    """One radio group per priority, on the five-point scale, and an optional comment on each."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = []
        for question in questions:
            rating, comment = f"q{question.pk}", f"c{question.pk}"
            self.fields[rating] = forms.TypedChoiceField(
                label=f"Priority {question.number}: {question.text}", coerce=int,
                choices=[(str(value), label) for value, label in SCALE],
                widget=forms.RadioSelect,
                help_text="How far do you agree that this is true of the system today?",
                error_messages={"required": f"Rate priority {question.number}.",
                                "invalid_choice": f"Rate priority {question.number} on the "
                                                  "scale."})
            self.fields[comment] = forms.CharField(
                label=f"Comment on priority {question.number} (optional)", required=False,
                max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"max_length": f"Keep each comment under {MAX_COMMENT} "
                                              "characters."})
            self.questions.append((question, rating, comment))
        self.dress_fields()

    def answers(self):
        """{question id: (rating, comment)} for the service."""
        return {question.pk: (self.cleaned_data[rating], self.cleaned_data[comment])
                for question, rating, comment in self.questions}

    def grouped_fields(self):
        return [(question, self[rating], self[comment])
                for question, rating, comment in self.questions]
