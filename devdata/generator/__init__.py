"""A synthetic register for benchmarks, valid by construction and written in batches with history.

National scale: 42 integrated care systems, about 1,500 partner organisations, 20,000 posts in
"responsible to" chains under each system's and each trust's CMO and CNO, about 45,000 people and
60,000 appointments: past, current and future terms, co-leads sharing job-share posts (WTE and
honorarium pools split between them), about a third of terms extended (some twice, some in a
system-wide bulk extension), some ended early, some ceased when their posts were disestablished.

The whole register is planned in memory first (``plan``), from one seeded random generator, so
the same seed and the same day give the same register. It is then written (``write``) with
``bulk_create_with_history``, as the generator user, so every row has its history.

Everything generated can be found again: systems whose short name starts with ``GEN``, the
organisations, budgets and posts in them, and people with ``@generated.example`` addresses.
``flush()`` removes all of that, history included. The scales and the lists the register is made
from are in ``catalogue``.
"""

import time
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from appointments.models import Appointment
from ccpl.models import User

from .catalogue import GENERATOR_EMAIL, SCALES, Scale
from .flush import flush, generated_systems
from .plan import plan_register
from .write import write

__all__ = ["GENERATOR_EMAIL", "SCALES", "AlreadyGenerated", "Scale", "flush", "generate",
           "generated_systems", "plan_register", "summarise"]


class AlreadyGenerated(Exception):
    pass


def generate(scale_name, *, seed=1, today=None, flush_first=False, say=print):
    """Plan and write a register of the given scale. Returns counts per model, and a summary.

    Refuses (AlreadyGenerated) when a generated register is already in the database, unless
    ``flush_first``; other data in the database is left alone."""
    scale = SCALES[scale_name]
    today = today or timezone.localdate()
    _make_room(flush_first=flush_first, say=say)
    started = time.perf_counter()
    plan = plan_register(scale, seed=seed, today=today)
    say(f"Planned in {time.perf_counter() - started:.1f} s; writing.")
    with transaction.atomic():
        by, _ = User.objects.get_or_create(
            email=GENERATOR_EMAIL, defaults={"full_name": "Data generator", "is_active": False})
        written = write(plan, by)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh statistics, or the planner guesses badly; and, as autovacuum would do on
            # its own some time after a bulk load, the visibility map, without which no query
            # reads an index alone (a system's appointments: 7 ms from the table, 1.5 from the
            # index). VACUUM cannot run in a transaction (a test's): ANALYZE alone there.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return written.counts | {
        "summary": summarise(plan) | {"history rows": written.history_rows}}


def _make_room(*, flush_first, say):
    """Remove an earlier generated register first, or refuse to write a second one."""
    started = time.perf_counter()
    if flush_first:
        if flush(say=say):
            say(f"Removed the earlier generated data in {time.perf_counter() - started:.1f} s.")
    elif generated_systems().exists():
        raise AlreadyGenerated(
            "Generated data is already in this database; use --flush-generated to replace it.")


def summarise(plan):
    """What kind of terms the plan holds, as of its day."""
    today, appointments = plan.today, plan.appointments
    Status = Appointment.Status
    return {
        "today": today,
        "past": sum(a.end is not None and a.end < today for a in appointments),
        "current": sum(a.start <= today and (a.end is None or today <= a.end)
                       for a in appointments),
        "permanent": sum(a.end is None for a in appointments),
        "future": sum(a.start > today for a in appointments),
        "co-leads": sum(n for n in Counter((a.post, a.term) for a in appointments).values()
                        if n > 1),
        "extended": sum(bool(a.extensions) for a in appointments),
        "extended twice": sum(len(a.extensions) > 1 for a in appointments),
        "extended in bulk": sum(any(e.wave is not None for e in a.extensions)
                                for a in appointments),
        "ended": sum(a.status == Status.ENDED for a in appointments),
        "ceased": sum(a.status == Status.CEASED for a in appointments),
    }
