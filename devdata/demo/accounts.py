"""One demo account per kind of user, for the embedded demo only. Staff accounts are enrolled
in TOTP with a published demo secret; `manage.py totp_code EMAIL` prints the current code."""

import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from guardian.shortcuts import assign_perm

from appointments.models import Appointment, ApprovalRoute
from appointments.services import add_deciders, grant_appointment_view
from appraisals import services
from appraisals.models import Cycle, Rater, Statement
from ccpl import access
from ccpl.models import Notification, User
from governance.models import Body, Seat
from roles.models import System

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

ACCOUNTS = [
    ("admin@example.org", "Alex Administrator", "administrator"),
    ("hr@example.org", "Harriet Resourcing", "hr"),
    ("cmo@example.org", "Colm Office", "cmo"),
    ("cno@example.org", "Nuala Office", "cno"),
    ("leader@example.org", None, "leader"),
    ("appraiser@example.org", None, "appraiser"),
    ("chair@example.org", None, "chair"),
]


def load(builder):
    ncl = System.objects.get(short_name="NCL")
    leader_appointment = (
        Appointment.objects.filter(post__system=ncl, post__title__startswith="Clinical Lead — ",
                                   status=Appointment.Status.ACTIVE, end_date__gt=builder.today)
        .exclude(post__title__endswith="(previous model)")
        .select_related("person", "post__responsible_to").order_by("end_date").first()
    )
    appraiser_appointment = Appointment.objects.in_force(builder.today).filter(
        post=leader_appointment.post.responsible_to).select_related("person").first()
    lines = []
    for email, full_name, kind in ACCOUNTS:
        person = {"leader": leader_appointment.person,
                  "appraiser": appraiser_appointment.person}.get(kind)
        if kind == "chair":
            user, created = _named_chair(builder, email)
        else:
            user, created = User.objects.get_or_create(
                email=email, defaults={"full_name": full_name or person.full_name})
        if not created:
            lines.append(f"{email}: already there")
            continue
        user.set_password(settings.CCPL_DEMO_PASSWORD)
        user.is_staff = user.is_superuser = kind == "administrator"
        user.save()
        EmailAddress.objects.get_or_create(user=user, email=email,
                                           defaults={"primary": True, "verified": True})
        if kind == "hr":
            assign_perm(f"roles.{access.EDIT}", user, ncl)
        if kind in ("cmo", "cno"):
            assign_perm(f"roles.{access.VIEW}", user, ncl)
            assign_perm(f"roles.{access.APPROVE}", user, ncl)
            _decides_for(builder, ncl, user, kind)
        if person is not None:
            person.user = user
            person._history_user = builder.loader
            person.save(update_fields=["user"])
        if kind == "appraiser":
            grant_appointment_view(users_and_appointments=[(user, leader_appointment)])
        if kind in ("administrator", "hr", "cmo", "cno") and not Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        lines.append(f"{email}: created ({kind})")
    if any(line.endswith("(leader)") for line in lines):
        _last_years_cycle(builder, leader_appointment)
        _demo_cycle(builder, leader_appointment)
        lines.append("last year's 360° appraisal, signed off, and this year's in progress for "
                     "leader@example.org")
    return lines


def _named_chair(builder, email):
    """The non-executive chair of the Wye Valley trust's board (seed 004), who holds no post:
    their seat is held by name and linked to their account, so they read the board and sign
    off its members' Fit and Proper Person Test. The account the demo recorded last year's
    sign-off under (devdata/demo/fppt.py) becomes the one they sign in with."""
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing, False
    seat = (Seat.objects.filter(body__system__short_name="HW", body__kind=Body.Kind.BOARD,
                                role=Seat.Role.CHAIR, post__isnull=True)
            .select_related("holder_account").order_by("pk").first())
    user = seat.holder_account or User(full_name=seat.holder_name)
    user.email, user.is_active = email, True
    user.save()
    if seat.holder_account_id != user.pk:
        seat.holder_account = user
        builder._save(seat)
    return user, True


