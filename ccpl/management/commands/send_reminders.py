import datetime

from django.core.management.base import BaseCommand, CommandError

from ccpl import notifications


class Command(BaseCommand):
    help = ("Run the reminder sweep now (the same one Celery beat runs daily): record what is "
            "due in the ledger and send it. Safe to run as often as you like.")
    # The system checks (every URL pattern imported, PDF library included) are for deploying and
    # serving; run daily from cron they doubled the time of a sweep with nothing new to record.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true",
                            help="List what is due without recording or sending anything.")

    def handle(self, *args, today=None, dry_run=False, **options):
        if today:
            try:
                today = datetime.date.fromisoformat(today)
            except ValueError as error:
                raise CommandError(f"--today must be a date like 2026-11-23, not {today!r}.") \
                    from error
        result, dues = notifications.sweep(today=today, dry_run=dry_run)
        if dry_run:
            for due in dues:
                self.stdout.write(f"{due.kind:18} {due.milestone:24} {due.email:40} {due.obj}")
            self.stdout.write(f"{result.due} due; nothing recorded or sent (dry run).")
        else:
            self.stdout.write(f"{result.due} due, {result.recorded} newly recorded, "
                              f"{result.queued} queued for sending.")
