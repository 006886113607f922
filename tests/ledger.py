"""What the reminder ledger holds, as tests read it."""

from ccpl.models import Notification


def sent(kind=None):
    """(milestone, recipient) of every notification sent, of one kind or all, sorted."""
    rows = Notification.objects.filter(status="sent")
    if kind:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("milestone", "recipient_email"))
