"""Finding a generated register again and removing it: the systems whose short name starts with
the generated prefix, the organisations, budgets, posts and governance in them, and the people at
the generated e-mail domain; with everything attached to them since, and their history."""

from django.db import models, transaction
from django.test.utils import override_settings

from appointments.models import Appointment, BulkChange, Extension, Person
from ccpl.models import Notification
from governance.models import (
    Attendance,
    Body,
    DeclarationReturn,
    FitAndProperAssessment,
    FitAndProperCheck,
    Framework,
    Meeting,
    QuorumRule,
    Seat,
)
from roles.models import EstablishmentBudget, JobDescription, Organisation, Post, System

from .catalogue import BATCH, EMAIL_DOMAIN, GENERATOR_EMAIL, SHORT_NAME_PREFIX


def generated_systems():
    return System.objects.filter(short_name__startswith=SHORT_NAME_PREFIX)


def flush(*, say=print):
    """Remove a generated register and everything attached to it since (vacancies, decisions,
    reminders, grants on its systems), and the history rows of the generated objects: they only
    record that the generator wrote them. Returns the number of rows removed."""
    targets = _generated()
    ids = {model: list(qs.order_by().values_list("pk", flat=True).distinct())
           for model, qs in targets.items()}
    if not any(ids.values()):
        return 0
    # History is switched off while deleting: a "deleted" record for each of 150,000 synthetic
    # rows would cost a query each, and their history goes below anyway.
    with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
        removed = _delete_reminders(ids[Appointment], targets[Post], ids[Person])
        removed += _delete_fppt(ids[Appointment])
        removed += _delete_register(ids)
        removed += _delete_history(ids)
    say(f"Removed {removed:,} generated rows (history included).")
    return removed


def _generated():
    """Per model with history, the generated rows."""
    systems = generated_systems()
    posts = Post.objects.filter(system__in=systems)
    appointments = Appointment.objects.filter(post__in=posts)
    return {
        System: systems,
        Organisation: Organisation.objects.filter(systems__in=systems)
        .exclude(systems__in=System.objects.exclude(pk__in=systems)),
        EstablishmentBudget: EstablishmentBudget.objects.filter(system__in=systems),
        Post: posts,
        Person: Person.objects.filter(work_email__iendswith=f"@{EMAIL_DOMAIN}"),
        Appointment: appointments,
        Extension: Extension.objects.filter(appointment__in=appointments),
        Body: Body.objects.filter(system__in=systems),
        Seat: Seat.objects.filter(body__system__in=systems),
        QuorumRule: QuorumRule.objects.filter(body__system__in=systems),
        Meeting: Meeting.objects.filter(body__system__in=systems),
        Attendance: Attendance.objects.filter(meeting__body__system__in=systems),
    }


def _delete_reminders(appointment_ids, posts, person_ids):
    """The ledger's reminders about generated appointments, their posts' job descriptions and
    the generated people's declarations of interest."""
    removed = 0
    reminded = {Appointment: appointment_ids, JobDescription: list(
        JobDescription.objects.filter(post__in=posts).values_list("pk", flat=True)),
        DeclarationReturn: [pk for chunk in _chunks(person_ids) for pk in
                            DeclarationReturn.objects.filter(person__in=chunk)
                            .values_list("pk", flat=True)]}
    for model, pks in reminded.items():
        for chunk in _chunks(pks):
            removed += Notification.objects.filter(
                object_type=model._meta.label_lower, object_id__in=chunk).delete()[0]
    return removed


def _delete_fppt(appointment_ids):
    """The Fit and Proper Person Test of generated appointments, with the history of its checks
    and the reminders about it."""
    removed = 0
    for chunk in _chunks(appointment_ids):
        assessments = list(FitAndProperAssessment.objects.filter(appointment__in=chunk)
                           .values_list("pk", flat=True))
        removed += Notification.objects.filter(
            object_type=FitAndProperAssessment._meta.label_lower,
            object_id__in=assessments).delete()[0]
        removed += FitAndProperCheck.history.filter(assessment_id__in=assessments).delete()[0]
        removed += FitAndProperAssessment.objects.filter(pk__in=assessments).delete()[0]
    return removed


def _delete_register(ids):
    # Meetings first, with their attendance: nothing then points at the seats and people.
    removed = Meeting.objects.filter(body__system__in=ids[System]).delete()[0]
    for model in (Appointment, Post, EstablishmentBudget, Person):
        for chunk in _chunks(ids[model]):
            if model in (Appointment, Post, Person):  # a person's declarations, too
                removed += _delete_protecting(model, chunk)
            removed += model.objects.filter(pk__in=chunk).delete()[0]
    removed += BulkChange.objects.filter(recorded_by__email=GENERATOR_EMAIL).delete()[0]
    # Governance of the generated systems: plans first (their actions may be owned by bodies),
    # then the bodies and their seats.
    for model in (Framework, Body):
        removed += model.objects.filter(system__in=ids[System]).delete()[0]
    for model in (Organisation, System):
        for chunk in _chunks(ids[model]):
            removed += model.objects.filter(pk__in=chunk).delete()[0]
    return removed


def _delete_protecting(model, pks):
    """What was attached since to generated appointments and posts and would keep them (an
    appraisal cycle, a vacancy) goes with them."""
    removed = 0
    for relation in model._meta.related_objects:
        if relation.on_delete is models.PROTECT and relation.related_model is not Appointment:
            removed += relation.related_model._base_manager.filter(
                **{f"{relation.field.name}__in": pks}).delete()[0]
    return removed


def _delete_history(ids):
    """The history rows of the generated objects, their many-to-many history included."""
    removed = 0
    for model, pks in ids.items():
        for field_name in _m2m_history_fields(model):
            historical = getattr(model.history.model, field_name).model
            own = getattr(model, field_name).field.m2m_field_name()
            for chunk in _chunks(pks):
                removed += historical.objects.filter(**{f"{own}_id__in": chunk}).delete()[0]
        for chunk in _chunks(pks):
            removed += model.history.filter(id__in=chunk).delete()[0]
    return removed


def _m2m_history_fields(model):
    return {Organisation: ["systems"], Post: ["functions", "statutory_duties"]}.get(model, [])


def _chunks(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]
