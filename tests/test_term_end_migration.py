"""The contracts migrations carry every existing appointment over with no loss (issue 12): a
copy of the demo register is taken back to the schema before contracts, and migrated forward
again. Every row of every table of the register is still there with the same values; the
contract of each appointment is a fixed term; each active term whose last day has passed is now
"term ended", with a history record saying why; nothing else changed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from devdata import demo

BEFORE = [("appointments", "0005_recruitment")]
AFTER = [("appointments", "0008_term_ended_state")]
# What the schema before contracts holds of an appointment.
KEPT = ["id", "post_id", "person_id", "start_date", "end_date", "wte", "honorarium_share",
        "agreement_parties", "scheduled_end_date", "end_reason", "end_recorded_at",
        "end_recorded_by_id", "created_at"]
REASON = "Term ended: recorded when the end of a term became a state"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets[0]).apps


def _snapshot(apps):
    tables = {model._meta.label: model.objects.count()
              for model in apps.get_app_config("appointments").get_models()}
    appointments = {row["id"]: row for row in
                    apps.get_model("appointments", "Appointment").objects.values()}
    return tables, appointments


@pytest.mark.django_db(transaction=True)
def test_a_copy_of_the_demo_migrates_forward_with_nothing_lost():
    demo.load()
    old_apps = _migrate(BEFORE)
    before_tables, before = _snapshot(old_apps)
    today = timezone.localdate()
    ended = {pk for pk, row in before.items()
             if row["status"] == "active" and row["end_date"] < today}
    assert ended, "the demo has terms whose last day has passed"
    assert before_tables["appointments.Appointment"] == len(before) > 100

    new_apps = _migrate(AFTER)
    after_tables, after = _snapshot(new_apps)
    history = new_apps.get_model("appointments", "HistoricalAppointment")
    recorded = set(history.objects.filter(history_change_reason=REASON)
                   .values_list("id", flat=True))
    assert recorded == ended
    assert after_tables.pop("appointments.HistoricalAppointment") == \
        before_tables.pop("appointments.HistoricalAppointment") + len(ended)
    assert {label: n for label, n in after_tables.items()
            if label in before_tables} == before_tables
    assert set(after) == set(before)
    for pk, row in after.items():
        assert {f: row[f] for f in KEPT} == {f: before[pk][f] for f in KEPT}, pk
        assert row["contract_type"] == "fixed_term" and row["covers_id"] is None
        assert row["home_organisation_id"] is None
        assert row["status"] == ("term_ended" if pk in ended else before[pk]["status"])
