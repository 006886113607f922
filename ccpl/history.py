"""Change history as people read it: who changed what, when, from what to what."""

from django.db import models

HIDDEN = {"id", "end_recorded_at", "created_at", "calendar_token"}


def with_changes(history, limit=20):
    """The latest ``limit`` history records, each with ``.changes``: "End date: 31 Mar 2027 →
    30 Sep 2027". One query, whatever the number of records."""
    records = list(history.select_related("history_user")[: limit + 1])
    fields = _fields(records[0].instance._meta) if records else {}
    for newer, older in zip(records, [*records[1:], None], strict=True):
        newer.changes = [] if older is None else [
            _describe(newer, fields[c.field], c)
            for c in newer.diff_against(older, included_fields=list(fields)).changes
        ]
    return records[:limit]


def _fields(meta):
    return {
        f.name: str(f.verbose_name).capitalize()
        for f in meta.get_fields()
        if getattr(f, "concrete", False) and not f.many_to_many and f.name not in HIDDEN
        and not isinstance(f, models.AutoField)
    }


def _describe(record, label, change):
    if record.instance._meta.get_field(change.field).is_relation:
        return f"{label} changed"
    return f"{label}: {_show(record, change.field, change.old)} → " \
           f"{_show(record, change.field, change.new)}"


def _show(record, name, value):
    field = record.instance._meta.get_field(name)
    if value in (None, ""):
        return "none"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.DateField) and hasattr(value, "strftime"):
        return value.strftime("%-d %b %Y")
    return value
