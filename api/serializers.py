"""What each endpoint answers: flat rows a spreadsheet or a warehouse loads as they are — ids,
names, dates, the system's short name, the post's title — with only an appointment's extensions
nested. Equality data is never in the API."""

from rest_framework import serializers

from appointments.models import (
    Appointment,
    ApprovalRequest,
    Extension,
    PartyDecision,
    Person,
    TermEndDecision,
    Vacancy,
)
from governance.models import Body, Seat
from roles.models import Organisation, Post, System


class SystemSerializer(serializers.ModelSerializer):
    class Meta:
        model = System
        fields = ["id", "name", "short_name", "kind", "commitment_ceiling_wte"]


class OrganisationSerializer(serializers.ModelSerializer):
    system_ids = serializers.SerializerMethodField(
        help_text="The systems the organisation is a partner in.")

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "ods_code", "is_employer", "system_ids"]

    def get_system_ids(self, organisation) -> list[int]:
        return sorted(system.pk for system in organisation.systems.all())


# A small positive integer, whatever the database: the schema must not change with it.
SMALL = {"min_value": 0, "max_value": 32767}


class PostSerializer(serializers.ModelSerializer):
    default_term_months = serializers.IntegerField(**SMALL)
    role_type = serializers.CharField(source="role_type.name")
    system = serializers.CharField(source="system.short_name", help_text="Short name.")
    host_organisation = serializers.CharField(source="host_organisation.name")
    pas = serializers.DecimalField(max_digits=5, decimal_places=1, read_only=True,
                                   help_text="Programmed activities (1.0 WTE = 10 PAs).")

    class Meta:
        model = Post
        fields = ["id", "title", "reference", "role_type_id", "role_type", "system_id", "system",
                  "host_organisation_id", "host_organisation", "wte", "pas", "honorarium",
                  "honorarium_is_pool", "default_term_months", "responsible_to_id",
                  "job_share_allowed", "spatial_level", "budget_id", "is_published",
                  "created_on", "disestablished_on"]


class PersonSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)
    substantive_employer = serializers.CharField(source="substantive_employer.name",
                                                 allow_null=True, default=None)

    class Meta:
        model = Person
        fields = ["id", "given_name", "family_name", "full_name", "work_email", "phone",
                  "profession", "registration_body", "registration_number",
                  "substantive_employer_id", "substantive_employer", "consent_to_publish"]


class ExtensionSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(**SMALL)

    class Meta:
        model = Extension
        fields = ["id", "number", "old_end_date", "new_end_date", "reason", "agreed_by",
                  "agreed_on", "recorded_at", "bulk_change_id"]


class AppointmentSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.full_name")
    post_title = serializers.CharField(source="post.title")
    system_id = serializers.IntegerField(source="post.system_id")
    system = serializers.CharField(source="post.system.short_name", help_text="Short name.")
    host_organisation_id = serializers.IntegerField(source="post.host_organisation_id")
    host_organisation = serializers.CharField(source="post.host_organisation.name")
    extensions = ExtensionSerializer(many=True, read_only=True)

    class Meta:
        model = Appointment
        fields = ["id", "person_id", "person_name", "post_id", "post_title", "system_id",
                  "system", "host_organisation_id", "host_organisation", "contract_type",
                  "covers_id", "home_organisation_id", "start_date", "end_date", "wte",
                  "honorarium_share", "status", "agreement_parties", "scheduled_end_date",
                  "end_reason", "created_at", "extensions"]


class VacancySerializer(serializers.ModelSerializer):
    post_title = serializers.CharField(source="post.title")
    system_id = serializers.IntegerField(source="post.system_id")
    system = serializers.CharField(source="post.system.short_name", help_text="Short name.")
    appointment_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = Vacancy
        fields = ["id", "post_id", "post_title", "system_id", "system", "status", "reason",
                  "opened_on", "approval", "approval_on", "advertise_from", "onboarding_from",
                  "expected_start", "advert_reference", "advertised_where", "advertised_on",
                  "closes_on", "shortlisted_on", "interview_on", "offer_on", "appointment_id"]


class BodySerializer(serializers.ModelSerializer):
    system = serializers.CharField(source="system.short_name", help_text="Short name.")

    class Meta:
        model = Body
        fields = ["id", "name", "kind", "system_id", "system", "spatial_level", "purpose",
                  "reports_to_id"]


class SeatSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="body.name")
    system_id = serializers.IntegerField(source="body.system_id")
    # A seat is held by a post, or by a named person (an expert by experience, a partner's
    # representative): then it has no post.
    post_title = serializers.CharField(source="post.title", allow_null=True, default=None)

    class Meta:
        model = Seat
        fields = ["id", "body_id", "body", "system_id", "post_id", "post_title", "holder_name",
                  "holder_description", "role", "capability", "voting", "executive", "clinical",
                  "lay"]


class PublishedSystemSerializer(serializers.ModelSerializer):
    class Meta:
        model = System
        fields = ["name", "short_name", "kind"]


