"""People's records, their own equality data, and inviting users to the register."""

from django.contrib.auth.models import Permission
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm

from ccpl import access
from ccpl.services import create_account
from roles.models import Organisation, System, edits_an_organisation

from .. import duties
from ..models import Appointment, AppointmentUserObjectPermission, EqualityProfile, Person


def save_person(*, person, by):
    """Save a new or changed person (validated by ``full_clean``), with ``by`` in the history.
    HR change the people they can edit; a leader changes their own contact details only, which
    the form limits them to."""
    if person.pk and not (Person.objects.editable_by(by).filter(pk=person.pk).exists()
                          or person.user_id == by.pk):
        raise PermissionDenied("You cannot change this person's record.")
    if not person.pk and not edits_an_organisation(by):
        raise PermissionDenied("You cannot add people to the register.")
    person.full_clean()
    refused = duties.person_refused(person)
    if refused:
        raise ValidationError({NON_FIELD_ERRORS: refused})
    person._history_user = by
    person.save()
    return person


def save_equality(*, profile, by):
    """A leader declares (or changes) their own equality data; nobody declares it for them."""
    if profile.person.user_id != by.pk:
        raise PermissionDenied("Only the leader declares their own equality data.")
    profile.full_clean()
    profile.save()
    return profile


def delete_equality(*, person, by):
    """The leader withdraws their equality data: it is deleted, not hidden."""
    if person.user_id != by.pk:
        raise PermissionDenied("Only the leader withdraws their own equality data.")
    EqualityProfile.objects.filter(person=person).delete()


class Invitation:
    """Who is invited, and what the invitation grants."""

    LEADER, HR, CMO, APPRAISER = "leader", "hr", "cmo", "appraiser"
    KINDS = [(LEADER, "A leader, to see their own appointment"),
             (HR, "An HR colleague, to edit the register of an organisation"),
             (CMO, "The CMO or CNO office of a system, to see it all and agree extensions"),
             (APPRAISER, "An appraiser, to see one leader's appointment")]


def may_invite(user):
    """Administrators and HR invite users."""
    return access.is_admin(user) or edits_an_organisation(user)


@transaction.atomic
def invite(*, email, full_name, kind, by, person=None, organisation=None, system=None,
           appointment=None):
    """Create an account for a leader (linked to their record), an HR colleague (editing an
    organisation), a CMO/CNO office (seeing a system and agreeing its extensions) or an appraiser
    (seeing one appointment), and e-mail them a link to choose a password. Each target must be
    one ``by`` may grant; the account and its grants are made together or not at all."""
    if not may_invite(by):
        raise PermissionDenied("You cannot invite users.")
    grants, field, target = _grants(kind, by, person=person, organisation=organisation,
                                    system=system, appointment=appointment)
    if target is None:
        raise ValidationError({field: _MISSING[kind]})
    if kind == Invitation.LEADER and person.user_id:
        raise ValidationError({"person": f"{person} already has an account."})
    user = create_account(email=email, full_name=full_name, by=by)
    for codename, obj in grants:
        assign_perm(f"roles.{codename}", user, obj)
    access.forget_grants(user)
    if kind == Invitation.LEADER:
        person.user = user
        person._history_user = by
        person.save(update_fields=["user"])
    if kind == Invitation.APPRAISER:
        grant_appointment_view(users_and_appointments=[(user, appointment)])
    return user


_MISSING = {Invitation.LEADER: "Select the leader's record.",
            Invitation.HR: "Select the organisation.",
            Invitation.CMO: "Select the system.",
            Invitation.APPRAISER: "Select the appointment."}


def _grants(kind, by, *, person, organisation, system, appointment):
    """(grants, the form field naming the target, the target if ``by`` may grant it)."""
    match kind:
        case Invitation.LEADER:
            allowed = person and Person.objects.editable_by(by).filter(pk=person.pk).exists()
            return [], "person", person if allowed else None
        case Invitation.HR:
            allowed = organisation and Organisation.objects.editable_by(by).filter(
                pk=organisation.pk).exists()
            return ([(access.EDIT, organisation)], "organisation",
                    organisation if allowed else None)
        case Invitation.CMO:
            allowed = system and system_grantable_by(by).filter(pk=system.pk).exists()
            return ([(access.VIEW, system), (access.APPROVE, system)], "system",
                    system if allowed else None)
        case Invitation.APPRAISER:
            allowed = appointment and Appointment.objects.editable_by(by).filter(
                pk=appointment.pk).exists()
            return [], "appointment", appointment if allowed else None
    raise ValidationError({"kind": "Select who you are inviting."})


def system_grantable_by(user):
    """Systems whose CMO/CNO office the user may invite: administrators any, a CMO/CNO office
    their own."""
    if access.is_admin(user):
        return System.objects.all()
    return System.objects.filter(pk__in=access.granted_systems(user, access.APPROVE))


def grant_appointment_view(*, users_and_appointments):
    """Let each user see one appointment (an appraiser, the leader they appraise), in one
    query however many."""
    permission = Permission.objects.get(codename="view_appointment",
                                        content_type__app_label="appointments")
    AppointmentUserObjectPermission.objects.bulk_create(
        [AppointmentUserObjectPermission(user=user, permission=permission,
                                         content_object=appointment)
         for user, appointment in users_and_appointments],
        ignore_conflicts=True, batch_size=1000)
    for user, _ in users_and_appointments:
        access.forget_grants(user)
