"""The demo register: five worlds drawn from real leadership models, with fictional people.

Seed 002's framework also has two years of its leadership survey (``surveys``).

Each world is loaded once: if its system is already there, it is left alone, so running the
loader again changes nothing. Dates are relative to the day of the first load, so the demo always
has terms ending soon, a term that has just ended with no decision, and vacant posts.
"""

from django.db import transaction

from appointments import services
from devdata import reference

from . import (
    accounts,
    approvals,
    fppt,
    gloucestershire,
    governance,
    khp,
    ncl,
    sel,
    surveys,
    trust_cmo,
)
from .builder import Builder

WORLDS = [khp, ncl, gloucestershire, sel, trust_cmo]


def load(stdout=None, with_accounts=False):
    """Load everything not loaded yet. Returns the names of the worlds loaded this time."""
    say = stdout.write if stdout else (lambda text: None)
    loaded = []
    with transaction.atomic():
        builder = Builder()
        say(_reference_line(reference.load()))
        for world in WORLDS:
            if builder.world_exists(world.SHORT_NAME):
                say(f"{world.NAME}: already loaded")
                continue
            world.load(builder)
            loaded.append(world.NAME)
            say(f"{world.NAME}: loaded")
        governance.load(builder)
        approvals.load(builder)
        surveys.load(builder)
        fppt.load(builder)
        # A demo loaded on an earlier day catches up, as the daily sweep would have.
        services.end_lapsed_terms(builder.today)
        if with_accounts:
            for line in accounts.load(builder):
                say(line)
    return loaded


def _reference_line(created):
    if not any(created.values()):
        return "Reference data: already loaded"
    return "Reference data: " + ", ".join(f"{count} {kind}" for kind, count in created.items()
                                          if count) + " added"
