"""Forms for the state changes, used by the browser pages and the admin alike. They collect
input; the services in services.py hold the rules."""

from django import forms
from django.db import models

from ccpl import access
from ccpl.forms import DateField, NHSForm, NHSModelForm
from ccpl.models import User
from roles.models import Organisation, Post, System

from .models import (
    Appointment,
    ApprovalRoute,
    BulkChange,
    EqualityProfile,
    HonoraryContract,
    Person,
    Profession,
    TermEndDecision,
)
from .services.approvals import HOW_CHOICES, OUTSIDE, OVERRIDE, REQUEST
from .services.contracts import Consent
from .services.people import Invitation, system_grantable_by

# --- How a change is agreed ------------------------------------------------------------------

def add_how_fields(form, *, user, allows_outside, date_field=True):
    """Let the user choose how a change is agreed, when they have a choice: asked of the
    route's parties (always), recorded from an agreement made outside the register (where a
    route allows it), or overridden (administrators). The services check the choice again."""
    offered = {REQUEST, *([OUTSIDE] if allows_outside else []),
               *([OVERRIDE] if access.is_admin(user) else [])}
    if len(offered) == 1:
        return
    form.fields["how"] = forms.ChoiceField(
        label="How is it agreed?", widget=forms.RadioSelect, required=False,
        choices=[choice for choice in HOW_CHOICES if choice[0] in offered])
    form.initial.setdefault("how", REQUEST)
    if allows_outside:
        form.fields["evidence"] = forms.CharField(
            label="Evidence of the agreement", max_length=200, required=False,
            help_text="If it was agreed outside the register: for example the minute reference "
                      "of the meeting.")
        if date_field:
            form.fields["agreed_on"] = DateField(
                label="Date agreed", required=False,
                help_text="If it was agreed outside the register. It cannot be in the future.")
    if OVERRIDE in offered:
        form.fields["override_reason"] = forms.CharField(
            label="Reason for overriding the approval route", required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text="Administrators only. The override and its reason are shown with the "
                      "change for good.")
    form.dress_fields()


def how_agreed(data):
    """The services' arguments for how a change is agreed, from a form's cleaned data."""
    return {"how": data.get("how") or REQUEST, "evidence": data.get("evidence") or "",
            "agreed_on": data.get("agreed_on"),
            "override_reason": data.get("override_reason") or ""}


def any_route_allows_outside(user, subject):
    """Whether a route of the systems the user changes lets an outside agreement be recorded
    (the service checks the route of each change)."""
    systems = System.objects.filter(pk__in=access.granted_systems(user)) \
        if not access.is_admin(user) else System.objects.all()
    organisations = access.granted_organisations(user)
    return ApprovalRoute.objects.filter(
        models.Q(system__in=systems) | models.Q(system__organisations__in=organisations),
        subject=subject, allows_outside_agreement=True).exists()


