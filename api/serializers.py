"""What each endpoint answers: flat rows a spreadsheet or a warehouse loads as they are — ids,
names, dates, the system's short name, the post's title — with only an appointment's extensions
nested. Equality data is never in the API."""

from rest_framework import serializers

from appointments.models import Appointment, Extension, Person, Vacancy
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


class PostSerializer(serializers.ModelSerializer):
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
    post_title = serializers.CharField(source="post.title")

    class Meta:
        model = Seat
        fields = ["id", "body_id", "body", "system_id", "post_id", "post_title", "role",
                  "capability", "voting"]


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