class RegisterRowSerializer(serializers.Serializer):
    """A row of the published register, exactly as the page and its CSV show it: a name only
    where the leader agreed to publication."""

    role = serializers.CharField()
    role_type = serializers.CharField()
    organisation = serializers.CharField()
    name = serializers.CharField()
    named = serializers.BooleanField()
    bodies = serializers.CharField(help_text="The bodies the post sits on, separated by '; '.")
    term_ends = serializers.DateField(allow_null=True)


# --- The changes: what they answer, and (for the schema) what they take -----------------------

class ApprovalRequestSerializer(serializers.ModelSerializer):
    """A request for agreement, as a change left it: agreed (and done), or awaiting the parties
    still named in ``waiting_for``."""

    waiting_for = serializers.ListField(child=serializers.CharField(), read_only=True)
    extension_id = serializers.IntegerField(allow_null=True, read_only=True)
    appointment_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = ["id", "subject", "status", "how", "requested_at", "closed_at",
                  "appointment_id", "extension_id", "proposed_end_date", "post_id", "person_id",
                  "start_date", "end_date", "waiting_for"]


class PartyDecisionSerializer(serializers.ModelSerializer):
    """One party's decision on a request, taken by the users who decide for that party."""

    subject = serializers.CharField(source="request.subject")
    request_status = serializers.CharField(source="request.status")
    appointment_id = serializers.IntegerField(source="request.appointment_id", allow_null=True)
    proposed_end_date = serializers.DateField(source="request.proposed_end_date",
                                              allow_null=True)

    class Meta:
        model = PartyDecision
        fields = ["id", "request_id", "subject", "request_status", "appointment_id",
                  "proposed_end_date", "name", "status", "decided_at", "agreed_on", "note",
                  "evidence"]


class TermEndDecisionSerializer(serializers.ModelSerializer):
    approval_request_id = serializers.SerializerMethodField()

    class Meta:
        model = TermEndDecision
        fields = ["id", "appointment_id", "outcome", "term_end_date", "proposed_end_date",
                  "status", "note", "decided_at", "extension_id", "vacancy_id",
                  "approval_request_id"]

    def get_approval_request_id(self, decision) -> int | None:
        return ApprovalRequest.objects.filter(term_end_decision=decision).values_list(
            "pk", flat=True).first()


DATE_HELP = "YYYY-MM-DD"
HOW_HELP = ("How it is agreed: 'request' asks the route's parties (always offered); 'outside' "
            "records an agreement already made outside the register, where the route allows "
            "it (with evidence and agreed_on); 'override' is for administrators, with "
            "override_reason.")
CONSENT_HELP = ("Above the person's commitment ceiling only: the approver who consents (a user "
                "id) and why.")


class HowAgreedInput(serializers.Serializer):
    how = serializers.ChoiceField(choices=["request", "outside", "override"], required=False,
                                  help_text=HOW_HELP)
    evidence = serializers.CharField(required=False, max_length=200)
    agreed_on = serializers.DateField(required=False, help_text=DATE_HELP)
    override_reason = serializers.CharField(required=False)
    consent_by = serializers.IntegerField(required=False, help_text=CONSENT_HELP)
    consent_reason = serializers.CharField(required=False)


class AppointInput(HowAgreedInput):
    post = serializers.IntegerField(help_text="The post's id: one the user may edit.")
    person = serializers.IntegerField(help_text="The person's id.")
    start_date = serializers.DateField(help_text=DATE_HELP)
    end_date = serializers.DateField(required=False, help_text=DATE_HELP + "; blank for the "
                                     "post's default term")
    contract_type = serializers.ChoiceField(choices=Appointment.ContractType.choices,
                                            required=False)
    covers = serializers.IntegerField(required=False, help_text="Cover only: the appointment "
                                                                "covered.")
    home_organisation = serializers.IntegerField(required=False,
                                                 help_text="Secondment only.")
    wte = serializers.DecimalField(max_digits=4, decimal_places=2, required=False)
    honorarium_share = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    status = serializers.ChoiceField(choices=[Appointment.Status.ACTIVE,
                                              Appointment.Status.OFFERED])
    reason = serializers.CharField(required=False, help_text="Why appoint without recruitment.")


class ExtendInput(HowAgreedInput):
    new_end_date = serializers.DateField(help_text=DATE_HELP)
    reason = serializers.CharField()


class EndInput(serializers.Serializer):
    how = serializers.ChoiceField(choices=[("end", "Ended early"), ("cease", "Ceased")],
                                  help_text="'end': ended early; 'cease': the role ends.")
    on = serializers.DateField(help_text="The last day of the appointment, " + DATE_HELP)
    reason = serializers.CharField()


class TermEndInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=TermEndDecision.Outcome.choices)
    proposed_end_date = serializers.DateField(required=False,
                                              help_text="To extend: " + DATE_HELP)
    note = serializers.CharField(required=False)


class DecideInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["agree", "decline"])
    note = serializers.CharField(required=False, help_text="Needed to decline.")
    evidence = serializers.CharField(required=False, max_length=200)
    gate_override_reason = serializers.CharField(
        required=False, help_text="To agree an extension without a satisfactory appraisal.")