class PersonForm(NHSModelForm):
    class Meta:
        model = Person
        fields = ["given_name", "family_name", "work_email", "phone", "profession",
                  "registration_body", "registration_number", "licence_to_practise",
                  "designated_body", "substantive_employer", "consent_to_publish"]
        labels = {"work_email": "Work e-mail address", "phone": "Work phone number",
                  "registration_body": "Professional regulator",
                  "licence_to_practise": "Holds a licence to practise (doctors)",
                  "designated_body": "Designated body (doctors' prescribed connection)",
                  "consent_to_publish": "Agrees to their name appearing on the public register"}
        error_messages = {
            "given_name": {"required": "Enter the given name."},
            "family_name": {"required": "Enter the family name."},
            "work_email": {"invalid": "Enter an e-mail address like name@nhs.net."},
            "profession": {"required": "Select the profession."},
        }

    def __init__(self, *args, user, leader_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["substantive_employer"].queryset = Organisation.objects.visible_to(user)
        self.fields["designated_body"].queryset = Organisation.objects.visible_to(user)
        if not self.instance.pk:
            self.fields["substantive_employer"].required = True
            self.fields["substantive_employer"].error_messages["required"] = (
                "Select the substantive employer.")
            self.fields["substantive_employer"].queryset = Organisation.objects.editable_by(user)
        if leader_only:
            for name in list(self.fields):
                if name not in ("work_email", "phone"):
                    del self.fields[name]


class EqualityForm(NHSModelForm):
    class Meta:
        model = EqualityProfile
        fields = ["age_band", "sex", "ethnic_category", "disability", "objects_to_statistics"]
        labels = {"objects_to_statistics": "Leave me out of every diversity statistic"}


CONSENT_FIELDS = ("consent_by", "consent_reason")


class ConsentMixin:
    """The two questions asked once a change is refused for going above the commitment
    ceiling: which approver consents, and why. Added to the form only then (or when the page
    that asked them is posted back), so nobody is asked for consent they do not need."""

    def add_consent_fields(self, user):
        """Ask for consent, offering the approvers of the systems the user sees."""
        systems = list(System.objects.visible_to(user).order_by("name"))
        holders = access.grant_holders("System", access.APPROVE, [s.pk for s in systems])
        names = {}
        for system in systems:
            for approver in holders[system.pk]:
                names.setdefault(approver.pk, [approver.get_full_name() or approver.email, []])
                names[approver.pk][1].append(system.short_name)
        if access.is_admin(user):
            names.setdefault(user.pk, [user.get_full_name() or user.email, ["administrator"]])
        field = forms.ModelChoiceField(
            queryset=User.objects.filter(pk__in=names).order_by("full_name", "pk"),
            label="Approver who consents", empty_label="Select the approver",
            help_text="A member of the CMO/CNO office of the post's system.",
            error_messages={"required": "Select the approver who consents."})
        field.label_from_instance = lambda u: f"{names[u.pk][0]} ({', '.join(names[u.pk][1])})"
        self.fields["consent_by"] = field
        self.fields["consent_reason"] = forms.CharField(
            label="Why the approver consents", widget=forms.Textarea(attrs={"rows": 3}),
            error_messages={"required": "Say why the approver consents to going above the "
                                        "ceiling."})
        self.dress_fields()

    def asks_consent(self):
        return "consent_by" in self.fields

    def consent(self):
        """The consent given on the form, or None if it was not asked for."""
        if not self.asks_consent():
            return None
        return Consent(by=self.cleaned_data.get("consent_by"),
                       reason=self.cleaned_data.get("consent_reason") or "")

    def without_consent(self):
        """The form's answers less the consent questions: what the service takes as is."""
        return {k: v for k, v in self.cleaned_data.items() if k not in CONSENT_FIELDS}


class AppointForm(ConsentMixin, NHSModelForm):
    """A direct appointment, without recruitment: asked of the parties of the system's route
    (or recorded from an agreement made outside the register, or an administrator's override).
    An appointment from recruitment is made by the vacancy's offer instead."""

    start_date = DateField(label="Start date", error_messages={
        "required": "Enter the date the term starts."})
    end_date = DateField(label="End date", required=False,
                         help_text="The last day of the term. Leave blank for the post's "
                                   "default term, for cover to the end of the appointment "
                                   "covered, and for a permanent appointment.")
    reason = forms.CharField(label="Why appoint without recruitment?", required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Appointment
        fields = ["post", "person", "contract_type", "covers", "home_organisation",
                  "start_date", "end_date", "wte", "honorarium_share", "status"]
        labels = {"wte": "WTE of this appointment",
                  "honorarium_share": "Share of the honorarium (£ a year)",
                  "status": "Status", "contract_type": "Contract",
                  "covers": "Appointment covered (acting or interim cover only)",
                  "home_organisation": "Home organisation (secondment only)"}
        help_texts = {"wte": "Leave blank to take the whole post (for cover, the time of the "
                             "appointment covered).",
                      "covers": "The holder on leave, or the post holder the cover stands in "
                                "for. Cover starts and ends within their appointment.",
                      "home_organisation": "The organisation the secondee comes from."}
        widgets = {"status": forms.RadioSelect, "contract_type": forms.RadioSelect}
        error_messages = {
            "post": {"required": "Select the post."},
            "person": {"required": "Select the person to appoint."},
            "contract_type": {"required": "Select the kind of contract."},
            "wte": {"invalid": "Enter the WTE as a number, e.g. 0.15."},
            "honorarium_share": {"invalid": "Enter the share as a number of pounds."},
        }

    def __init__(self, *args, user, ask_consent=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = Post.objects.editable_by(user).select_related(
            "host_organisation")
        self.fields["post"].label_from_instance = lambda p: f"{p.title} ({p.host_organisation})"
        self.fields["person"].queryset = Person.objects.visible_to(user)
        self.fields["covers"].queryset = (
            Appointment.objects.editable_by(user).filter(status=Appointment.Status.ACTIVE)
            .exclude(contract_type=Appointment.ContractType.COVER)
            .select_related("person", "post").order_by("post__title", "person__family_name",
                                                       "pk"))
        self.fields["covers"].label_from_instance = (
            lambda a: f"{a.person} — {a.post.title} (to {a.term_end_text})")
        self.fields["covers"].empty_label = "Not cover"
        self.fields["home_organisation"].queryset = Organisation.objects.visible_to(user)
        self.fields["home_organisation"].empty_label = "Not a secondment"
        self.fields["wte"].required = False
        self.fields["honorarium_share"].required = False
        self.fields["status"].choices = [
            (Appointment.Status.ACTIVE, "Accepted"), (Appointment.Status.OFFERED, "Offered")]
        self.fields["contract_type"].choices = Appointment.ContractType.choices
        self.fields["contract_type"].required = False  # a fixed term unless said otherwise
        add_how_fields(self, user=user, allows_outside=any_route_allows_outside(
            user, ApprovalRoute.Subject.APPOINTMENT))
        if ask_consent:
            self.add_consent_fields(user)

    def _post_clean(self):
        # The rules are checked by services.appoint, with the post locked.
        pass

    @classmethod
    def chosen(cls, query, *, user):
        """The post, person and covered appointment named in the page's address
        (?post=…&person=…&covers=…), as initial values, when they are ones the user may choose;
        anything else is ignored. Cover starts as cover of that appointment, on its post."""
        fields = cls(user=user).fields
        initial = {}
        for name in ("post", "person", "covers"):
            try:
                value = fields[name].clean(query.get(name))
            except forms.ValidationError:
                continue
            if value is not None:
                initial[name] = value.pk
        if "covers" in initial:
            covered = fields["covers"].queryset.get(pk=initial["covers"])
            initial.update(post=covered.post_id,
                           contract_type=Appointment.ContractType.COVER)
        return initial


class ExtendForm(ConsentMixin, NHSForm):
    """Ask for an extension: the parties of the system's route agree it (or, where the route
    allows, record an agreement already made outside the register; or, for an administrator,
    override the route). Who agreed and when are written from the decisions, never typed. Above
    the commitment ceiling, an approver's consent goes with the request."""

    new_end_date = DateField(label="New end date", help_text="The new last day of the term.",
                             error_messages={"required": "Enter the new end date."})
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Enter the reason for the extension."})

    def __init__(self, *args, user, route, ask_consent=False, **kwargs):
        super().__init__(*args, **kwargs)
        add_how_fields(self, user=user, allows_outside=route.allows_outside_agreement)
        if ask_consent:
            self.add_consent_fields(user)


class EndForm(NHSForm):
    how = forms.ChoiceField(
        label="How does the appointment end?", widget=forms.RadioSelect,
        choices=[("end", "Ended early (for example the leader resigned)"),
                 ("cease", "Ceased (the role is not continuing)")],
        error_messages={"required": "Select how the appointment ends."})
    on = DateField(label="Last day of the appointment", error_messages={
        "required": "Enter the last day of the appointment."})
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why it ends",
                             error_messages={"required": "Enter why the appointment ends."})


class BulkChangeForm(NHSForm):
    """A bulk extension goes through each appointment's approval route like a single one; a
    bulk cessation records who agreed it."""

    kind = forms.ChoiceField(label="What should happen to these appointments?",
                             widget=forms.RadioSelect, choices=BulkChange.Kind.choices,
                             error_messages={"required": "Select extend or cease."})
    on_date = DateField(label="New end date, or the day they cease",
                        error_messages={"required": "Enter the date."})
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Enter the reason for the change."})
    agreed_by = forms.CharField(max_length=300, label="Who agreed the cessation",
                                required=False, help_text="For a cessation.")
    agreed_on = DateField(label="Date agreed", required=False,
                          help_text="For a cessation, or an extension agreed outside the "
                                    "register. It cannot be in the future.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        add_how_fields(self, user=user, date_field=False, allows_outside=any_route_allows_outside(
            user, ApprovalRoute.Subject.EXTENSION))

    def clean(self):
        data = super().clean()
        if data.get("kind") == BulkChange.Kind.CEASE:
            if not (data.get("agreed_by") or "").strip():
                self.add_error("agreed_by", "Enter who agreed the cessation.")
            if not data.get("agreed_on") and "agreed_on" not in self.errors:
                self.add_error("agreed_on", "Enter the date the cessation was agreed.")
        return data


class DecisionForm(NHSForm):
    outcome = forms.ChoiceField(label="What happens at the end of the term?",
                                widget=forms.RadioSelect,
                                choices=TermEndDecision.Outcome.choices,
                                error_messages={"required": "Select what happens."})
    proposed_end_date = DateField(label="Proposed new end date (if extending)", required=False)
    note = forms.CharField(label="Notes", required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("outcome") == TermEndDecision.Outcome.EXTEND and not data.get(
            "proposed_end_date"
        ):
            self.add_error("proposed_end_date", "Enter the proposed new end date.")
        return data


class PartyDecisionForm(NHSForm):
    """One party's decision on a request. The appraisal override is asked for only where the
    route's appraisal gate stops the extension and no approver has overridden it yet."""

    decision = forms.ChoiceField(
        label="Do you agree?", widget=forms.RadioSelect,
        choices=[("agree", "Yes, agree"), ("decline", "No, decline")],
        error_messages={"required": "Select whether you agree."})
    note = forms.CharField(label="Notes", required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Needed if you decline: say why.")
    evidence = forms.CharField(label="Reference (optional)", max_length=200, required=False,
                               help_text="For example the minute reference of the meeting where "
                                         "it was discussed.")

    def __init__(self, *args, gate_failures=(), **kwargs):
        super().__init__(*args, **kwargs)
        if gate_failures:
            self.fields["gate_override_reason"] = forms.CharField(
                label="Reason for agreeing without a satisfactory appraisal", required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=" ".join(gate_failures) + " Give your reason to agree all the same.")
            self.dress_fields()


class OutsideAgreementForm(NHSForm):
    evidence = forms.CharField(
        label="Evidence of the agreement", max_length=200,
        help_text="For example the minute reference of the meeting where it was agreed.",
        error_messages={"required": "Enter the evidence of the agreement, for example the minute "
                                    "reference of the meeting."})
    agreed_on = DateField(label="Date agreed", help_text="It cannot be in the future.",
                          error_messages={"required": "Enter the date it was agreed."})


class OverrideForm(NHSForm):
    override_reason = forms.CharField(
        label="Why override the approval route?", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The override and its reason are shown with the change for good.",
        error_messages={"required": "Give the reason for overriding the approval route."})


# --- Recruitment -----------------------------------------------------------------------------

class VacancyForm(NHSForm):
    post = forms.ModelChoiceField(queryset=Post.objects.none(), empty_label="Select a post",
                                  error_messages={"required": "Select the post to recruit to."})
    reason = forms.CharField(label="Why is the post being recruited to?", required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    advertise_from = DateField(label="Advertise from (planned)", required=False)
    onboarding_from = DateField(label="Onboarding from (planned)", required=False)
    expected_start = DateField(label="Envisaged start date", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = Post.objects.editable_by(user).established().select_related(
            "host_organisation").order_by("title")
        self.fields["post"].label_from_instance = lambda p: f"{p.title} ({p.host_organisation})"

    @classmethod
    def chosen(cls, query, *, user):
        """The post named in the page's address (?post=…), if the user may recruit to it."""
        try:
            post = cls(user=user).fields["post"].clean(query.get("post"))
        except forms.ValidationError:
            return {}
        return {"post": post.pk} if post else {}


class ApprovalForm(NHSForm):
    decision = forms.ChoiceField(
        label="Is recruitment to this post approved?", widget=forms.RadioSelect,
        choices=[("approve", "Yes, approve recruitment"), ("decline", "No, do not approve")],
        error_messages={"required": "Select whether recruitment is approved."})
    note = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Needed if recruitment is not approved.")


class AdvertForm(NHSForm):
    reference = forms.CharField(label="Advert reference", max_length=40,
                                help_text="For example the NHS Jobs reference.",
                                error_messages={"required": "Enter the advert reference."})
    where = forms.CharField(label="Where it was advertised", max_length=300,
                            help_text="For example NHS Jobs and the ICS website.",
                            error_messages={"required": "Enter where the post was advertised."})
    advertised_on = DateField(label="Date advertised",
                              error_messages={"required": "Enter the date it was advertised."})
    closes_on = DateField(label="Closing date",
                          error_messages={"required": "Enter the closing date."})


class ShortlistForm(NHSForm):
    """The date, and how many applied and were shortlisted from each profession."""

    shortlisted_on = DateField(label="Date of shortlisting",
                               error_messages={"required": "Enter the date of shortlisting."})

    def __init__(self, *args, existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        existing = existing or {}
        for value, label in Profession.choices:
            applied, shortlisted = existing.get(value, (0, 0))
            for kind, number in (("applied", applied), ("shortlisted", shortlisted)):
                self.fields[f"{kind}_{value}"] = forms.IntegerField(
                    label=f"{label}: {kind}", min_value=0, max_value=9999, required=False,
                    initial=number or None,
                    error_messages={"invalid": f"Enter the number of {label.lower()}s {kind} "
                                               "as a whole number.",
                                    "min_value": "Numbers cannot be negative."},
                    widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4",
                                                    "inputmode": "numeric"}))
        self.dress_fields()

    def professions(self):
        return [(label, self[f"applied_{value}"], self[f"shortlisted_{value}"])
                for value, label in Profession.choices]

    def counts(self):
        data = self.cleaned_data
        return {value: (data.get(f"applied_{value}") or 0, data.get(f"shortlisted_{value}") or 0)
                for value, _ in Profession.choices}

    def clean(self):
        data = super().clean()
        for value, label in Profession.choices:
            applied = data.get(f"applied_{value}") or 0
            shortlisted = data.get(f"shortlisted_{value}") or 0
            if shortlisted > applied:
                self.add_error(f"shortlisted_{value}",
                               f"More {label.lower()}s shortlisted than applied.")
        return data


class InterviewForm(NHSForm):
    interview_on = DateField(label="Interview date",
                             error_messages={"required": "Enter the interview date."})


class OfferForm(ConsentMixin, NHSForm):
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(), label="Who is offered the post?",
        empty_label="Select a person",
        help_text="Add them on the People page first if they are new to the register.",
        error_messages={"required": "Select who is offered the post."})
    start_date = DateField(label="Start date", error_messages={
        "required": "Enter the date the term starts."})
    end_date = DateField(label="End date", required=False,
                         help_text="The last day of the term. Leave blank for the post's "
                                   "default term.")

    def __init__(self, *args, user, ask_consent=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.visible_to(user)
        if ask_consent:
            self.add_consent_fields(user)


class WithdrawForm(NHSForm):
    reason = forms.CharField(label="Why is the vacancy withdrawn?",
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Say why the vacancy is withdrawn."})


# --- Inviting users --------------------------------------------------------------------------

class InviteForm(NHSForm):
    email = forms.EmailField(label="E-mail address", error_messages={
        "required": "Enter their e-mail address.",
        "invalid": "Enter an e-mail address like name@nhs.net."})
    full_name = forms.CharField(label="Full name", max_length=200,
                                error_messages={"required": "Enter their name."})
    kind = forms.ChoiceField(label="Who are you inviting?", choices=Invitation.KINDS,
                             widget=forms.RadioSelect,
                             error_messages={"required": "Select who you are inviting."})
    person = forms.ModelChoiceField(queryset=None, required=False, label="The leader's record")
    organisation = forms.ModelChoiceField(queryset=None, required=False,
                                          label="Organisation (for HR)")
    system = forms.ModelChoiceField(queryset=None, required=False,
                                    label="System (for a CMO or CNO office)")
    appointment = forms.ModelChoiceField(queryset=None, required=False,
                                         label="Appointment (for an appraiser)")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.editable_by(user).filter(
            user__isnull=True)
        self.fields["organisation"].queryset = Organisation.objects.editable_by(user)
        self.fields["system"].queryset = system_grantable_by(user)
        self.fields["appointment"].queryset = Appointment.objects.editable_by(user) \
            .select_related("person", "post")


class HonoraryContractForm(NHSModelForm):
    """An honorary contract with a partner organisation, or honorary status with a
    partnership: one list, partnerships first, of those the user is HR for."""

    held_with = forms.ChoiceField(label="Held with", error_messages={
        "required": "Select the partner organisation or partnership it is held with."})
    start_date = DateField(label="First day", error_messages={
        "required": "Enter the first day of the contract."})
    end_date = DateField(label="Last day", required=False,
                         help_text="Leave blank if the contract has no end date.")

    class Meta:
        model = HonoraryContract
        fields = ["start_date", "end_date", "reference", "purpose"]
        labels = {"purpose": "What it is for"}
        help_texts = {"purpose": "For example: to lead the cardiovascular clinical academic "
                                 "group across the partners."}
        error_messages = {"purpose": {"required": "Say what the contract is for."}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        partnerships = System.objects.editable_by(user).order_by("name")
        organisations = Organisation.objects.editable_by(user).order_by("name")
        self.fields["held_with"].choices = [
            ("", "Select the partner"),
            ("Partnerships (honorary status)",
             [(f"system:{s.pk}", s.name) for s in partnerships]),
            ("Partner organisations (honorary contract)",
             [(f"organisation:{o.pk}", o.name) for o in organisations]),
        ]
        self.order_fields(["held_with", "start_date", "end_date", "reference", "purpose"])
        contract = self.instance
        if contract.pk:
            self.initial["held_with"] = (f"system:{contract.partnership_id}"
                                         if contract.partnership_id
                                         else f"organisation:{contract.organisation_id}")
        self.dress_fields()

    def clean(self):
        data = super().clean()
        kind, _, pk = (data.get("held_with") or "").partition(":")
        self.instance.partnership_id = int(pk) if kind == "system" else None
        self.instance.organisation_id = int(pk) if kind == "organisation" else None
        return data

    def _post_clean(self):
        # Copy the answers to the contract; its rules are checked by the service.
        for name in ("start_date", "end_date", "reference", "purpose"):
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
