from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ccpl import services


class Command(BaseCommand):
    help = ("Delete the record of API requests made with access tokens more than "
            "ACCESS_TOKEN_USE_DAYS days ago (Celery beat does it daily).")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help=f"keep this many days instead (default "
                                 f"{settings.ACCESS_TOKEN_USE_DAYS})")

    def handle(self, *args, days, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        deleted = services.forget_old_token_uses(days=days)
        self.stdout.write(f"Deleted {deleted} uses of access tokens.")
