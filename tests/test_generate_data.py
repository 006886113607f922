"""The benchmark data generator: the numbers asked for, every rule of the register holding, history
for every row, the same register for the same seed, and no second register on top of the first."""

import datetime
import io
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from appointments.models import (
    Appointment,
    BulkChange,
    EqualityProfile,
    Extension,
    Person,
    Vacancy,
)
from devdata import generator
from governance.models import Attendance, Body, DeclarationReturn, FitAndProperAssessment, Meeting
from roles.models import EstablishmentBudget, Organisation, Post, System

from .factories import AppointmentFactory

TODAY = datetime.date(2026, 11, 23)
SMALL = generator.SCALES["small"]
HISTORY_MODELS = [System, Organisation, EstablishmentBudget, Post, Person, Appointment, Extension]

pytestmark = pytest.mark.django_db


def generate_small(*args):
    out = io.StringIO()
    call_command("generate_data", "--scale", "small", "--today", TODAY.isoformat(), *args,
                 stdout=out)
    return out.getvalue()


@pytest.fixture
def output():
    return generate_small("--seed", "3")


def test_small_scale_writes_the_numbers_asked_for(output):
    assert generator.generated_systems().count() == SMALL.systems
    assert Organisation.objects.count() == SMALL.organisations
    assert Post.objects.count() == SMALL.posts
    assert Appointment.objects.count() == SMALL.appointments
    assert Person.objects.count() == SMALL.people


def test_it_reports_what_it_wrote_and_how_long_it_took(output):
    reported = {line[:34].strip(): int(line[34:].replace(",", ""))
                for line in output.splitlines() if line.startswith("  ")}
    assert reported["systems"] == SMALL.systems
    assert reported["posts"] == SMALL.posts
    assert reported["appointments"] == SMALL.appointments
    assert reported["extensions"] == Extension.objects.count()
    assert reported["equality profiles"] == EqualityProfile.objects.count()
    assert reported["bulk changes"] == BulkChange.objects.count()
    assert "Done in" in output and "peak memory" in output


def test_every_appointment_keeps_the_rules_of_the_register(output):
    for appointment in Appointment.objects.select_related("post", "person"):
        appointment.full_clean()  # dates, WTE and honorarium against the post and its holders
        extensions = list(appointment.extensions.order_by("number"))
        assert [e.number for e in extensions] == list(range(1, len(extensions) + 1))
        for earlier, later in zip(extensions, extensions[1:], strict=False):
            assert earlier.new_end_date == later.old_end_date
            assert earlier.agreed_on <= later.agreed_on
        if extensions:
            assert extensions[-1].new_end_date == (appointment.scheduled_end_date
                                                   or appointment.end_date)
            assert appointment.start_date <= extensions[0].agreed_on
            assert extensions[-1].agreed_on <= TODAY
        if appointment.status in (Appointment.Status.ENDED, Appointment.Status.CEASED):
            assert appointment.end_date < appointment.scheduled_end_date
            assert appointment.end_recorded_at.date() <= TODAY
        if appointment.status == Appointment.Status.OFFERED:
            assert appointment.start_date > TODAY
        if appointment.post.disestablished_on:
            assert appointment.end_date < appointment.post.disestablished_on
        assert appointment.post.created_on <= appointment.start_date


def test_every_post_person_organisation_and_budget_is_valid(output):
    for model in (System, Organisation, EstablishmentBudget, Post, Person):
        for obj in model.objects.all():
            obj.full_clean()


