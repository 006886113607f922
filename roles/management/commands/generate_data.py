import time

from django.core.management.base import BaseCommand, CommandError

from roles import generate


class Command(BaseCommand):
    help = ("Write a synthetic register for benchmarks. --scale national: 42 systems, ~1,500 "
            "organisations, 20,000 posts, 60,000 appointments with extensions. Refuses to run "
            "twice on the same database.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(generate.SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, scale, seed, **options):
        started = time.perf_counter()
        try:
            generate.generate(scale, seed=seed, say=self.stdout.write)
        except generate.AlreadyGenerated as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
