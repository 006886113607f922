from django import forms
from django.db.models import Q
from django.utils import timezone

from ccpl.forms import NHSCheckboxSelectMultiple, NHSForm, NHSModelForm

from .models import (
    Criterion,
    EstablishmentBudget,
    Organisation,
    Post,
    System,
)
from .services import ASSESSMENTS, NO_ESSENTIAL, REVIEWED_IN_FUTURE


class PostForm(NHSModelForm):
    class Meta:
        model = Post
        fields = ["title", "reference", "role_type", "system", "host_organisation",
                  "responsible_to", "spatial_level", "functions", "wte", "budget",
                  "job_share_allowed", "honorarium", "honorarium_is_pool", "default_term_months",
                  "statutory_duties", "is_published", "is_significant_role"]
        widgets = {"functions": forms.CheckboxSelectMultiple,
                   "statutory_duties": forms.CheckboxSelectMultiple}
        labels = {"wte": "Whole-time equivalent (WTE)", "honorarium": "Annual honorarium (£)",
                  "default_term_months": "Default term (months)",
                  "is_published": "List this post on the public register",
                  "is_significant_role": "A significant role: its holders take the Fit and "
                                         "Proper Person Test"}
        error_messages = {
            "title": {"required": "Enter the title of the post."},
            "role_type": {"required": "Select the role type."},
            "system": {"required": "Select the system."},
            "host_organisation": {"required": "Select the host organisation."},
            "wte": {"required": "Enter the whole-time equivalent, e.g. 0.4.",
                    "invalid": "Enter the whole-time equivalent as a number, e.g. 0.4."},
            "honorarium": {"invalid": "Enter the honorarium as a number of pounds."},
            "default_term_months": {"required": "Enter the default term in months.",
                                    "invalid": "Enter the default term as a whole number."},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.editable_by(user)
        systems = System.objects.filter(
            Q(pk__in=System.objects.editable_by(user).values("pk"))
            | Q(organisations__in=organisations.values("pk"))
        ).distinct()
        self.fields["system"].queryset = systems
        self.fields["host_organisation"].queryset = organisations
        self.fields["budget"].queryset = EstablishmentBudget.objects.filter(
            system__in=systems.values("pk"))
        self.fields["responsible_to"].queryset = Post.objects.visible_to(user).exclude(
            pk=self.instance.pk).select_related("host_organisation")
        self.fields["responsible_to"].label_from_instance = (
            lambda p: f"{p.title} ({p.host_organisation.name})")


class CriterionForm(NHSForm):
    """One line of the person specification. A row with no criterion written in it is left out,
    so the empty rows at the end of the list cost nothing."""

    category = forms.ChoiceField(choices=[("", "Choose a category"), *Criterion.Category.choices],
                                 required=False)
    text = forms.CharField(label="Criterion", max_length=500, required=False)
    requirement = forms.ChoiceField(label="Essential or desirable",
                                    choices=Criterion.Requirement.choices,
                                    initial=Criterion.Requirement.ESSENTIAL,
                                    widget=forms.RadioSelect)
    assessed_by = forms.MultipleChoiceField(
        label="How it is assessed", required=False, initial=["by_application"],
        choices=[("by_application", "Application"), ("by_interview", "Interview"),
                 ("by_presentation", "Presentation"), ("by_references", "References")],
        widget=forms.CheckboxSelectMultiple)

    def dress_fields(self):
        super().dress_fields()
        # ccpl.forms checks for RadioSelect before CheckboxSelectMultiple, which is a subclass
        # of it, so it would dress these checkboxes as radios that keep one answer only.
        self.fields["assessed_by"].widget = NHSCheckboxSelectMultiple(
            choices=self.fields["assessed_by"].choices)

    def clean(self):
        data = super().clean()
        if data.get("text") and not data.get("category"):
            self.add_error("category", "Select the category of this criterion.")
        return data

    @staticmethod
    def initial_for(criterion):
        return {"category": criterion.category, "text": criterion.text,
                "requirement": criterion.requirement,
                "assessed_by": [name for name in ASSESSMENTS if getattr(criterion, name)]}

    def as_criterion(self):
        """The row as the service takes it."""
        data = self.cleaned_data
        return {"category": data["category"], "text": data["text"],
                "requirement": data["requirement"],
                **{name: name in data["assessed_by"] for name in ASSESSMENTS}}


class BaseCriterionFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": "A person specification can have at most %(num)d criteria.",
    }

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this criterion"
            form.dress_fields()  # the delete box is added after the form has dressed its fields

    def kept(self):
        """The criteria to record: rows with a criterion written in them and not removed."""
        return [form.as_criterion() for form in self.forms
                if form.cleaned_data.get("text") and not form.cleaned_data.get("DELETE")]

    def clean(self):
        if any(self.errors):
            return
        if not any(row["requirement"] == Criterion.Requirement.ESSENTIAL for row in self.kept()):
            raise forms.ValidationError(NO_ESSENTIAL, code="no_essential")


