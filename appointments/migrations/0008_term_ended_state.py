"""Term end becomes a state: every active term whose last day has passed is moved to "term
ended", as the daily sweep will do from now on, with a history record that says why (no actor:
the change is the register's, not a person's). Nothing else changes: dates, decisions and
extensions stay as they were."""

from django.db import migrations
from django.utils import timezone

REASON = "Term ended: recorded when the end of a term became a state"
BATCH = 2000


def record_ended_terms(apps, schema_editor):
    Appointment = apps.get_model("appointments", "Appointment")
    HistoricalAppointment = apps.get_model("appointments", "HistoricalAppointment")
    today, now = timezone.localdate(), timezone.now()
    fields = [f.attname for f in Appointment._meta.concrete_fields]
    ended = Appointment.objects.filter(status="active", end_date__lt=today).order_by("pk")
    ids = list(ended.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = Appointment.objects.filter(pk__in=ids[start:start + BATCH])
        HistoricalAppointment.objects.bulk_create([
            HistoricalAppointment(**{**{name: getattr(a, name) for name in fields},
                                     "status": "term_ended"},
                                  history_date=now, history_type="~",
                                  history_change_reason=REASON, history_user=None)
            for a in chunk
        ])
        chunk.update(status="term_ended")


def reopen_ended_terms(apps, schema_editor):
    Appointment = apps.get_model("appointments", "Appointment")
    HistoricalAppointment = apps.get_model("appointments", "HistoricalAppointment")
    HistoricalAppointment.objects.filter(history_change_reason=REASON).delete()
    Appointment.objects.filter(status="term_ended").update(status="active")


class Migration(migrations.Migration):

    dependencies = [
        ("appointments", "0007_contracts"),
    ]

    operations = [
        migrations.RunPython(record_ended_terms, reopen_ended_terms),
    ]
