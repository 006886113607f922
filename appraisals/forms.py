from django import forms

from ccpl.forms import DateField, NHSForm
from ccpl.models import User

from .models import Cycle, Group, TemplateVersion


class OpenCycleForm(NHSForm):
    appraiser = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Appraiser",
        help_text="Usually whoever holds the post this one is responsible to.",
        error_messages={"required": "Select the appraiser."})
    closes_on = DateField(label="Raters can answer until",
                          error_messages={"required": "Enter the closing date."})
    template_version = forms.ModelChoiceField(
        queryset=TemplateVersion.objects.filter(is_published=True).select_related("template"),
        label="Questionnaire", error_messages={"required": "Select the questionnaire."})

    def __init__(self, *args, appraisers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appraiser"].queryset = appraisers
        self.fields["appraiser"].label_from_instance = lambda u: f"{u.get_full_name()} ({u.email})"


class NominationForm(NHSForm):
    group = forms.ChoiceField(choices=Group.choices, widget=forms.RadioSelect, label="Group",
                              error_messages={"required": "Select the group the rater belongs to."})
    name = forms.CharField(max_length=200, label="Name",
                           error_messages={"required": "Enter the rater's name."})
    email = forms.CharField(max_length=254, label="E-mail address",
                            error_messages={"required": "Enter the rater's e-mail address."})
    organisation = forms.CharField(max_length=200, required=False,
                                   label="Organisation (optional)")


class QuestionnaireForm(NHSForm):
    """One radio group per statement, the scale plus "not observed", and the two comments."""

    NOT_OBSERVED = "n"

    def __init__(self, *args, version, initial_answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(v), label) for v, label in version.scale] + [
            (self.NOT_OBSERVED, version.not_observed_label)]
        initial_answers = initial_answers or {}
        self.statements = {}  # field name → statement id
        self.dimensions = []
        for dimension in version.dimensions.prefetch_related("statements"):
            names = []
            for statement in dimension.statements.all():
                name = f"s{statement.pk}"
                value = initial_answers.get(statement.pk, "")
                self.fields[name] = forms.ChoiceField(
                    label=statement.text, choices=choices, required=False,
                    widget=forms.RadioSelect,
                    initial=self.NOT_OBSERVED if value is None else
                    (str(value) if value != "" else None))
                self.statements[name] = statement.pk
                names.append(name)
            self.dimensions.append((dimension, names))
        self.fields["keep_doing"] = forms.CharField(
            label=version.keep_doing_prompt, required=False, max_length=4000,
            widget=forms.Textarea(attrs={"rows": 4}))
        self.fields["do_differently"] = forms.CharField(
            label=version.do_differently_prompt, required=False, max_length=4000,
            widget=forms.Textarea(attrs={"rows": 4}))
        self.dress_fields()

    def answers(self):
        """Statement id → the point of the scale chosen (None for "not observed"), for the
        statements answered. The values are the scale's own, checked by the choice fields."""
        answers = {}
        for name, statement in self.statements.items():
            value = self.cleaned_data.get(name)
            if value:
                answers[statement] = None if value == self.NOT_OBSERVED else int(value)
        return answers

    def grouped_fields(self):
        return [(dimension, [self[name] for name in names])
                for dimension, names in self.dimensions]


class RedactForm(NHSForm):
    reason = forms.CharField(label="Why remove this comment?", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Say why the comment is removed."})


class OutcomeForm(NHSForm):
    meeting_on = DateField(label="Date of the appraisal meeting",
                           error_messages={"required": "Enter the date of the meeting."})
    outcome = forms.ChoiceField(choices=Cycle.Outcome.choices, widget=forms.RadioSelect,
                                label="Outcome",
                                error_messages={"required": "Select the outcome."})
    objectives = forms.CharField(label="Objectives for the coming year", required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    development_actions = forms.CharField(label="Development actions", required=False,
                                          widget=forms.Textarea(attrs={"rows": 4}))
