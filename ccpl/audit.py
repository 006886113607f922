"""Audit events: what the change history cannot show but an auditor must see (docs/adr/0005).

History answers "who changed this row". An audit event answers "who did this": who took register
data out of the register (a CSV or Excel export, a PDF), who read a 360° report, who was shown
someone's equality data, who agreed or refused an approval and who overrode one. Events are
appended by ``record`` and never changed (``AuditEvent`` refuses it).

What is recorded, and what is not:
- Every export and PDF of register data a signed-in user downloads: posts, appointments,
  investment by function, an action plan (CSV and PDF), a 360° report PDF — with the filters
  that chose the rows.
- Every reading of a 360° report page: who read which cycle's report. Never anything about its
  raters (docs/adr/0008): the event names the cycle, not a response, answer or comment.
- Individual equality data shown to an administrator (the person's page in the admin).
- Approvals and overrides: written by the services that make them, in their own transaction.
- Not recorded: the published register and its diversity summary (CSV and PDF), which are
  public and hold nothing the public may not read; the import template, which holds no data;
  the calendar feed, which is the user's own diary, fetched every hour by their calendar; a
  leader reading their own equality answers.
"""

import re
from urllib.parse import urlencode

from .exports import XLSX_TYPE
from .models import AuditEvent

Action = AuditEvent.Action
DETAIL_LENGTH = 1000
# The parameters that choose how a list is shown or sent, not which rows it holds.
NOT_A_FILTER = {"export", "page"}
FILENAME = re.compile(r'filename="([^"]*)"')
FORMATS = {"text/csv": "CSV", XLSX_TYPE: "Excel", "application/pdf": "PDF"}


def record(*, action, by, obj=None, detail=""):
    """Append one audit event: ``by`` did ``action`` (an ``AuditEvent.Action``) to ``obj``.

    ``obj`` is a saved record (the cycle whose report was read, the request agreed), a model
    class when the event is about many records of a kind (an export of posts), or None. ``by`` is
    the acting user; None or an anonymous user is recorded as nobody. ``detail`` says in words
    what the action and object do not: the filters of an export, the evidence of an agreement,
    the reason for an override. Never put in it what would identify a 360° rater.

    Call it inside the service's transaction, so an approval that fails leaves no event; from a
    view, once the download it records has been built. Returns the event."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action: {action!r}")
    if by is not None and not by.is_authenticated:
        by = None
    object_type, object_id, object_repr = _describe(obj)
    return AuditEvent.objects.create(
        action=action, by=by, object_type=object_type, object_id=object_id,
        object_repr=object_repr[:200], detail=detail[:DETAIL_LENGTH])


def downloaded(request, response, *, obj):
    """Record that the signed-in user downloaded ``response`` (an export or a PDF built from
    ``obj``, or from the records of the model ``obj``), and return it. The detail names the file
    and the filters that chose its rows."""
    content_type = response["Content-Type"].split(";")[0]
    action = Action.PDF_DOWNLOADED if content_type == "application/pdf" else Action.EXPORTED
    record(action=action, by=request.user, obj=obj, detail=_download_detail(request, response))
    return response


def _download_detail(request, response):
    name = FILENAME.search(response.get("Content-Disposition", ""))
    kind = FORMATS.get(response["Content-Type"].split(";")[0], "file")
    detail = f"{kind}: {name.group(1)}" if name else kind
    # Percent-encoded as in the address, so whatever was typed is kept and nothing in it (a
    # control character, say) reaches the table raw.
    filters = urlencode([(key, value) for key, values in request.GET.lists()
                         if key not in NOT_A_FILTER for value in values])
    return f"{detail}; filters: {filters}" if filters else f"{detail}; no filters"


def _describe(obj):
    if obj is None:
        return "", None, ""
    if isinstance(obj, type):
        return obj._meta.label_lower, None, str(obj._meta.verbose_name_plural).capitalize()
    if obj.pk is None:
        raise ValueError("An audit event is about a saved record.")
    return obj._meta.label_lower, obj.pk, str(obj)
