"""Forms for governance: actions and their updates, seats on bodies, and the filters."""

from django import forms
from django.db.models import Q

from ccpl.forms import DateField, NHSForm, NHSModelForm
from roles.models import Post, System

from .models import Action, Body, Seat, Status


class SystemChoiceForm(NHSForm):
    system = forms.ModelChoiceField(queryset=System.objects.none(), empty_label=None,
                                    label="System")

    def __init__(self, *args, systems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems


class ActionForm(NHSModelForm):
    due_on = DateField(label="Due date", error_messages={"required": "Enter the due date."})
    owner = forms.ChoiceField(label="Owner", help_text="The post or body that owns the action.",
                              error_messages={"required": "Select who owns the action.",
                                              "invalid_choice": "Select who owns the action."})

    class Meta:
        model = Action
        fields = ["priority", "reference", "text", "term", "due_on"]
        widgets = {"term": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": "Action", "term": "Term"}
        error_messages = {
            "priority": {"required": "Select the priority."},
            "reference": {"required": "Enter the reference, for example 1.2."},
            "text": {"required": "Describe the action."},
            "term": {"required": "Select the term."},
        }

    def __init__(self, *args, framework, **kwargs):
        super().__init__(*args, **kwargs)
        self.framework = framework
        self.fields["priority"].queryset = framework.priorities.all()
        self.fields["priority"].empty_label = None
        posts = Post.objects.filter(system=framework.system_id).established().order_by("title")
        bodies = Body.objects.filter(system=framework.system_id)
        # The owners this form offers, by the value of their choice: the answer is looked up
        # here, never parsed into a query.
        self.owners = {f"body:{b.pk}": b for b in bodies} | {f"post:{p.pk}": p for p in posts}
        self.fields["owner"].choices = [("", "Select an owner")] + [
            ("Bodies", [(key, b.name) for key, b in self.owners.items() if isinstance(b, Body)]),
            ("Posts", [(key, p.title) for key, p in self.owners.items() if isinstance(p, Post)]),
        ]
        if self.instance.pk:
            owner = self.instance.owner
            kind = "post" if self.instance.owner_post_id else "body"
            self.initial["owner"] = f"{kind}:{owner.pk}"
        self.dress_fields()

    def clean_owner(self):
        owner = self.owners.get(self.cleaned_data["owner"])
        if owner is None:
            raise forms.ValidationError("Select who owns the action.")
        return owner

    def clean(self):
        data = super().clean()
        owner = data.get("owner")
        self.instance.owner_post = owner if isinstance(owner, Post) else None
        self.instance.owner_body = owner if isinstance(owner, Body) else None
        reference, priority = data.get("reference"), data.get("priority")
        if reference and priority and Action.objects.filter(
            priority=priority, reference=reference
        ).exclude(pk=self.instance.pk).exists():
            self.add_error("reference", f"Priority {priority.number} already has an action "
                                        f"{reference}.")
        return data

    def _update_errors(self, errors):
        """The model names the owner's two columns; the form has one field for both."""
        if hasattr(errors, "error_dict"):
            for key in ("owner_post", "owner_body"):
                moved = errors.error_dict.pop(key, [])
                if moved and "owner" not in self._errors:
                    errors.error_dict.setdefault("owner", []).extend(moved)
        super()._update_errors(errors)


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
        fields = ["post", "role", "capability"]
        widgets = {"role": forms.RadioSelect}
        labels = {"role": "Role on the body"}
        error_messages = {"post": {"required": "Select the post that fills the seat."},
                          "role": {"required": "Select the role on the body."}}

    def __init__(self, *args, body, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.body = body
        self.fields["post"].queryset = (Post.objects.filter(system=body.system_id).established()
                                        .exclude(seats__body=body).order_by("title"))
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