def test_the_register_has_the_variety_benchmarks_need(output):
    appointments = list(Appointment.objects.select_related("post"))
    assert any(a.end_date and a.end_date < TODAY for a in appointments)
    assert any(a.end_date and a.start_date <= TODAY <= a.end_date for a in appointments)
    assert any(a.start_date > TODAY for a in appointments)
    statuses = Counter(a.status for a in appointments)
    assert set(statuses) == set(Appointment.Status.values)
    # Term end is a state: no active term is past its last day; chief officers are permanent.
    assert not [a for a in appointments if a.status == "active" and a.end_date
                and a.end_date < TODAY]
    permanent = [a for a in appointments if a.contract_type == "permanent"]
    assert permanent and all(a.end_date is None for a in permanent)
    assert {a.post.role_type.name for a in permanent} <= {"Chief Medical Officer",
                                                           "Chief Nursing Officer"}

    terms = defaultdict(list)
    for a in appointments:
        terms[(a.post_id, a.start_date)].append(a)
    co_leads = [held for held in terms.values() if len(held) > 1]
    assert co_leads and all(held[0].post.job_share_allowed for held in co_leads)
    assert any(held[0].post.honorarium_is_pool and all(a.honorarium_share for a in held)
               for held in co_leads)

    extended = Counter(Extension.objects.values_list("appointment", flat=True))
    assert 0.15 < len(extended) / len(appointments) < 0.5
    assert any(n > 1 for n in extended.values())
    assert Extension.objects.filter(bulk_change__isnull=False).exists()
    assert BulkChange.objects.filter(appointments__isnull=False).exists()

    depth = {}
    for post in Post.objects.order_by("pk"):
        depth[post.pk] = depth[post.responsible_to_id] + 1 if post.responsible_to_id else 0
    assert max(depth.values()) >= 3
    assert Organisation.objects.filter(systems__isnull=False).count() > Organisation.objects.count()
    assert Post.objects.filter(budget__isnull=False).exists()
    assert Post.objects.filter(functions__isnull=False).exists()
    assert 0 < EqualityProfile.objects.count() < Person.objects.count()


def test_every_generated_row_has_its_history(output):
    for model in HISTORY_MODELS:
        created = set(model.history.filter(
            history_type="+", history_user__email=generator.GENERATOR_EMAIL,
        ).values_list("id", flat=True))
        assert created == set(model.objects.values_list("pk", flat=True)), model
    post = Post.objects.filter(functions__isnull=False).first()
    recorded = post.history.earliest()
    assert {row.function_id for row in recorded.functions.all()} == set(
        post.functions.values_list("pk", flat=True))


def signature():
    """The register without its primary keys."""
    return (
        list(Organisation.objects.order_by("name", "ods_code")
             .values_list("name", "kind", "ods_code", "systems__short_name")),
        list(Post.objects.order_by("reference").values_list(
            "reference", "title", "wte", "honorarium", "job_share_allowed",
            "responsible_to__reference", "budget__name", "host_organisation__name",
            "created_on", "disestablished_on")),
        list(Person.objects.order_by("work_email").values_list(
            "work_email", "given_name", "family_name", "profession", "registration_number",
            "substantive_employer__name", "equality__ethnic_category")),
        list(Appointment.objects.order_by("post__reference", "start_date", "person__work_email")
             .values_list("post__reference", "person__work_email", "start_date", "end_date",
                          "wte", "honorarium_share", "status", "scheduled_end_date")),
        list(Extension.objects.order_by("appointment__post__reference",
                                        "appointment__person__work_email", "number")
             .values_list("appointment__post__reference", "number", "old_end_date",
                          "new_end_date", "agreed_on", "bulk_change__on_date")),
    )


def test_the_same_seed_gives_the_same_register():
    generate_small("--seed", "7")
    first = signature()
    generate_small("--seed", "7", "--flush-generated")
    assert signature() == first
    generate_small("--seed", "8", "--flush-generated")
    assert signature() != first


PLAN_DIGEST = """
import datetime, hashlib, django
django.setup()
from devdata.generator import SCALES, plan_register
plan = plan_register(SCALES["small"], seed=1, today=datetime.date(2026, 11, 23))
print(hashlib.sha256(repr(plan).encode()).hexdigest())
"""


