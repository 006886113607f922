"""Every system that exists when approval routes come in gets the default route for each subject
(ApprovalRoute.default: one party, the system's CMO/CNO office, no agreement from outside the
register, no appraisal gate), so an administrator sees in the admin the rule that already
applied; and what was already waiting for that office (an extension proposed by HR, a vacancy
awaiting approval to recruit) becomes a request to it, so nothing waiting is lost."""

from django.db import migrations

SUBJECTS = ["recruitment", "appointment", "extension"]
OFFICE_PARTY = "CMO/CNO office"


def forwards(apps, schema_editor):
    System = apps.get_model("roles", "System")
    Route = apps.get_model("appointments", "ApprovalRoute")
    Party = apps.get_model("appointments", "ApprovalParty")
    Request = apps.get_model("appointments", "ApprovalRequest")
    Decision = apps.get_model("appointments", "PartyDecision")
    TermEndDecision = apps.get_model("appointments", "TermEndDecision")
    Vacancy = apps.get_model("appointments", "Vacancy")

    parties = {}
    for system in System.objects.all():
        for subject in SUBJECTS:
            route, _ = Route.objects.get_or_create(system=system, subject=subject)
            party = Party.objects.filter(route=route).first()
            if party is None:
                party = Party.objects.create(route=route, name=OFFICE_PARTY, decided_by="office")
            parties[system.pk, subject] = (route, party)

    def ask(subject, system_id, **fields):
        route, party = parties[system_id, subject]
        request = Request.objects.create(route=route, subject=subject, **fields)
        Decision.objects.create(request=request, party=party, name=party.name)

    waiting = (TermEndDecision.objects.filter(outcome="extend", status="pending",
                                              approval__isnull=True)
               .select_related("appointment__post"))
    for decision in waiting:
        ask("extension", decision.appointment.post.system_id,
            requested_by_id=decision.decided_by_id, requested_at=decision.decided_at,
            appointment=decision.appointment, term_end_decision=decision,
            proposed_end_date=decision.proposed_end_date, reason=decision.note)
    vacancies = (Vacancy.objects.filter(status="open", approval="requested",
                                        approval_request__isnull=True).select_related("post"))
    for vacancy in vacancies:
        ask("recruitment", vacancy.post.system_id, requested_by_id=vacancy.opened_by_id,
            vacancy=vacancy, reason=vacancy.reason)


def backwards(apps, schema_editor):
    """The requests and routes go with the tables the previous migration drops."""


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0006_approvals"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
