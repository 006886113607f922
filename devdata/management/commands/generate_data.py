import datetime
import resource
import time

from django.core.management.base import BaseCommand, CommandError

from devdata import generator


class Command(BaseCommand):
    help = (
        "Write a synthetic register for benchmarks, valid by construction, with history. "
        "--scale national: 42 systems, ~1,500 organisations, 20,000 posts, ~45,000 people, "
        "60,000 appointments with extensions, bulk changes, early ends and cessations "
        "(regional: 7 systems; small: a few hundred rows, for tests). The same --seed and "
        "--today give the same register. Generated rows are marked: systems whose short name "
        "starts with GEN, and everything in them; people at @generated.example. Other data in "
        "the database is left alone, but the command refuses to run when generated data is "
        "already there: --flush-generated removes it first (its history included), "
        "--flush-only just removes it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(generator.SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, default=None,
            help="The day the register is as of (YYYY-MM-DD); default: today.")
        flush = parser.add_mutually_exclusive_group()
        flush.add_argument("--flush-generated", action="store_true",
                           help="Remove earlier generated data (and its history) first.")
        flush.add_argument("--flush-only", action="store_true",
                           help="Remove earlier generated data (and its history), then stop.")

    def handle(self, *args, scale, seed, today, flush_generated, flush_only, **options):
        started = time.perf_counter()
        say = self.stdout.write
        if flush_only:
            if not generator.flush(say=say):
                say("No generated data to remove.")
            self._done(started)
            return
        try:
            counts = generator.generate(scale, seed=seed, today=today,
                                       flush_first=flush_generated, say=say)
        except generator.AlreadyGenerated as error:
            raise CommandError(str(error)) from error
        summary = counts.pop("summary")
        say(f"Generated the {scale} register (seed {seed}, as of {summary['today']:%-d %B %Y}):")
        for name, count in counts.items():
            say(f"  {name:32} {count:>9,}")
        say(f"Appointments: {summary['past']:,} past, {summary['current']:,} current "
            f"({summary['permanent']:,} permanent), "
            f"{summary['future']:,} future; {summary['co-leads']:,} co-lead appointments; "
            f"{summary['extended']:,} extended ({summary['extended twice']:,} more than once, "
            f"{summary['extended in bulk']:,} in a bulk change); "
            f"{summary['ended']:,} ended early, {summary['ceased']:,} ceased.")
        say(f"History: {summary['history rows']:,} rows, all by {generator.GENERATOR_EMAIL}.")
        self._done(started)

    def _done(self, started):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s; "
                          f"peak memory {peak:,.0f} MB.")