def _decides_for(builder, ncl, user, kind):
    """The demo's Chief Medical and Nursing Officers each decide for their own party of North
    Central London's joint routes (devdata/demo/approvals.py)."""
    party = {"cmo": "Chief Medical Officer", "cno": "Chief Nursing Officer"}[kind]
    for route in ApprovalRoute.objects.filter(system=ncl, parties__name=party):
        add_deciders(system=ncl, subject=route.subject, party=party, users=[user],
                     by=builder.loader)


RATERS = [("manager", 1), ("peer", 3), ("team", 3), ("partner", 3)]


def _nominate_all(cycle, leader, prefix):
    n = 0
    for group, count in RATERS:
        for _ in range(count):
            n += 1
            services.nominate(cycle=cycle, group=group, name=f"Demo rater {n}",
                              email=f"{prefix}{n}@example.org", by=leader)


def _at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _last_notification():
    return Notification.objects.aggregate(last=Max("pk"))["last"] or 0


NOT_SENT = "Demo data: about a step dated in the past, so never sent."


class _Dated:
    """Dates what each step of a past cycle writes on the day it happened: the time the step
    stamps on the cycle and the rows it adds to the cycle's history (with who took the step).
    The services stamp the time they run; these rows are put back to the day. The e-mails a
    step puts in the ledger are dated that day too, and cancelled, not sent: nobody is e-mailed
    now about last year, and the ledger does not claim an e-mail went that never did."""

    def __init__(self):
        self.cycle = None
        self.history = 0
        self.notifications = _last_notification()

    def step(self, day, run, *, by, stamp=None):
        result = run()
        self.cycle = self.cycle or result
        when, stamped = _at(day), {stamp: _at(day)} if stamp else {}
        Cycle.objects.filter(pk=self.cycle.pk).update(**stamped)
        written = self.cycle.history.filter(history_id__gt=self.history)
        self.history = max(written.values_list("history_id", flat=True), default=self.history)
        written.update(history_date=when, history_user=by, **stamped)
        Notification.objects.filter(pk__gt=self.notifications).update(
            created_at=when, status=Notification.Status.CANCELLED, last_error=NOT_SENT)
        self.notifications = _last_notification()
        return result


LAST_YEARS_COMMENTS = [
    ("Listens before deciding", ""), ("Made the winter plan make sense to everyone", ""),
    ("", "Could delegate more"), ("Brings data to every discussion", ""),
    ("", "Sometimes hard to reach between meetings"), ("Champions the nurses' voice", ""),
    ("Follows through on what is agreed", "Could share the reasons for decisions earlier"),
    ("Steady in a crisis", ""), ("", ""),
]