# A person specification has a dozen criteria or so. The bound also caps the rows a crafted
# TOTAL_FORMS can make the server build (Django's own cap is 2,000: seconds a request).
MAX_CRITERIA = 60

CriterionFormSet = forms.formset_factory(
    CriterionForm, formset=BaseCriterionFormSet, extra=3, can_delete=True,
    can_delete_extra=False, max_num=MAX_CRITERIA, absolute_max=MAX_CRITERIA, validate_max=True,
)


class JobDescriptionForm(NHSForm):
    """A new version of a job description, starting from the current one, with its person
    specification as a formset (``form.criteria``) that is validated and summarised with it."""

    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="What the role is for, in a few sentences.",
                              error_messages={"required": "Enter a summary of the role."})
    responsibilities = forms.CharField(label="Main responsibilities", required=False,
                                       widget=forms.Textarea(attrs={"rows": 8}),
                                       help_text="One responsibility per line.")
    reviewed_on = forms.DateField(
        label="Date reviewed", help_text="For example, 23 11 2026",
        error_messages={"required": "Enter the date the job description was reviewed."})

    def __init__(self, data=None, *, current=None):
        initial = {"reviewed_on": timezone.localdate()}
        criteria = []
        if current is not None:
            initial |= {"summary": current.summary, "responsibilities": current.responsibilities}
            criteria = [CriterionForm.initial_for(c) for c in current.criteria.all()]
        super().__init__(data, initial=initial)
        self.criteria = CriterionFormSet(data, initial=criteria, prefix="criteria")

    def clean_reviewed_on(self):
        reviewed_on = self.cleaned_data["reviewed_on"]
        if reviewed_on > timezone.localdate():
            raise forms.ValidationError(REVIEWED_IN_FUTURE)
        return reviewed_on

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self.criteria.is_valid():
            # Not a field: marks the form invalid; error_summary lists the criteria one by one.
            self._errors["criteria"] = self.error_class(["Check the person specification."])

    @property
    def error_summary(self):
        items = super().error_summary
        if not self.is_bound or "criteria" not in self.errors:
            return items
        first = self.criteria.forms[0]["text"].auto_id if self.criteria.forms else ""
        items += [(first, message) for message in self.criteria.non_form_errors()]
        for number, form in enumerate(self.criteria.forms, start=1):
            if form.cleaned_data.get("DELETE"):
                continue  # a removed row's mistakes do not matter
            items += [(anchor, f"Criterion {number}: {message}")
                      for anchor, message in form.error_summary]
        return items

    def version(self):
        """The keyword arguments of ``services.new_job_description`` for this form."""
        data = self.cleaned_data
        return {"summary": data["summary"], "responsibilities": data["responsibilities"],
                "reviewed_on": data["reviewed_on"], "criteria": self.criteria.kept()}
