"""One demo account per kind of user, for the embedded demo only. Staff accounts are enrolled
in TOTP with a published demo secret; `manage.py totp_code EMAIL` prints the current code."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from guardian.shortcuts import assign_perm

from appointments.models import Appointment
from roles.models import System

from .. import access
from ..models import User

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
            assign_perm("appointments.view_appointment", user, leader_appointment)
        if kind in ("administrator", "hr", "cmo") and not Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        lines.append(f"{email}: created ({kind})")
    return lines
