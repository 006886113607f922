"""The leadership survey in the browser: the list of a system's surveys, opening one, its page
(progress as numbers), closing it, the results by priority, and the leader's private page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from ccpl.middleware import mfa_exempt
from ccpl.private_links import private
from governance.models import Framework

from . import results, services
from .forms import AnswerForm, OpenSurveyForm
from .models import Survey

SURVEYS = ("Leadership surveys", "/surveys/")


def _survey(request, pk, queryset=None):
    queryset = queryset if queryset is not None else Survey.objects.visible_to(request.user)
    return get_object_or_404(queryset.select_related("system", "framework"), pk=pk)


@login_required
@require_safe
def survey_list(request):
    surveys = Survey.objects.visible_to(request.user).select_related("system", "framework")
    frameworks = Framework.objects.editable_by(request.user).select_related("system")
    return render(request, "surveys/survey_list.html", {
        "surveys": surveys, "frameworks": frameworks})


@login_required
def survey_create(request, pk):
    framework = get_object_or_404(Framework.objects.editable_by(request.user)
                                  .select_related("system"), pk=pk)
    form = OpenSurveyForm(request.POST or None, initial={
        "year": timezone.localdate().year,
        "closes_on": timezone.localdate() + Survey.DEFAULT_LENGTH})
    if request.method == "POST" and form.is_valid():
        try:
            survey, unreachable = services.open_survey(framework=framework, by=request.user,
                                                       **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error, aliases={"framework": None})
        else:
            invited = survey.invitations.count()
            messages.success(request, f"The survey is open: {invited} leader"
                                      f"{'' if invited == 1 else 's'} have been sent a private "
                                      "link.")
            if unreachable:
                messages.warning(request, "Not invited, for want of an e-mail address: "
                                 + ", ".join(str(person) for person in unreachable) + ".")
            return redirect(survey)
    return render(request, "surveys/survey_form.html", {
        "form": form, "title": "Open the annual leadership survey", "button": "Open the survey",
        "caption": f"{framework} — {framework.system}",
        "intro": "Every leader in post in the system today gets a private link by e-mail, to "
                 "rate each priority of the framework. Their answers are anonymous.",
        "breadcrumbs": [SURVEYS],
    })


@login_required
@require_safe
def survey_detail(request, pk):
    survey = _survey(request, pk)
    return render(request, "surveys/survey_detail.html", {
        "survey": survey, "progress": services.progress(survey),
        "may_close": not survey.is_closed and services.may_manage(request.user, survey.system),
        "breadcrumbs": [SURVEYS],
    })


@login_required
@require_POST
def survey_close(request, pk):
    survey = _survey(request, pk, Survey.objects.managed_by(request.user))
    try:
        services.close_survey(survey=survey, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "The survey is closed and its results are published.")
    return redirect(survey)


@login_required
@require_safe
def results_page(request, pk):
    survey = _survey(request, pk, Survey.objects.visible_to(request.user).closed())
    return render(request, "surveys/results.html", {
        "survey": survey, "results": results.build(survey),
        "breadcrumbs": [SURVEYS, (str(survey), survey.get_absolute_url())],
    })


# --- The leader's private page ---------------------------------------------------------------

# No CSRF check here, as on the 360° rater's page: the page is authorised by the secret in its
# address, not by a cookie a forged request could ride on, and with Referrer-Policy: no-referrer
# browsers send "Origin: null", which Django's CSRF check would refuse.
@csrf_exempt
@mfa_exempt
@never_cache
def answer_page(request, token):
    """What a leader sees from their e-mail: no account, no sign-in, this survey only, once."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return private(render(request, "surveys/link_not_working.html", status=404))
    survey = invitation.survey
    form = AnswerForm(request.POST or None, questions=survey.questions.all())
    if request.method == "POST" and form.is_valid():
        try:
            services.answer(invitation=invitation, answers=form.answers())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return private(render(request, "surveys/answered.html", {"survey": survey}))
    return private(render(request, "surveys/answer.html", {"form": form, "survey": survey}))
