"""Forms for governance: actions and their updates, seats on bodies, and the filters."""

from django import forms
from django.contrib.auth import get_user_model
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
    """A seat filled by a post, or held by a named person (an expert by experience, a partner's
    representative); a named holder's seat may be linked to their account, found by its
    e-mail, so that a named chair signs in as the body's chair."""

    holder_email = forms.EmailField(
        label="Their account's e-mail", required=False,
        help_text="Optional, for a seat held by a named person who has an account: a named "
                  "chair then reads the body and signs off the Fit and Proper Person Test of "
                  "its members.")

    class Meta:
        model = Seat
        fields = ["post", "holder_name", "holder_description", "holder_email", "role",
                  "capability", "voting", "executive", "clinical", "lay"]
        widgets = {"role": forms.RadioSelect}
        labels = {"post": "Post that fills the seat",
                  "holder_name": "Or, for a seat not filled by a post, who holds it",
                  "role": "Role on the body", "voting": "Whoever holds the seat has a vote",
                  "executive": "Counts as an executive in the quorum",
                  "clinical": "Counts as a clinical or care professional in the quorum",
                  "lay": "Counts as a lay member or expert by experience in the quorum"}
        error_messages = {"role": {"required": "Select the role on the body."}}

    def __init__(self, *args, body, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.body = body
        self.fields["post"].queryset = (Post.objects.filter(system=body.system_id).established()
                                        .exclude(seats__body=body).order_by("title")
                                        .only("pk", "title"))
        self.fields["post"].empty_label = "Select a post"
        self.fields["post"].required = False

    def clean(self):
        data = super().clean()
        post, name = data.get("post"), (data.get("holder_name") or "").strip()
        if post and name:
            self.add_error("holder_name", "A seat filled by a post is held by whoever holds "
                                          "the post: leave the name empty.")
        elif not post and not name and "post" not in self.errors:
            self.add_error("post", "Select the post that fills the seat, or enter the name of "
                                   "the person who holds it.")
        email = data.get("holder_email")
        if email and post:
            self.add_error("holder_email", "A seat filled by a post follows whoever holds the "
                                           "post: leave their account's e-mail empty.")
        elif email:
            account = get_user_model().objects.filter(email__iexact=email,
                                                      is_active=True).first()
            if account is None:
                self.add_error("holder_email", "No one has an account with that e-mail: check "
                                               "it, or ask an administrator to invite them.")
            self.instance.holder_account = account
        return data

    def validate_unique(self):
        pass  # posts already on the body are not offered


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


# --- meetings --------------------------------------------------------------------------------

class TermsForm(NHSForm):
    """The body's terms of reference, their last review and its quorum rule."""

    terms_of_reference = forms.CharField(
        label="Terms of reference", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where they are kept, or a summary of them.")
    tor_reviewed_on = DateField(label="Last reviewed on", required=False,
                                help_text="HR are reminded a month before the yearly review.")
    fraction = forms.DecimalField(
        label="Share of the voting members who must be present", min_value=0, max_value=1,
        max_digits=3, decimal_places=2, help_text="As a decimal: 0.5 for half, 0.67 for two "
                                                  "thirds.",
        error_messages={"required": "Enter the share of voting members, for example 0.5.",
                        "invalid": "Enter the share as a decimal between 0 and 1, such as 0.5.",
                        "max_value": "The share cannot be more than 1 (all of them).",
                        "min_value": "The share cannot be less than 0."})
    minimum = forms.IntegerField(label="And at least this many voting members", min_value=0,
                                 max_value=500, initial=0)
    executives = forms.IntegerField(label="Of whom executives", min_value=0, max_value=50,
                                    initial=0)
    clinicians = forms.IntegerField(label="Of whom clinical or care professionals", min_value=0,
                                    max_value=50, initial=0)
    lay_members = forms.IntegerField(label="Of whom lay members or experts by experience",
                                     min_value=0, max_value=50, initial=0)
    deputies_count = forms.BooleanField(label="A named deputy counts as the member who sent "
                                              "them", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("minimum", "executives", "clinicians", "lay_members"):
            self.fields[name].error_messages.update({
                "required": f"Enter a number for “{self.fields[name].label.lower()}” (0 for "
                            "none).",
                "invalid": "Enter a whole number.",
                "max_value": "Enter a smaller number.", "min_value": "Enter 0 or more."})
            self.fields[name].widget.attrs["class"] += " nhsuk-input--width-4"
        self.fields["fraction"].widget.attrs["class"] += " nhsuk-input--width-4"

    @property
    def rule(self):
        return {name: self.cleaned_data[name] for name in
                ("fraction", "minimum", "executives", "clinicians", "lay_members",
                 "deputies_count")}


ATTENDANCE_CHOICES = [("present", "Present"), ("apologies", "Sent apologies"),
                      ("deputy", "Sent a deputy"), ("absent", "Absent")]


class MeetingForm(NHSForm):
    """A meeting and, in one form, whether each member attended (NHS radios per member, with
    the deputy's name when they sent one). ``members``: (seat, member's name, person) of the
    seats held today; the service checks them against the meeting's date."""

    title = forms.CharField(label="Title of the meeting", max_length=200,
                            error_messages={"required": "Enter the title of the meeting."})
    held_on = DateField(label="Date of the meeting",
                        error_messages={"required": "Enter the date of the meeting."})

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        for seat, member, _ in members:
            vote = "voting member" if seat.voting else "no vote"
            what = seat.post.title if seat.post_id else (seat.holder_description
                                                          or "a named seat")
            self.fields[f"seat_{seat.pk}"] = forms.ChoiceField(
                label=f"{member} ({what}, {vote})", choices=ATTENDANCE_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": f"Select whether {member} attended.",
                                "invalid_choice": f"Select whether {member} attended."})
            self.fields[f"seat_{seat.pk}_deputy"] = forms.CharField(
                label=f"Name of the deputy {member} sent", required=False, max_length=200,
                help_text="Only if they sent a deputy.")
        self.dress_fields()

    def clean(self):
        data = super().clean()
        for seat, member, _ in self.members:
            status, deputy = data.get(f"seat_{seat.pk}"), data.get(f"seat_{seat.pk}_deputy")
            if status == "deputy" and not deputy:
                self.add_error(f"seat_{seat.pk}_deputy",
                               f"Enter the name of the deputy {member} sent.")
            elif status and status != "deputy" and deputy:
                self.add_error(f"seat_{seat.pk}_deputy",
                               f"Name a deputy only if {member} sent one.")
        return data

    @property
    def attendance(self):
        return {seat.pk: (self.cleaned_data.get(f"seat_{seat.pk}"),
                          self.cleaned_data.get(f"seat_{seat.pk}_deputy", ""))
                for seat, _, _ in self.members}


class AttendanceCorrectionForm(NHSForm):
    """A recorded meeting's attendance, corrected: the same radios, one per member as recorded
    that day (``attendances``), and why it is corrected, which the history keeps."""

    title = forms.CharField(label="Title of the meeting", max_length=200,
                            error_messages={"required": "Enter the title of the meeting."})
    reason = forms.CharField(
        label="Why is the record corrected?", max_length=100,
        help_text="For example: the minutes approved at the next meeting show Dr Example "
                  "present. It is kept in the meeting's history.",
        error_messages={"required": "Enter why the record is corrected."})

    def __init__(self, *args, attendances, **kwargs):
        super().__init__(*args, **kwargs)
        self.attendances = attendances
        for row in attendances:
            vote = "voting member" if row.voting else "no vote"
            self.fields[f"attendance_{row.pk}"] = forms.ChoiceField(
                label=f"{row.member} ({row.seat_title}, {vote})", choices=ATTENDANCE_CHOICES,
                widget=forms.RadioSelect, initial=row.status,
                error_messages={"required": f"Select whether {row.member} attended.",
                                "invalid_choice": f"Select whether {row.member} attended."})
            self.fields[f"attendance_{row.pk}_deputy"] = forms.CharField(
                label=f"Name of the deputy {row.member} sent", required=False, max_length=200,
                initial=row.deputy_name, help_text="Only if they sent a deputy.")
        self.fields["reason"] = self.fields.pop("reason")  # asked last
        self.dress_fields()

    @property
    def attendance(self):
        return {row.pk: (self.cleaned_data.get(f"attendance_{row.pk}"),
                         self.cleaned_data.get(f"attendance_{row.pk}_deputy", ""))
                for row in self.attendances}
