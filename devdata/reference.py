"""The reference data every register draws on, read from the top-level ``fixtures/`` folder: the
role-type catalogue, the ten system-leadership functions and the statutory duties.

Rows are matched by name. A row that is already there is left as it is (an administrator may
have changed a role type's defaults since), a missing one is created, so loading twice changes
nothing. ``fixtures/README.md`` says why the files are YAML read here rather than ``loaddata``.
"""

from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from roles.models import Function, RoleType, StatutoryDuty

FIXTURES = Path(settings.BASE_DIR) / "fixtures"

# In this order: the demo worlds and the generator name role types, functions and duties.
FILES = [
    ("role_types.yaml", RoleType),
    ("functions.yaml", Function),
    ("statutory_duties.yaml", StatutoryDuty),
]


def rows(file_name):
    """The rows of one fixture file, as written there."""
    with open(FIXTURES / file_name, encoding="utf-8") as file:
        return yaml.safe_load(file)


@transaction.atomic
def load():
    """Create the reference rows that are missing. Returns how many were created, per kind
    (the model's plural name), in file order."""
    created = {}
    for file_name, model in FILES:
        existing = set(model.objects.values_list("name", flat=True))
        count = 0
        for row in rows(file_name):
            if row["name"] in existing:
                continue
            _create(model, row)
            count += 1
        created[str(model._meta.verbose_name_plural)] = count
    return created


def _create(model, row):
    """One row, its values read by the model's own fields: a misspelt field name or a value out
    of range stops the load with the model's message instead of writing a bad row."""
    obj = model(**{name: model._meta.get_field(name).to_python(value)
                   for name, value in row.items()})
    obj.full_clean()
    obj.save()
    return obj
