from django.conf import settings
from django.core.management.base import BaseCommand

from devdata import demo


class Command(BaseCommand):
    help = ("Load the reference data in fixtures/ and the demo register: five leadership worlds "
            "with fictional people, and (in the embedded demo only, DEBUG=1) one account per "
            "kind of user. Safe to run again.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stdout.write("DEBUG is off: loading the register without demo accounts.")
        demo.load(stdout=self.stdout, with_accounts=settings.DEBUG)
