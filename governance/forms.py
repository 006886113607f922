"""Forms for governance: actions and their updates, seats on bodies, and the filters."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from ccpl.forms import DateField, NHSForm, NHSModelForm
from roles.models import Post, System

from .models import NO_OWNER, Action, Body, Interest, Seat, Status


class SystemChoiceForm(NHSForm):
    system = forms.ModelChoiceField(queryset=System.objects.none(), empty_label=None,
                                    label="System")

    def __init__(self, *args, systems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems


class RecordsById(forms.ModelMultipleChoiceField):
    """Records chosen by id: a value that cannot be an id (not plain digits, or past the largest
    id a table holds) is refused as not on the list before it reaches a query, where SQLite
    would fail on it."""

    LARGEST_ID = 2**63 - 1

    def clean(self, value):
        for chosen in value if isinstance(value, list | tuple) else []:
            text = str(chosen)
            if not (text.isascii() and text.isdigit() and len(text) <= 19
                    and int(text) <= self.LARGEST_ID):
                raise ValidationError(self.error_messages["invalid_choice"],
                                      code="invalid_choice", params={"value": text})
        return super().clean(value)


class ActionForm(NHSModelForm):
    """An action with its owners: one or more posts and bodies of the framework's system (the
    owners are saved by ``services.save_action``, not by the form)."""

    due_on = DateField(label="Due date", error_messages={"required": "Enter the due date."})

    class Meta:
        model = Action
        fields = ["priority", "reference", "text", "term", "due_on", "owner_posts",
                  "owner_bodies"]
        field_classes = {"owner_posts": RecordsById, "owner_bodies": RecordsById}
        widgets = {"term": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 3}),
                   "owner_posts": forms.CheckboxSelectMultiple,
                   "owner_bodies": forms.CheckboxSelectMultiple}
        labels = {"text": "Action", "term": "Term", "owner_posts": "Posts that own it",
                  "owner_bodies": "Bodies that own it"}
        help_texts = {"owner_posts": "An action can be owned jointly: choose every post and "
                                     "body that owns it."}
        error_messages = {
            "priority": {"required": "Select the priority."},
            "reference": {"required": "Enter the reference, for example 1.2."},
            "text": {"required": "Describe the action."},
            "term": {"required": "Select the term."},
            "owner_posts": {"invalid_choice": "Select posts from the list."},
            "owner_bodies": {"invalid_choice": "Select bodies from the list."},
        }

    def __init__(self, *args, framework, **kwargs):
        super().__init__(*args, **kwargs)
        self.framework = framework
        self.fields["priority"].queryset = framework.priorities.all()
        self.fields["priority"].empty_label = None
        # The system's established posts and its bodies; a post disestablished since it took
        # the action on stays offered while it owns it.
        owned = self.instance.owner_posts.all() if self.instance.pk else Post.objects.none()
        self.fields["owner_posts"].queryset = Post.objects.filter(
            Q(pk__in=Post.objects.filter(system=framework.system_id).established().values("pk"))
            | Q(pk__in=owned.values("pk"))).order_by("title", "pk")
        self.fields["owner_bodies"].queryset = Body.objects.filter(
            system=framework.system_id).order_by("name")
        self.dress_fields()

    def clean(self):
        data = super().clean()
        if ("owner_posts" in data and "owner_bodies" in data
                and not data["owner_posts"] and not data["owner_bodies"]):
            self.add_error("owner_posts", NO_OWNER)
        reference, priority = data.get("reference"), data.get("priority")
        if reference and priority and Action.objects.filter(
            priority=priority, reference=reference
        ).exclude(pk=self.instance.pk).exists():
            self.add_error("reference", f"Priority {priority.number} already has an action "
                                        f"{reference}.")
        return data

    @property
    def owners(self):
        """The owners chosen, as the service takes them."""
        return {"owner_posts": self.cleaned_data["owner_posts"],
                "owner_bodies": self.cleaned_data["owner_bodies"]}


class UpdateForm(NHSForm):
    on = DateField(label="Date of update", error_messages={"required": "Enter the date."})
    status = forms.ChoiceField(label="Status", choices=Status.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Select the status."})
    note = forms.CharField(label="Progress", widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": "Enter what has happened since the "
                                                       "last update."})


class SeatForm(NHSModelForm):
    class Meta:
        model = Seat
        fields = ["post", "role", "capability", "voting"]
        widgets = {"role": forms.RadioSelect}
        labels = {"role": "Role on the body", "voting": "Whoever holds the post has a vote"}
        error_messages = {"post": {"required": "Select the post that fills the seat."},
                          "role": {"required": "Select the role on the body."}}

    def __init__(self, *args, body, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.body = body
        self.fields["post"].queryset = (Post.objects.filter(system=body.system_id).established()
                                        .exclude(seats__body=body).order_by("title")
                                        .only("pk", "title"))
        self.fields["post"].empty_label = "Select a post"

    def validate_unique(self):
        pass  # posts already on the body are not offered


class RegisterSearchForm(NHSForm):
    q = forms.CharField(label="Search", required=False, max_length=100)

    def filter(self, appointments):
        """The published holdings whose role or organisation matches the search."""
        text = self.text
        if text:
            appointments = appointments.filter(
                Q(post__title__icontains=text) | Q(post__host_organisation__name__icontains=text))
        return appointments

    @property
    def text(self):
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""


# --- declarations of interest ----------------------------------------------------------------

class InterestForm(NHSModelForm):
    """One interest, as the person declares it (the service makes the return)."""

    from_date = DateField(label="Held from", error_messages={
        "required": "Enter the date the interest started."})
    to_date = DateField(label="Held until (leave empty while it is held)", required=False)

    class Meta:
        model = Interest
        fields = ["kind", "organisation", "description", "from_date", "to_date",
                  "action_taken", "publish"]
        widgets = {"kind": forms.RadioSelect, "description": forms.Textarea(attrs={"rows": 3}),
                   "action_taken": forms.Textarea(attrs={"rows": 3})}
        labels = {"kind": "Type of interest", "publish": "Publish this interest, with my name, "
                  "on the public register"}
        help_texts = {"kind": "Financial: a direct gain (a paid role, shares). Professional: a "
                              "benefit to a career or standing. Personal: a benefit that is "
                              "neither (a trustee role). Indirect: an interest of someone close "
                              "(a partner, a close relative or friend)."}
        error_messages = {
            "kind": {"required": "Select the type of interest."},
            "organisation": {"required": "Enter the organisation or party concerned."},
            "description": {"required": "Describe the interest."},
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("from_date"), data.get("to_date")
        if start and end and end < start:
            self.add_error("to_date", "The interest must end on or after the day it started.")
        return data

    def _post_clean(self):
        pass  # the service validates the interest it writes

    @property
    def interest_fields(self):
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class EndInterestForm(NHSForm):
    to_date = DateField(label="Last day the interest was held",
                        error_messages={"required": "Enter the last day the interest was held."})
