"""What the daily sweep finds about the leadership survey: a reminder, with a fresh private link,
to each leader who has not answered, every ``chase_every_days`` until the survey closes; each
reminder once (its milestone is the number of the reminder). Registered with the ledger in
``SurveysConfig.ready()``."""

from django.utils import timezone

from ccpl.models import Notification
from ccpl.notifications import Due

from .models import Invitation
from .services import invitation_context


def survey_chasers(today, digest_users):
    outstanding = (Invitation.objects.outstanding()
                   .filter(survey__closed_at__isnull=True, survey__closes_on__gte=today)
                   .select_related("survey__system", "survey__framework").order_by("pk"))
    contexts = {}
    for invitation in outstanding.iterator(chunk_size=2000):
        survey = invitation.survey
        days = (today - timezone.localdate(invitation.invited_at)).days
        every = survey.chase_every_days or 7
        if days < every:
            continue
        if survey.pk not in contexts:  # one context per survey: its e-mail is written once
            contexts[survey.pk] = invitation_context(survey, chaser=True)
        yield Due(Notification.Kind.SURVEY_CHASER, f"chase-{days // every}", invitation,
                  invitation.email, None, contexts[survey.pk])

