"""What a notification's e-mail is written from, kept on its ledger row until it is sent.

A finder's context names records (an appointment, a person, a cycle), dates and numbers. The
ledger keeps it as JSON: a record by its type and primary key, a date as ISO text, everything
else as it is. When the row is sent, ``thaw`` reads the records back, as they stand then, and the
e-mail is written from them (decision record 0015). Nothing here renders anything: values stay
values, whatever text they hold.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.apps import apps
from django.db import models
from django.utils.functional import Promise

__all__ = ["freeze", "thaw"]

_MODEL, _DATE, _DATETIME, _DECIMAL = "@model", "@date", "@datetime", "@decimal"


def freeze(context):
    """``context`` as JSON-ready values. A value of a type it does not know is a TypeError,
    raised where the row is recorded, not a surprise in the worker."""
    return {key: _freeze(value, key) for key, value in context.items()}


def _freeze(value, where):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        if value.pk is None:
            raise TypeError(f"{where}: an unsaved {type(value).__name__} cannot be kept")
        return {_MODEL: value._meta.label_lower, "pk": value.pk}
    if isinstance(value, datetime.datetime):  # before date: a datetime is a date too
        return {_DATETIME: value.isoformat()}
    if isinstance(value, datetime.date):
        return {_DATE: value.isoformat()}
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if isinstance(value, Promise):  # a lazily translated string
        return str(value)
    if isinstance(value, list | tuple):
        return [_freeze(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        if any(not isinstance(key, str) or key.startswith("@") for key in value):
            raise TypeError(f"{where}: a dict kept in a context needs text keys not "
                            "starting with @")
        return {key: _freeze(item, f"{where}.{key}") for key, item in value.items()}
    raise TypeError(f"{where}: a {type(value).__name__} cannot be kept in a notification's "
                    "context")


def thaw(frozen):
    """The context ``freeze`` kept, with each record read back (one query per type of record).
    None when a record it names no longer exists: there is nothing left to write about."""
    wanted = defaultdict(set)
    _records_in(frozen, wanted)
    found = {}
    for label, pks in wanted.items():
        model = apps.get_model(label)
        rows = model._base_manager.in_bulk(pks)
        if len(rows) != len(pks):
            return None
        found[label] = rows
    return {key: _thaw(value, found) for key, value in frozen.items()}


def _records_in(value, wanted):
    if isinstance(value, list):
        for item in value:
            _records_in(item, wanted)
    elif isinstance(value, dict):
        if _MODEL in value:
            wanted[value[_MODEL]].add(value["pk"])
        else:
            for item in value.values():
                _records_in(item, wanted)


def _thaw(value, found):
    if isinstance(value, list):
        return [_thaw(item, found) for item in value]
    if not isinstance(value, dict):
        return value
    if _MODEL in value:
        return found[value[_MODEL]][value["pk"]]
    if _DATE in value:
        return datetime.date.fromisoformat(value[_DATE])
    if _DATETIME in value:
        return datetime.datetime.fromisoformat(value[_DATETIME])
    if _DECIMAL in value:
        return Decimal(value[_DECIMAL])
    return {key: _thaw(item, found) for key, item in value.items()}
