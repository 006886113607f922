"""Every step of the annual leadership survey, each one function that checks who may do it and
when, writes, and queues what it makes due, in one transaction."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from ccpl import access
from ccpl.models import Notification
from ccpl.notifications import Due, record_and_send
from ccpl.private_links import hash_token, token_fits

from .models import SCALE_VALUES, Answer, Invitation, Question, Response, Survey

Kind = Notification.Kind
INVITATION_KINDS = (Kind.SURVEY_INVITATION, Kind.SURVEY_CHASER)
MAX_COMMENT = 4000


def may_manage(user, system):
    """HR and the CMO/CNO office of the system open and close its survey; administrators too."""
    if access.is_admin(user):
        return True
    return access.is_signed_in(user) and (
        system.pk in access.granted_systems(user, access.EDIT)
        or system.pk in access.granted_systems(user, access.APPROVE))


def leaders_in_post(system, on):
    """[(person, e-mail)] of everyone holding an appointment in the system on the day, once each
    however many posts they hold; their work e-mail, or their account's. Those with neither are
    returned apart, to be named to whoever opened the survey."""
    held = (Appointment.objects.in_force(on).filter(post__system=system)
            .select_related("person__user").order_by("person__family_name", "person_id"))
    reachable, unreachable, seen = [], [], set()
    for appointment in held:
        person = appointment.person
        if person.pk in seen:
            continue
        seen.add(person.pk)
        email = person.work_email or (person.user.email if person.user_id else "")
        (reachable if email else unreachable).append((person, email))
    return reachable, [person for person, _ in unreachable]


@transaction.atomic
def open_survey(*, framework, year, closes_on, by, today=None):
    """Open the year's survey of the framework's system: one question per priority, and a
    private link to every leader in post, sent through the ledger. Returns the survey and the
    leaders who could not be invited (no e-mail address)."""
    today = today or timezone.localdate()
    system = framework.system
    if not may_manage(by, system):
        raise PermissionDenied("Only HR and the CMO/CNO office of the system open its survey.")
    errors = {}
    priorities = list(framework.priorities.order_by("number"))
    if not priorities:
        errors["framework"] = "The framework has no priorities to ask about: add them first."
    if year is None or not (2000 <= year <= today.year + 1):
        errors["year"] = f"Enter a year from 2000 to {today.year + 1}."
    elif Survey.objects.filter(framework=framework, year=year).exists():
        errors["year"] = f"The {year} survey of this framework has already been opened."
    if closes_on is None or closes_on <= today:
        errors["closes_on"] = "The closing date must be in the future."
    leaders, unreachable = leaders_in_post(system, today)
    if not errors and not leaders:
        errors["framework"] = "Nobody with an e-mail address holds a post in the system today."
    if errors:
        raise ValidationError(errors)
    survey = Survey(system=system, framework=framework, year=year, opened_on=today,
                    opened_by=by, closes_on=closes_on)
    survey._history_user = by
    survey.save()
    Question.objects.bulk_create([Question(survey=survey, priority=p, number=p.number,
                                           text=p.title) for p in priorities])
    invitations = Invitation.objects.bulk_create(
        [Invitation(survey=survey, person=person, email=email) for person, email in leaders])
    context = invitation_context(survey)
    record_and_send(Due(Kind.SURVEY_INVITATION, "invitation", invitation, invitation.email, None,
                        context) for invitation in invitations)
    return survey, unreachable


def invitation_context(survey, chaser=False):
    """The e-mail's context, the same for every leader invited (so written once): nothing in it
    names the leader, and the link is made when each e-mail is sent."""
    subject = (f"Reminder: the {survey.year} leadership survey closes on "
               f"{survey.closes_on:%-d %B}" if chaser else
               f"The {survey.year} clinical and care leadership survey: how are we doing?")
    return {"survey_year": survey.year, "system": str(survey.system),
            "framework": str(survey.framework), "closes_on": survey.closes_on,
            "subject": subject, "template": "survey_chaser" if chaser else "survey_invitation"}


def invitation_email_with_link(invitation_id, kind):
    """The context of a leader's invitation or reminder with a private link made now: only its
    hash is kept, and the last link stops working. None when no link may be made any more (they
    have answered, or the survey is closed). The ledger asks for it by the row's type."""
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("survey__system", "survey__framework")
                  .filter(pk=invitation_id, status=Invitation.Status.INVITED).first())
    if invitation is None or not invitation.survey.is_open:
        return None
    token = invitation.new_token()
    invitation.save(update_fields=["token_hash"])
    context = invitation_context(invitation.survey, chaser=kind == Kind.SURVEY_CHASER)
    return {**context,
            "private_link": settings.SITE_URL + reverse("surveys:answer", args=[token])}


def invitation_for_token(token):
    """The invitation a link belongs to, if it still works: not answered, the survey open."""
    if not token_fits(token):
        return None
    invitation = (Invitation.objects.select_related("survey__system", "survey__framework")
                  .filter(token_hash=hash_token(token)).first())
    if invitation is None or not invitation.takes_answers:
        return None
    return invitation


def answers_errors(survey, answers):
    """Every priority rated on the scale; comments of a sensible length."""
    questions = set(survey.questions.values_list("pk", flat=True))
    for question, (value, comment) in answers.items():
        if question not in questions or value not in SCALE_VALUES:
            return ["That answer is not on the survey's scale."]
        if len(comment) > MAX_COMMENT:
            return [f"Keep each comment under {MAX_COMMENT} characters."]
    missing = questions - set(answers)
    if missing:
        return [f"Rate every priority before you send your answers: {len(missing)} still to "
                "rate."]
    return []


@transaction.atomic
def answer(*, invitation, answers):
    """The leader's answers, once: {question id: (value, comment)}. What is stored keeps only
    the survey: no time, no link to the invitation, and random keys for the order."""
    invitation = (Invitation.objects.select_for_update(of=("self",)).select_related("survey")
                  .get(pk=invitation.pk))
    if not invitation.takes_answers:
        raise ValidationError("This link no longer works: the survey has closed, or it has "
                              "been answered.")
    problems = answers_errors(invitation.survey, answers)
    if problems:
        raise ValidationError(problems)
    response = Response.objects.create(survey=invitation.survey)
    Answer.objects.bulk_create([
        Answer(response=response, question_id=question, value=value, comment=comment.strip())
        for question, (value, comment) in answers.items()])
    invitation.status = Invitation.Status.ANSWERED
    invitation.token_hash = ""
    invitation.save(update_fields=["status", "token_hash"])
    return invitation


@transaction.atomic
def close_survey(*, survey, by=None):
    """No more answers: the links stop working and the results are published. ``by`` is None
    for the daily sweep, on the day after the closing date."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if by is not None and not may_manage(by, survey.system):
        raise PermissionDenied("Only HR and the CMO/CNO office of the system close its survey.")
    if survey.is_closed:
        raise ValidationError("This survey is already closed.")
    survey.closed_at = timezone.now()
    survey.closed_by = by
    survey._history_user = by
    survey.save(update_fields=["closed_at", "closed_by"])
    survey.invitations.outstanding().update(token_hash="")
    return survey


def close_due_surveys(today):
    """Close every survey whose closing date has passed (run by the daily sweep)."""
    due = list(Survey.objects.filter(closed_at__isnull=True, closes_on__lt=today))
    for survey in due:
        close_survey(survey=survey)
    return len(due)


def progress(survey):
    """Leaders invited and answers received: two numbers, never who answered."""
    return {"invited": survey.invitations.count(), "answered": survey.responses.count()}