def _last_years_cycle(builder, appointment):
    """The leader's 360° appraisal of last year, from opening to sign-off, taken through the
    services by its people (nine of ten raters answered, the report released, a satisfactory
    outcome signed off by both), each step dated on the day it happened, so the leader has a
    report to read beside this year's appraisal."""
    appointment.person.refresh_from_db()
    leader = appointment.person.user
    appraiser = services.default_appraiser(appointment)
    opened = builder.today - relativedelta(years=1)
    closes = opened + Cycle.DEFAULT_LENGTH
    dated = _Dated()
    # Open until tomorrow while its raters answer (a link works only until the closing date);
    # the closing date it had goes back on the cycle and its history once they have.
    cycle = dated.step(opened, lambda: services.open_cycle(
        appointment=appointment, by=builder.loader, appraiser=appraiser, today=opened,
        closes_on=builder.today + datetime.timedelta(days=1)), by=builder.loader)
    statements = list(Statement.objects.filter(dimension__version=cycle.template_version))
    r = builder.random
    dated.step(opened + datetime.timedelta(days=3), lambda: services.save_self_assessment(
        cycle=cycle, answers={s.pk: r.choice([2, 3, 3]) for s in statements},
        keep_doing="Getting the borough teams talking to each other",
        do_differently="Saying no to some of the meetings I am asked to chair", submit=True,
        by=leader), by=leader, stamp="self_submitted_at")
    _nominate_all(cycle, leader, "demo.rater.last.year")
    dated.step(opened + datetime.timedelta(days=5),
               lambda: services.submit_nominations(cycle=cycle, by=leader), by=leader,
               stamp="nominations_submitted_at")
    invited = opened + datetime.timedelta(days=7)
    dated.step(invited, lambda: services.approve_nominations(cycle=cycle, by=appraiser),
               by=appraiser, stamp="nominations_approved_at")
    cycle.raters.update(invited_at=_at(invited))
    raters = cycle.raters.order_by("pk")[:len(LAST_YEARS_COMMENTS)]  # one did not answer
    for rater, (keep_doing, do_differently) in zip(raters, LAST_YEARS_COMMENTS, strict=True):
        services.save_rater_answers(
            rater=rater, answers={s.pk: r.choice([None, 2, 3, 3, 4]) for s in statements},
            keep_doing=keep_doing, do_differently=do_differently, submit=True)
    Cycle.objects.filter(pk=cycle.pk).update(closes_on=closes)
    cycle.history.update(closes_on=closes)
    # Closed by the daily sweep, the day after its closing date.
    dated.step(closes + datetime.timedelta(days=1), lambda: services.close_cycle(cycle=cycle),
               by=None, stamp="closed_at")
    released = closes + datetime.timedelta(days=8)
    dated.step(released, lambda: services.release_report(cycle=cycle, by=appraiser),
               by=appraiser, stamp="released_at")
    meeting = released + datetime.timedelta(days=14)
    dated.step(meeting, lambda: services.record_outcome(
        cycle=cycle, meeting_on=meeting, outcome=Cycle.Outcome.SATISFACTORY,
        objectives="Lead the borough's winter plan with the primary care networks.\n"
                   "Bring one more partner organisation onto the place board.",
        development_actions="Coaching on delegation; shadow a trust board.", by=appraiser),
        by=appraiser, stamp="outcome_recorded_at")
    dated.step(meeting + datetime.timedelta(days=2),
               lambda: services.sign_off(cycle=cycle, by=leader), by=leader,
               stamp="leader_signed_at")
    dated.step(meeting + datetime.timedelta(days=3),
               lambda: services.sign_off(cycle=cycle, by=appraiser), by=appraiser,
               stamp="appraiser_signed_at")
    return cycle


def _demo_cycle(builder, appointment):
    """The leader's 360° appraisal, halfway: self-assessment done, raters invited, six of ten
    have answered."""
    appointment.person.refresh_from_db()
    appraiser = services.default_appraiser(appointment)
    cycle = services.open_cycle(appointment=appointment, by=builder.loader, appraiser=appraiser)
    statements = list(Statement.objects.filter(dimension__version=cycle.template_version))
    r = builder.random
    services.save_self_assessment(
        cycle=cycle, answers={s.pk: r.choice([3, 3, 4]) for s in statements},
        keep_doing="Building trust with the borough teams", submit=True,
        by=appointment.person.user)
    _nominate_all(cycle, appointment.person.user, "demo.rater")
    services.submit_nominations(cycle=cycle, by=appointment.person.user)
    services.approve_nominations(cycle=cycle, by=appraiser)
    comments = ["Always makes time for the team", "Chairs meetings so everyone is heard",
                "Could share decisions earlier", "Clear about priorities",
                "Sometimes takes on too much", "Brings partners into the room"]
    for rater, comment in zip(Rater.objects.filter(cycle=cycle).order_by("pk")[:6], comments,
                              strict=False):
        services.save_rater_answers(
            rater=rater, answers={s.pk: r.choice([None, 2, 2, 3, 3, 4]) for s in statements},
            keep_doing=comment, submit=True)
