"""What the reminder sweep needs from appraisals: who has been appraised, which raters to chase,
and which cycles have reached their closing date."""

from django.db.models import Q

from ccpl.models import Notification


def appraised_since(since_by_appointment):
    """Ids of the appointments with an appraisal outcome recorded on or after the given date
    (one date per appointment id)."""
    from .models import Cycle

    if not since_by_appointment:
        return set()
    earliest = min(since_by_appointment.values())
    rows = (Cycle.objects.filter(appointment_id__in=list(since_by_appointment),
                                 meeting_on__gte=earliest)
            .exclude(outcome="").values_list("appointment_id", "meeting_on"))
    return {pk for pk, meeting_on in rows if meeting_on >= since_by_appointment[pk]}


def rater_chasers(today):
    """Every ``chase_every_days`` after the invitation, to raters who have not answered, until
    the cycle closes. Each chaser carries the rater's own link and nothing about anyone else."""
    from ccpl.reminders import Due

    from .models import Cycle, Rater
    from .services import rater_context

    raters = (Rater.objects.filter(status=Rater.Status.INVITED,
                                   cycle__stage=Cycle.Stage.COLLECTING,
                                   cycle__closes_on__gte=today)
              .filter(~Q(invited_at=None))
              .select_related("cycle__appointment__person", "cycle__appointment__post")
              .order_by("pk"))
    for rater in raters.iterator(chunk_size=2000):
        days = (today - rater.invited_at.date()).days
        every = rater.cycle.chase_every_days or 7
        if days >= every:
            yield Due(Notification.Kind.RATER_CHASER, f"chase-{days // every}", rater,
                      rater.email, None, rater_context(rater, chaser=True))


def close_due_cycles(today):
    from .services import close_due_cycles as close

    return close(today)


OPEN_AHEAD_DAYS = 60


def open_due_cycles(today):
    """Open a cycle automatically two months before the anniversary of a term's start, for
    leaders with an account who have not had one in the last ten months."""
    import datetime

    from dateutil.relativedelta import relativedelta

    from appointments.models import Appointment

    from .models import Cycle
    from .services import open_cycles

    recent = Cycle.objects.filter(opened_on__gt=today - relativedelta(months=10)).values(
        "appointment")
    candidates = (Appointment.objects.filter(status=Appointment.Status.ACTIVE,
                                             person__user__isnull=False,
                                             start_date__lte=today - relativedelta(months=10),
                                             end_date__gt=today)
                  .exclude(pk__in=recent).only("pk", "start_date", "end_date"))
    due = []
    for appointment in candidates.iterator(chunk_size=2000):
        years = relativedelta(today, appointment.start_date).years + 1
        anniversary = appointment.start_date + relativedelta(years=years)
        if anniversary <= appointment.end_date and \
                (anniversary - today).days <= OPEN_AHEAD_DAYS:
            due.append(appointment.pk)
    if not due:
        return 0
    opened, _ = open_cycles(appointments=Appointment.objects.filter(pk__in=due), by=None,
                            today=today, closes_on=today + datetime.timedelta(days=42))
    return len(opened)
