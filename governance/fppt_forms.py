"""The forms of the Fit and Proper Person Test: a check as HR record it, the holder's
attestation, the chair's sign-off and putting a finding under review."""

from django import forms

from ccpl.forms import DateField, NHSForm, NHSModelForm

from .models import BoardMemberReference, FitAndProperCheck, FitnessOutcome

Outcome = FitAndProperCheck.Outcome


class CheckForm(NHSForm):
    """One check of the framework. The DBS check has no evidence field: it is recorded as its
    outcome and the date of the certificate, never what the certificate says."""

    outcome = forms.ChoiceField(label="Outcome", choices=Outcome.choices,
                                widget=forms.RadioSelect,
                                error_messages={"required": "Select the outcome of the check."})
    checked_on = DateField(label="Date checked",
                           error_messages={"required": "Enter the date of the check."})
    evidence_reference = forms.CharField(
        label="Evidence reference", required=False, max_length=200,
        help_text="Where the evidence is kept, e.g. a file reference in the personnel record. "
                  "Not the evidence itself.")

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        if item == FitAndProperCheck.Item.DBS:
            del self.fields["evidence_reference"]
            self.fields["checked_on"].label = "Date of the DBS certificate"
            self.fields["checked_on"].error_messages["required"] = (
                "Enter the date of the DBS certificate.")


class AttestForm(NHSForm):
    confirmed = forms.BooleanField(
        label="I confirm the statement above", required=True,
        error_messages={"required": "Confirm the statement to attest."})


class SignOffForm(NHSForm):
    outcome = forms.ChoiceField(
        label="Is the holder a fit and proper person?",
        choices=[(FitnessOutcome.FIT, "Yes, fit and proper"),
                 (FitnessOutcome.NOT_FIT, "No, not fit and proper")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the holder is fit and proper."})
    reason = forms.CharField(
        label="On what the finding rests", max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say on what the finding rests."})


class ReviewForm(NHSForm):
    reason = forms.CharField(
        label="Why the finding is under review", max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the finding is under review."})


class ReferenceForm(NHSModelForm):
    class Meta:
        model = BoardMemberReference
        fields = ["requested_by", "requested_on", "sent_to", "roles_and_dates",
                  "reason_for_leaving", "misconduct", "investigations", "disciplinary",
                  "concerns", "other", "sent_on"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in (
            "roles_and_dates", "reason_for_leaving", "misconduct", "investigations",
            "disciplinary", "concerns", "other")}
        error_messages = {
            "requested_by": {"required": "Enter the NHS body that asked for the reference."},
            "requested_on": {"required": "Enter the date of the request."},
            "sent_to": {"required": "Enter who the reference was sent to."},
            "roles_and_dates": {"required": "Enter the roles held and their dates."},
            "misconduct": {"required": "Answer this heading, or write 'None'."},
            "investigations": {"required": "Answer this heading, or write 'None'."},
            "disciplinary": {"required": "Answer this heading, or write 'None'."},
            "concerns": {"required": "Answer this heading, or write 'None'."},
            "sent_on": {"required": "Enter the date the reference was sent."},
        }
