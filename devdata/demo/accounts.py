"""One demo account per kind of user, for the embedded demo only. Staff accounts are enrolled
in TOTP with a published demo secret; `manage.py totp_code EMAIL` prints the current code."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from guardian.shortcuts import assign_perm

from appointments.models import Appointment
from appointments.services import grant_appointment_view
from appraisals import services
from appraisals.models import Rater, Statement
from ccpl import access
from ccpl.models import User
from roles.models import System

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

ACCOUNTS = [
    ("admin@example.org", "Alex Administrator", "administrator"),
    ("hr@example.org", "Harriet Resourcing", "hr"),
    ("cmo@example.org", "Colm Office", "cmo"),
    ("leader@example.org", None, "leader"),
    ("appraiser@example.org", None, "appraiser"),
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
        if kind == "cmo":
            assign_perm(f"roles.{access.VIEW}", user, ncl)
            assign_perm(f"roles.{access.APPROVE}", user, ncl)
        if person is not None:
            person.user = user
            person._history_user = builder.loader
            person.save(update_fields=["user"])
        if kind == "appraiser":
            grant_appointment_view(users_and_appointments=[(user, leader_appointment)])
        if kind in ("administrator", "hr", "cmo") and not Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        lines.append(f"{email}: created ({kind})")
    if any(line.endswith("(leader)") for line in lines):
        _demo_cycle(builder, leader_appointment)
        lines.append("a 360° appraisal in progress for leader@example.org")
    return lines


RATERS = [("manager", 1), ("peer", 3), ("team", 3), ("partner", 3)]


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
    n = 0
    for group, count in RATERS:
        for _ in range(count):
            n += 1
            services.nominate(cycle=cycle, group=group, name=f"Demo rater {n}",
                              email=f"demo.rater{n}@example.org", by=appointment.person.user)
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