def test_the_same_seed_gives_the_same_plan_in_every_process():
    """Python salts the hashes of strings per process, so a plan must never depend on the order
    of a set of strings (or of choices, which are strings)."""
    digests = {
        subprocess.run(
            [sys.executable, "-c", PLAN_DIGEST], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent.parent,
            env=os.environ | {"PYTHONHASHSEED": str(salt),
                              "DJANGO_SETTINGS_MODULE": "ccpl.test_settings"},
        ).stdout
        for salt in (1, 2, 3)
    }
    assert len(digests) == 1


def test_it_refuses_to_write_a_second_register(output):
    with pytest.raises(CommandError, match="already"):
        generate_small("--seed", "4")
    assert Appointment.objects.count() == SMALL.appointments


def test_flushing_removes_the_generated_register_and_its_history_only():
    own = AppointmentFactory()
    generate_small("--seed", "5")
    Vacancy.objects.create(post=Post.objects.filter(reference__startswith="GEN").first())
    out = io.StringIO()
    call_command("generate_data", "--flush-only", stdout=out)
    assert "Removed" in out.getvalue()
    assert not generator.generated_systems().exists()
    assert list(Appointment.objects.all()) == [own]
    assert list(Person.objects.all()) == [own.person]
    assert not BulkChange.objects.exists()
    assert not Vacancy.objects.exists()
    for model in HISTORY_MODELS:
        assert not model.history.filter(history_user__email=generator.GENERATOR_EMAIL).exists()
    assert Post.history.filter(id=own.post_id).exists()


def test_every_board_has_met_and_leaders_have_declared(output):
    boards = Body.objects.filter(system__in=generator.generated_systems(), kind="board")
    assert boards.exists()
    for board in boards:
        assert board.meetings.count() == 6, board
        assert hasattr(board, "quorum_rule")
    assert Attendance.objects.filter(voting=True).exists()
    assert set(Attendance.objects.values_list("status", flat=True)) >= {"present", "apologies"}
    in_post = Person.objects.filter(
        pk__in=Appointment.objects.in_force(TODAY).values("person"))
    declared = DeclarationReturn.objects.filter(person__in=in_post).values("person").distinct()
    assert 0.7 * in_post.count() <= declared.count() < in_post.count()
    assert Meeting.history.filter(history_user__email=generator.GENERATOR_EMAIL).count() == \
        Meeting.objects.count()


def test_flushing_removes_meetings_and_declarations_too():
    generate_small("--seed", "5")
    assert DeclarationReturn.objects.exists() and Meeting.objects.exists()
    call_command("generate_data", "--flush-only", stdout=io.StringIO())
    assert not DeclarationReturn.objects.exists()
    assert not Meeting.objects.exists() and not Attendance.objects.exists()
    assert not Attendance.history.exists() and not Meeting.history.exists()


def test_every_board_post_holder_has_fppt_records(output):
    holders = Appointment.objects.in_force(TODAY).filter(post__role_type__is_board_level=True)
    assert holders.exists()
    assessed = set(FitAndProperAssessment.objects.values_list("appointment", flat=True))
    assert set(holders.values_list("pk", flat=True)) <= assessed
    assert FitAndProperAssessment.objects.filter(signed_off_at__isnull=False).exists()
    assert FitAndProperAssessment.objects.open().exists()
    reported = {line[:34].strip() for line in output.splitlines() if line.startswith("  ")}
    assert {"FPPT assessments", "fit and proper person checks"} <= reported


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_it_leaves_the_visibility_map_set_as_autovacuum_would():
    """A bulk load leaves no page marked all-visible until a vacuum, and without that no query
    can answer from an index alone; the generator vacuums, so benchmarks measure the register
    as it stands in production, not the hour after a load."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("VACUUM and the visibility map are PostgreSQL's")
    generate_small("--seed", "3")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible, relpages FROM pg_class "
                       "WHERE relname = 'appointments_appointment'")
        all_visible, pages = cursor.fetchone()
    assert pages > 0 and all_visible == pages
