"""Django admin as an HR administrator uses it: every page of every registered model opens, change
lists at a constant cost, and the state changes going through the same forms and services as the
browser."""

import datetime
import inspect
import io
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import lookup_field
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape
from simple_history.admin import SimpleHistoryAdmin

from appointments import services
from appointments.models import (
    ApplicantCount,
    Appointment,
    CommitmentConsent,
    EqualityProfile,
    Extension,
    HonoraryContract,
    TermEndDecision,
    Vacancy,
)
from appraisals import services as appraisal_services
from appraisals.models import (
    Answer,
    Cycle,
    QuestionnaireTemplate,
    Rater,
    Redaction,
    Response,
    Statement,
)
from ccpl import audit
from ccpl import services as ccpl_services
from ccpl.models import AccessTokenUse, AuditEvent, Notification
from governance.models import (
    Action,
    ActionUpdate,
    BoardMemberReference,
    Body,
    DeclarationReturn,
    FitAndProperAssessment,
    FitAndProperCheck,
    FitnessDecision,
    Framework,
    Interest,
    Meeting,
    Priority,
    QuorumRule,
    Seat,
)
from roles.models import Criterion, Function, JobDescription, Post, StatutoryDuty
from surveys import services as survey_services
from surveys.models import Survey

from .factories import (
    AppointmentFactory,
    BudgetFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    SystemFactory,
    UserFactory,
)

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _met(body, by=None):
    QuorumRule.objects.create(body=body, executives=1)
    meeting = Meeting.objects.create(body=body, held_on=D(2026, 10, 5), title="October",
                                     recorded_by=by)
    meeting.attendances.create(member="A Member", seat_title="Chair", voting=True,
                               status="present")


def _declared(person, by=None):
    made = DeclarationReturn.objects.create(person=person, made_on=D(2026, 4, 1),
                                            reason="annual", recorded_by=by)
    Interest.objects.create(declaration_return=made, kind="financial", description="Adviser",
                            organisation="Acme Ltd", from_date=D(2025, 1, 1),
                            first_declared_on=D(2025, 1, 1))


def _assessed(appointment, by=None):
    by = by or UserFactory()
    assessment = FitAndProperAssessment.objects.create(
        appointment=appointment, kind="annual", due_on=D(2026, 4, 1),
        attested_at=datetime.datetime(2026, 4, 2, tzinfo=datetime.UTC), attested_by=by)
    FitAndProperCheck.objects.create(assessment=assessment, item="dbs", outcome="satisfactory",
                                     checked_on=D(2026, 3, 1), checked_by=by)
    FitnessDecision.objects.create(assessment=assessment, outcome="under_review", reason="New",
                                   by=by, by_authority="HR")
    BoardMemberReference.objects.create(
        appointment=appointment, requested_by="Another NHS Trust", requested_on=D(2026, 4, 1),
        sent_to="Head of HR", roles_and_dates="Board member", misconduct="None",
        investigations="None", disciplinary="None", concerns="None", sent_on=D(2026, 4, 2),
        sent_by=by)


def _rows(n):
    """n of everything, with the relations a change list shows."""
    system = SystemFactory()
    budget = BudgetFactory(system=system, wte_envelope=Decimal("10"))
    for _ in range(n):
        org = OrganisationFactory(systems=[system])
        post = PostFactory(host_organisation=org, system=system, budget=budget)
        appointment = AppointmentFactory(post=post, person=PersonFactory(substantive_employer=org),
                                         start_date=D(2025, 1, 1), end_date=D(2027, 12, 31))
        Extension.objects.create(appointment=appointment, number=1, old_end_date=D(2026, 12, 31),
                                 new_end_date=D(2027, 12, 31), reason="r", agreed_by="a",
                                 agreed_on=D(2026, 1, 1))
        EqualityProfile.objects.create(person=appointment.person, sex="female")
        body = Body.objects.create(system=system, name=f"Board {post.pk}", kind="board")
        Seat.objects.create(body=body, post=post)
        _declared(appointment.person)
        _met(body)
        _assessed(appointment)
        framework = Framework.objects.create(system=system, name=f"Framework {post.pk}",
                                             overseen_by=body)
        priority = Priority.objects.create(framework=framework, number=1, title="Voice")
        action = Action.objects.create(priority=priority, reference="1.1", text="Publish",
                                       term="short", due_on=D(2027, 1, 1))
        action.owner_posts.add(post)
        action.owner_bodies.add(body)
        ActionUpdate.objects.create(action=action, status="on_track", note="ok")
        Survey.objects.create(system=system, framework=framework, year=2026,
                              opened_on=D(2026, 10, 1), closes_on=D(2026, 10, 29))
        vacancy = Vacancy.objects.create(post=post, appointment=appointment)
        ApplicantCount.objects.create(vacancy=vacancy, profession="nurse", applied=3)
        HonoraryContract.objects.create(person=appointment.person, partnership=system,
                                        start_date=D(2025, 1, 1), purpose="Honorary status")
        CommitmentConsent.objects.create(
            appointment=appointment, given_by=UserFactory(), reason="r", peak_wte=Decimal("1.2"),
            peak_on=D(2025, 1, 1), ceiling_wte=Decimal("1"), recorded_by=UserFactory())
        _token_used(UserFactory())


def _token_used(user):
    token, _ = ccpl_services.create_access_token(name="BI extract", scope="read", days=30,
                                                 second_factor=True, by=user)
    AccessTokenUse.objects.create(token=token, method="GET", path="/api/v1/posts/",
                                  ip_address="127.0.0.1")


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


CHANGELISTS = [
    f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    for model in admin.site._registry
]


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_every_change_list_runs_a_constant_number_of_queries(admin_client, url_name):
    _rows(2)
    url = reverse(url_name)
    _count_queries(admin_client, url)  # the first request of a session also checks MFA
    few = _count_queries(admin_client, url)
    _rows(5)
    assert _count_queries(admin_client, url) == few


# --- Every page of every registered model ---------------------------------------------------
# Iterates the admin registry, so a model registered tomorrow is opened too; _world() must then
# hold one of it, or the test says what to add.

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _world(by):
    """One of everything the admin shows, shaped like the demo: a system with a partner trust, a
    post responsible to the CMO's with its job description, budget, function and duty; a leader
    extended once by hand and once in bulk whose post is then re-advertised; a 360° cycle with a
    rater's answer and a redacted comment; a board with a seat and an action plan; a reminder in
    the ledger."""
    system = SystemFactory(name="Test Valley Integrated Care System", short_name="TVICS")
    trust = OrganisationFactory(name="Test Valley Hospitals NHS Trust", systems=[system])
    budget = BudgetFactory(system=system, name="Clinical leads", wte_envelope=Decimal("2"))
    cmo_post = PostFactory(title="Chief Medical Officer", host_organisation=trust, system=system)
    post = PostFactory(title="Clinical Lead for Stroke", host_organisation=trust, system=system,
                       budget=budget, responsible_to=cmo_post, honorarium=Decimal("12000"))
    post.functions.add(Function.objects.get_or_create(name="Quality and safety")[0])
    post.statutory_duties.add(StatutoryDuty.objects.get_or_create(name="Caldicott Guardian")[0])
    job = JobDescription.objects.create(post=post, summary="Leads stroke care across the trust.",
                                        reviewed_on=D(2026, 1, 5), created_by=by)
    Criterion.objects.create(job_description=job, category=Criterion.Category.EXPERIENCE,
                             text="Senior clinical leadership in a trust")

    appraiser = UserFactory()
    AppointmentFactory(post=cmo_post, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31),
                       person=PersonFactory(user=appraiser, substantive_employer=trust))
    leader = PersonFactory(user=UserFactory(), substantive_employer=trust)
    EqualityProfile.objects.create(person=leader, sex=EqualityProfile.Sex.FEMALE)
    appointment = AppointmentFactory(post=post, person=leader, start_date=D(2024, 4, 1),
                                     end_date=D(2027, 3, 31))
    services.extend(appointment=appointment, new_end_date=D(2027, 9, 30), reason="Winter cover",
                    agreed_by="Appointee and CMO", agreed_on=D(2026, 11, 2), by=by)
    services.apply_bulk_change(appointments=[appointment], kind="extend", on_date=D(2028, 3, 31),
                               reason="Transition", agreed_by="CMO and CNO",
                               agreed_on=D(2026, 11, 9), by=by)
    decision = services.decide_term_end(appointment=appointment,
                                        outcome=TermEndDecision.Outcome.READVERTISE, by=by)
    ApplicantCount.objects.create(vacancy=decision.vacancy, profession="nurse", applied=4,
                                  shortlisted=2)

    version = QuestionnaireTemplate.objects.order_by("pk").first().current_version()
    cycle = Cycle.objects.create(appointment=appointment, appraiser=appraiser, opened_by=by,
                                 template_version=version, opened_on=D(2026, 11, 2),
                                 closes_on=D(2026, 12, 14), stage=Cycle.Stage.COLLECTING)
    Rater.objects.create(cycle=cycle, group="peer", name="A Colleague",
                         email="colleague@nhs.example", status=Rater.Status.SUBMITTED)
    response = Response.objects.create(cycle=cycle, group="peer", keep_doing="Listens well.",
                                       do_differently="[removed]")
    Answer.objects.create(response=response, value=3, statement=Statement.objects.filter(
        dimension__version=version).first())
    Redaction.objects.create(response=response, field="do_differently", redacted_by=appraiser,
                             original_text="Names a rater.", reason="It identifies a rater.")

    board = Body.objects.create(system=system, name="Test Valley Clinical Board",
                                kind=Body.Kind.BOARD)
    Seat.objects.create(body=board, post=cmo_post, role=Seat.Role.CHAIR)
    framework = Framework.objects.create(system=system, name="Clinical leadership framework",
                                         overseen_by=board)
    priority = Priority.objects.create(framework=framework, number=1, title="Patient voice")
    action = Action.objects.create(priority=priority, reference="1.1", term="short",
                                   text="Publish the register", due_on=D(2027, 1, 1))
    action.owner_posts.add(post, cmo_post)
    ActionUpdate.objects.create(action=action, status="on_track", note="Draft shared", by=by)
    survey_services.open_survey(framework=framework, year=2026, closes_on=D(2026, 12, 21), by=by)
    _declared(leader, by=by)
    _met(board, by=by)
    _assessed(appointment, by=by)

    HonoraryContract.objects.create(person=leader, organisation=trust, start_date=D(2024, 4, 1),
                                    reference="HC-1", purpose="Clinical work at the trust")
    services.appoint(post=PostFactory(host_organisation=trust, system=system,
                                      wte=Decimal("0.8")),
                     person=leader, start_date=D(2026, 12, 1), wte=Decimal("0.8"),
                     consent=services.Consent(by=by, reason="Covers a vacancy for a year"), by=by)

    Notification.objects.get_or_create(
        kind=Notification.Kind.TERM_ENDING, milestone="180@2028-03-31",
        object_type="appointments.appointment", object_id=appointment.pk,
        recipient_email=by.email,
        defaults={"recipient": by, "subject": "A term ends soon", "body_text": "It ends."})
    audit.record(action=AuditEvent.Action.AGREED, by=by, obj=appointment,
                 detail="Agreed at the executive group, minute 14/2026")
    Group.objects.create(name="HR officers")
    EmailAddress.objects.create(user=by, email=by.email, verified=True, primary=True)
    SocialAccount.objects.create(user=by, provider="north", uid="subject-1",
                                 extra_data={"id_token": {"sub": "subject-1"}})
    _token_used(by)


@pytest.fixture
def world(admin_user):
    _world(admin_user)


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _example(model):
    example = model._default_manager.order_by("pk").first()
    assert example is not None, f"_world() holds no {model._meta.label}: add one"
    return example


def _can_add(client, model):
    return client.get(_admin_url(model, "changelist")).context["has_add_permission"]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_admin_page_opens(admin_client, world, model):
    example = _example(model)
    changelist = _admin_url(model, "changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    for term in ("Trust", "²", "99999999999999999999"):
        assert admin_client.get(changelist, {"q": term}).status_code == 200, term
    cl = response.context["cl"]
    for spec in cl.filter_specs:
        for choice in spec.choices(cl):
            url = changelist + choice["query_string"]
            assert admin_client.get(url).status_code == 200, url
    if cl.date_hierarchy:
        day = getattr(example, cl.date_hierarchy)
        for depth in (1, 2, 3):
            parts = dict(list(zip(("year", "month", "day"), (day.year, day.month, day.day),
                                  strict=True))[:depth])
            query = {f"{cl.date_hierarchy}__{part}": value for part, value in parts.items()}
            assert admin_client.get(changelist, query).status_code == 200, query
    assert admin_client.get(_admin_url(model, "change", example.pk)).status_code == 200
    assert admin_client.get(_admin_url(model, "history", example.pk)).status_code == 200
    expected = 200 if response.context["has_add_permission"] else 403
    assert admin_client.get(_admin_url(model, "add")).status_code == expected


def test_every_admin_page_opens_over_the_demo_register(admin_client, settings):
    """The same walk over the demo's five worlds as loaded by `make run`: every registered
    model's change list, add page, and the change page of each of its first few rows."""
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    failures = []
    for model in REGISTERED:
        changelist = admin_client.get(_admin_url(model, "changelist"))
        if changelist.status_code != 200:
            failures.append(f"{model._meta.label} change list: {changelist.status_code}")
            continue
        expected = 200 if changelist.context["has_add_permission"] else 403
        add = admin_client.get(_admin_url(model, "add")).status_code
        if add != expected:
            failures.append(f"{model._meta.label} add: {add}")
        for example in model._default_manager.order_by("pk")[:3]:
            status = admin_client.get(_admin_url(model, "change", example.pk)).status_code
            if status != 200:
                failures.append(f"{model._meta.label} {example.pk}: {status}")
    assert not failures, "\n".join(failures)


def test_every_model_that_keeps_history_shows_it_in_the_admin():
    hidden = [model._meta.label for model in REGISTERED if hasattr(model, "history")
              and not isinstance(admin.site._registry[model], SimpleHistoryAdmin)]
    assert hidden == []


@pytest.mark.parametrize(
    "model", [m for m in REGISTERED if isinstance(admin.site._registry[m], SimpleHistoryAdmin)],
    ids=lambda model: model._meta.label)
def test_every_recorded_version_opens(admin_client, world, model):
    example = _example(model)
    record = example.history.order_by("history_id").first()
    assert record is not None, f"{model._meta.label} {example.pk} has no history"
    url = _admin_url(model, "simple_history", example.pk, record.history_id)
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_add_form_posted_empty_explains_and_writes_nothing(admin_client, world, model):
    if not _can_add(admin_client, model):
        assert admin_client.post(_admin_url(model, "add"), {}).status_code == 403
        return
    before = model._default_manager.count()
    response = admin_client.post(_admin_url(model, "add"), {})
    assert response.status_code == 200
    assert response.context["errors"]
    assert model._default_manager.count() == before


@pytest.mark.parametrize("view", ["add", "change"])
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_form_with_one_field_left_out_explains_or_saves(admin_client, world, model, view):
    """A half-filled object goes through the model's clean() and the admin's displays: each
    field of an existing row (or of a copy of it, on the add form) is left out in turn, and the
    answer is the form with its errors (or, for an optional field, the saved row), never a
    server error."""
    example = _example(model)
    url = _admin_url(model, view, *([example.pk] if view == "change" else []))
    page = admin_client.get(url).context
    if page is None or not page.get("has_change_permission" if view == "change" else
                                     "has_add_permission"):
        pytest.skip("written only through the pages that record who and why")
    form = type(page["adminform"].form)(instance=example)
    management = {}
    for formset in page["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        management |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    for name in form.fields:
        response = admin_client.post(url, {**_form_data(form, without=name), **management})
        assert response.status_code in (200, 302), f"without {name}"
        if response.status_code == 200:
            assert response.context["errors"], f"without {name}"


def _shown_models():
    """Every model the admin shows: the registered ones and those of their inlines."""
    shown = set(REGISTERED)
    for model_admin in admin.site._registry.values():
        shown |= {inline.model for inline in model_admin.inlines}
    return sorted(shown, key=lambda model: model._meta.label)


# What the admin shows as "-" when a readonly field cannot be worked out.
SHOWN_AS_EMPTY = (AttributeError, ValueError, ObjectDoesNotExist)


@pytest.mark.parametrize("model", _shown_models(), ids=lambda model: model._meta.label)
def test_an_unsaved_empty_object_can_be_shown(rf, admin_user, model):
    """The add form shows a new object before any field is set: its name, its properties and
    the admin's readonly fields work it out or come out empty, never a server error."""
    empty = model()
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry.get(model)
    readonly = model_admin.get_readonly_fields(request, None) if model_admin else []
    properties = [name for name, _ in inspect.getmembers(model, _is_property)]
    for name in ["__str__", *properties, *readonly]:
        try:
            if name == "__str__":
                str(empty)
            elif name in properties:
                getattr(empty, name)
            else:
                lookup_field(name, empty, model_admin)
        except SHOWN_AS_EMPTY:
            pass


def _is_property(attribute):
    return isinstance(attribute, property | cached_property)


def _form_data(form, without=None):
    """What a browser sends for ``form`` as it is first shown (less the field ``without``)."""
    data = {}
    for bound in form:
        value, widget = bound.value(), bound.field.widget
        if bound.name == without:
            continue
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value)
            data |= {f"{bound.html_name}{suffix}": "" if part is None else str(part)
                     for suffix, part in zip(widget.widgets_names, parts, strict=True)}
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        elif value is True:
            data[bound.html_name] = "on"
        elif value not in (None, False):
            data[bound.html_name] = str(value)
    return data


def test_appointment_filters_by_term_ending_within(admin_client, north_post):
    soon = AppointmentFactory(post=north_post, start_date=D(2024, 1, 1), end_date=D(2026, 12, 15))
    AppointmentFactory(start_date=D(2024, 1, 1), end_date=D(2027, 12, 15))
    response = admin_client.get(reverse("admin:appointments_appointment_changelist"),
                                {"ending_within": "30"})
    assert list(response.context["cl"].result_list) == [soon]


def test_post_filters_vacant(admin_client, north_post, north_trust):
    filled = PostFactory(host_organisation=north_trust)
    AppointmentFactory(post=filled, start_date=D(2025, 1, 1), end_date=D(2027, 1, 1))
    response = admin_client.get(reverse("admin:roles_post_changelist"), {"status": "vacant"})
    assert list(response.context["cl"].result_list) == [north_post]


def test_the_admin_cannot_make_an_appointment_round_its_approval_route(admin_client,
                                                                        north_post):
    """Appointments are made through the route (a request, an outside agreement, or an
    override with a reason) on the register's pages; the admin's add page is closed."""
    person = PersonFactory()
    url = reverse("admin:appointments_appointment_add")
    assert admin_client.get(url).status_code == 403
    response = admin_client.post(url, {
        "post": north_post.pk, "person": person.pk, "start_date": "2026-04-01",
        "end_date": "2029-03-31", "wte": "0.4", "honorarium_share": "0", "status": "active",
        "contract_type": "fixed_term",
        "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0",
    })
    assert response.status_code == 403
    assert Appointment.objects.count() == 0


# --- Extend, end and bulk change: the browser's forms and services in the admin's pages -------

def _date(name, day, month, year):
    """A date as the shared (NHS date input) forms take it: day, month and year boxes."""
    return {f"{name}_day": str(day), f"{name}_month": str(month), f"{name}_year": str(year)}


def test_the_admin_uses_the_browsers_forms(admin_client, north_appointment):
    pk = north_appointment.pk
    for admin_page, browser_page in (("admin:appointments_appointment_extend",
                                      "appointments:appointment-extend"),
                                     ("admin:appointments_appointment_end",
                                      "appointments:appointment-end")):
        admin_form = admin_client.get(reverse(admin_page, args=[pk])).context["form"]
        browser_form = admin_client.get(reverse(browser_page, args=[pk])).context["form"]
        assert type(admin_form) is type(browser_form)
    admin_form = admin_client.post(reverse("admin:appointments_appointment_changelist"), {
        "action": "bulk_change", "_selected_action": [pk]}).context["form"]
    browser_form = admin_client.get(reverse("appointments:bulk")).context["form"]
    assert type(admin_form) is type(browser_form)


def test_extending_in_the_admin_keeps_the_old_end(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_extend", args=[north_appointment.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {**_date("new_end_date", 30, 9, 2027),
                                       "reason": "Winter cover", "how": "override",
                                       "override_reason": "The CMO office is vacant"})
    assert response.status_code == 302
    extension = north_appointment.extensions.get()
    assert (extension.old_end_date, extension.new_end_date) == (D(2027, 3, 31), D(2027, 9, 30))
    assert extension.history.get().history_user.email == "admin@example.org"
    assert extension.agreed_by.startswith("Administrator's override by")


def test_the_administrator_asking_in_the_admin_waits_for_the_route(admin_client,
                                                                   north_appointment):
    """An administrator is no party to the route: without an override, they ask like HR."""
    url = reverse("admin:appointments_appointment_extend", args=[north_appointment.pk])
    response = admin_client.post(url, {**_date("new_end_date", 30, 9, 2027),
                                       "reason": "Winter cover"})
    assert response.status_code == 302
    assert not north_appointment.extensions.exists()
    assert north_appointment.approval_requests.get().status == "pending"


def test_the_admin_warns_before_extending_without_an_appraisal(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_extend", args=[north_appointment.pk])
    assert "No appraisal has been signed off" in admin_client.get(url).content.decode()


def test_extending_to_an_earlier_date_in_the_admin_is_explained(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_extend", args=[north_appointment.pk])
    response = admin_client.post(url, {**_date("new_end_date", 31, 12, 2026), "reason": "r",
                                       "agreed_by": "a", **_date("agreed_on", 20, 11, 2026)})
    assert response.status_code == 200
    assert "must be after the current end of the term" in response.content.decode()
    assert response.context["form"].errors["new_end_date"]
    assert not north_appointment.extensions.exists()


@pytest.mark.parametrize("data", [
    {},
    {**_date("new_end_date", 31, 2, 2027), "reason": "r", "agreed_by": "a"},
    {**_date("new_end_date", "99999999999999999999", 9, 2027), "reason": "r", "agreed_by": "a"},
    {**_date("new_end_date", 30, 9, 2027), "reason": "   ", "agreed_by": "a",
     **_date("agreed_on", 20, 11, 2026)},
], ids=["empty", "no 31 February", "overflowing day", "blank reason"])
def test_extending_in_the_admin_with_bad_input_explains_and_writes_nothing(
    admin_client, north_appointment, data
):
    url = reverse("admin:appointments_appointment_extend", args=[north_appointment.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="errorlist' in response.content.decode()
    north_appointment.refresh_from_db()
    assert north_appointment.end_date == D(2027, 3, 31)
    assert not Extension.objects.exists()


def test_ceasing_in_the_admin_records_why(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_end", args=[north_appointment.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"how": "cease", **_date("on", 31, 12, 2026),
                                       "reason": "Role not continued"})
    assert response.status_code == 302
    north_appointment.refresh_from_db()
    assert (north_appointment.status, north_appointment.end_reason, north_appointment.end_date) \
        == ("ceased", "Role not continued", D(2026, 12, 31))


def test_ending_early_in_the_admin_records_why(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_end", args=[north_appointment.pk])
    response = admin_client.post(url, {"how": "end", **_date("on", 31, 1, 2027),
                                       "reason": "Resigned"})
    assert response.status_code == 302
    north_appointment.refresh_from_db()
    assert (north_appointment.status, north_appointment.scheduled_end_date) == (
        "ended", D(2027, 3, 31))


def test_ending_after_the_term_in_the_admin_is_explained_and_writes_nothing(
    admin_client, north_appointment
):
    url = reverse("admin:appointments_appointment_end", args=[north_appointment.pk])
    response = admin_client.post(url, {"how": "end", **_date("on", 30, 6, 2027),
                                       "reason": "Resigned"})
    assert response.status_code == 200
    assert "on or before the current end of the term" in response.content.decode()
    north_appointment.refresh_from_db()
    assert (north_appointment.status, north_appointment.end_date) == ("active", D(2027, 3, 31))


def test_end_date_cannot_be_typed_over_in_the_change_form(admin_client, north_appointment):
    url = reverse("admin:appointments_appointment_change", args=[north_appointment.pk])
    response = admin_client.get(url)
    assert 'name="end_date"' not in response.content.decode()
    assert "Extend the term" in response.content.decode()


class TestBulkChangeAction:
    @pytest.fixture
    def leads(self, north_trust):
        return [AppointmentFactory(post=PostFactory(host_organisation=north_trust),
                                   start_date=D(2019, 11, 1), end_date=D(2022, 9, 30))
                for _ in range(3)]

    def _post(self, client, leads, **data):
        return client.post(reverse("admin:appointments_appointment_changelist"), {
            "action": "bulk_change", "_selected_action": [a.pk for a in leads], **data,
        })

    def _change(self, on_date=(31, 10, 2022), reason="Transition", **data):
        return {"kind": "extend", **_date("on_date", *on_date), "reason": reason,
                "agreed_by": "CMO", **_date("agreed_on", 1, 9, 2022), **data}

    def test_it_asks_for_the_change_first(self, admin_client, leads):
        response = self._post(admin_client, leads)
        assert response.status_code == 200
        assert "Preview the changes" in response.content.decode()
        assert not response.context["form"].errors

    def test_preview_shows_each_change_and_writes_nothing(self, admin_client, leads):
        response = self._post(admin_client, leads, **self._change(preview="1"))
        page = response.content.decode()
        assert page.count("31 Oct 2022") == 3
        assert "Confirm and apply" in page
        assert not Extension.objects.exists()

    def test_confirm_applies_to_all(self, admin_client, leads):
        response = self._post(admin_client, leads, **self._change(
            apply="1", how="override", override_reason="Every lead, by the board's decision"))
        assert response.status_code == 302
        assert Appointment.objects.filter(end_date=D(2022, 10, 31)).count() == 3
        assert Extension.objects.filter(bulk_change__isnull=False).count() == 3
        assert {e.approval.how for e in Extension.objects.all()} == {"override"}

    def test_confirm_without_an_override_asks_the_routes(self, admin_client, leads):
        response = self._post(admin_client, leads, **self._change(apply="1"))
        assert response.status_code == 302
        assert not Extension.objects.exists()
        assert TermEndDecision.objects.filter(status="pending").count() == 3

    def test_a_row_that_cannot_change_blocks_confirmation(self, admin_client, leads):
        response = self._post(admin_client, leads, **self._change(on_date=(31, 8, 2022),
                                                                  preview="1"))
        page = response.content.decode()
        assert "must be after the current end of the term" in page
        assert "Confirm and apply" not in page

    @pytest.mark.parametrize("change", [
        {"preview": "1"},
        {"kind": "extend", **_date("on_date", 31, 2, 2022), "apply": "1"},
    ], ids=["empty", "not a date"])
    def test_bad_input_is_explained_on_the_form(self, admin_client, leads, change):
        response = self._post(admin_client, leads, **change)
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not Extension.objects.exists()

    def test_applying_a_change_that_cannot_be_made_writes_nothing(self, admin_client, leads):
        response = self._post(admin_client, leads, **self._change(on_date=(31, 8, 2022),
                                                                  apply="1"))
        assert response.status_code == 200
        assert "must be after the current end of the term" in response.content.decode()
        assert response.context["form"].non_field_errors()
        assert Appointment.objects.filter(end_date=D(2022, 9, 30)).count() == 3
        assert not Extension.objects.exists()


def test_saving_a_post_over_its_budget_warns(admin_client, north, north_trust):
    budget = BudgetFactory(system=north, wte_envelope=Decimal("0.5"))
    post = PostFactory(host_organisation=north_trust, system=north, budget=budget,
                       wte=Decimal("0.4"))
    role_type = post.role_type
    response = admin_client.post(reverse("admin:roles_post_add"), {
        "title": "Second lead", "role_type": role_type.pk, "system": north.pk,
        "host_organisation": north_trust.pk, "spatial_level": "system", "wte": "0.4",
        "budget": budget.pk, "default_term_months": "36", "created_on": "2026-01-01",
        "is_published": "on",
        "appointments-TOTAL_FORMS": "0", "appointments-INITIAL_FORMS": "0",
    }, follow=True)
    assert Post.objects.count() == 2
    assert "is over its envelope of 0.5 WTE" in response.content.decode()


def test_equality_data_is_hidden_from_staff_without_the_permission(client, north_appointment):
    staff = UserFactory(is_staff=True)

    staff.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_person", "change_person"]))
    client.force_login(staff)
    EqualityProfile.objects.create(person=north_appointment.person, sex="female")
    url = reverse("admin:appointments_person_change", args=[north_appointment.person.pk])
    page = client.get(url).content.decode()
    assert "Equality profile" not in page
    assert "ethnic_category" not in page


def test_history_pages_show_who_changed_what(admin_client, north_appointment, admin_user):
    services.extend(appointment=north_appointment, new_end_date=D(2027, 9, 30), reason="r",
                    agreed_by="a", by=admin_user)
    url = reverse("admin:appointments_appointment_history", args=[north_appointment.pk])
    page = admin_client.get(url).content.decode()
    assert admin_user.email in page or escape(str(admin_user)) in page


# --- 360° cycles: history, and the fields locked once a rater has answered ------------------

class TestCycleLockedOnceARaterHasAnswered:
    LOCKED_INPUTS = ['name="appraiser"', 'name="stage"', 'name="anonymity_threshold"']

    @pytest.fixture
    def cycle(self, north_appointment, admin_user):
        version = QuestionnaireTemplate.objects.order_by("pk").first().current_version()
        return Cycle.objects.create(appointment=north_appointment, appraiser=UserFactory(),
                                    opened_by=admin_user, template_version=version,
                                    opened_on=D(2026, 11, 2), closes_on=D(2026, 12, 14),
                                    stage=Cycle.Stage.COLLECTING)

    def _change_page(self, client, cycle):
        return client.get(_admin_url(Cycle, "change", cycle.pk)).content.decode()

    def test_before_any_answer_they_can_be_changed(self, admin_client, cycle):
        page = self._change_page(admin_client, cycle)
        assert all(name in page for name in self.LOCKED_INPUTS)

    def test_the_leaders_self_assessment_does_not_lock_them(self, admin_client, cycle):
        Response.objects.create(cycle=cycle, is_self=True)
        page = self._change_page(admin_client, cycle)
        assert all(name in page for name in self.LOCKED_INPUTS)

    def test_after_a_rater_answers_they_are_shown_read_only(self, admin_client, cycle):
        Response.objects.create(cycle=cycle, group="peer")
        page = self._change_page(admin_client, cycle)
        assert not any(name in page for name in self.LOCKED_INPUTS)
        assert "Raters answering" in page  # the stage is still shown
        assert 'name="closes_on"' in page  # the rest stays editable

    def test_a_crafted_post_changing_them_writes_nothing(self, admin_client, cycle):
        Response.objects.create(cycle=cycle, group="peer")
        url = _admin_url(Cycle, "change", cycle.pk)
        form = type(admin_client.get(url).context["adminform"].form)(instance=cycle)
        other = UserFactory()
        response = admin_client.post(url, {
            **_form_data(form), "raters-TOTAL_FORMS": "0", "raters-INITIAL_FORMS": "0",
            "appraiser": other.pk, "stage": Cycle.Stage.RELEASED, "anonymity_threshold": "1",
        })
        assert response.status_code == 302  # saved, without them
        stored = Cycle.objects.get(pk=cycle.pk)
        assert (stored.appraiser_id, stored.stage, stored.anonymity_threshold) == (
            cycle.appraiser_id, Cycle.Stage.COLLECTING, 3)

    @pytest.mark.parametrize("field, value", [
        ("appraiser_id", None), ("stage", Cycle.Stage.RELEASED), ("anonymity_threshold", 1)])
    def test_the_model_refuses_a_change_to_each_of_them(self, cycle, field, value):
        Response.objects.create(cycle=cycle, group="peer")
        setattr(cycle, field, UserFactory().pk if value is None else value)
        with pytest.raises(ValidationError) as refused:
            cycle.clean()
        assert list(refused.value.message_dict) == [field.removesuffix("_id")]

    def test_the_model_lets_the_rest_change(self, cycle):
        Response.objects.create(cycle=cycle, group="peer")
        cycle.closes_on = D(2026, 12, 21)
        cycle.clean()


class TestCycleHistory:
    def test_a_change_in_the_admin_is_recorded_with_who_made_it(self, admin_client, admin_user,
                                                                north_appointment):
        version = QuestionnaireTemplate.objects.order_by("pk").first().current_version()
        cycle = Cycle.objects.create(appointment=north_appointment, appraiser=UserFactory(),
                                     template_version=version, opened_on=D(2026, 11, 2),
                                     closes_on=D(2026, 12, 14))
        url = _admin_url(Cycle, "change", cycle.pk)
        form = type(admin_client.get(url).context["adminform"].form)(instance=cycle)
        response = admin_client.post(url, {
            **_form_data(form), "raters-TOTAL_FORMS": "0", "raters-INITIAL_FORMS": "0",
            "anonymity_threshold": "5", "closes_on": "2026-12-21",
        })
        assert response.status_code == 302
        latest = cycle.history.latest()
        assert (latest.history_user, latest.anonymity_threshold, latest.closes_on) == (
            admin_user, 5, D(2026, 12, 21))
        assert set(latest.diff_against(latest.prev_record).changed_fields) == {
            "closes_on", "anonymity_threshold"}
        page = admin_client.get(_admin_url(Cycle, "history", cycle.pk)).content.decode()
        assert escape(str(admin_user)) in page

    def test_cycles_opened_one_at_a_time_or_many_at_once_are_recorded(
        self, north_trust, hr_north, django_capture_on_commit_callbacks
    ):
        director = PostFactory(host_organisation=north_trust)
        AppointmentFactory(post=director, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31),
                           person=PersonFactory(user=UserFactory()))
        first, second = (
            AppointmentFactory(post=PostFactory(host_organisation=north_trust,
                                                responsible_to=director),
                               person=PersonFactory(user=UserFactory()))
            for _ in range(2))
        with django_capture_on_commit_callbacks(execute=True):
            one = appraisal_services.open_cycle(appointment=first, by=hr_north)
            many, _ = appraisal_services.open_cycles(
                appointments=Appointment.objects.filter(pk=second.pk), by=hr_north)
        for cycle in (one, *many):
            assert cycle.history.get().history_type == "+"
        assert many[0].history.get().history_user == hr_north


# --- The national register's change lists -----------------------------------------------------

@pytest.mark.parametrize("url_name", ["admin:appointments_appointment_changelist",
                                      "admin:appointments_person_changelist",
                                      "admin:roles_post_changelist"])
def test_the_big_change_lists_count_once_and_never_group_the_whole_table(admin_client,
                                                                         url_name):
    """Over 60,000 appointments a count annotated on every row, or a second count of the whole
    table beside the filtered one, costs a second a page: counts are for the rows shown."""
    _rows(3)
    admin_client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(reverse(url_name)).status_code == 200
    sql = [q["sql"].upper() for q in queries]
    assert not [q for q in sql if "GROUP BY" in q]
    assert len([q for q in sql if "COUNT(" in q]) == 1


def test_the_appointment_list_counts_each_rows_extensions(admin_client, north_appointment):
    services.extend(appointment=north_appointment, new_end_date=D(2028, 3, 31), reason="r",
                    agreed_by="CMO", agreed_on=D(2026, 11, 1), by=UserFactory(is_superuser=True))
    response = admin_client.get(reverse("admin:appointments_appointment_changelist"))
    row = response.context["cl"].result_list[0]
    assert admin.site._registry[Appointment].extension_count(row) == 1


def test_the_appointment_list_offers_no_filter_of_every_organisation(admin_client, north_post,
                                                                     north_trust):
    AppointmentFactory(post=north_post)
    response = admin_client.get(reverse("admin:appointments_appointment_changelist"))
    assert not [f for f in response.context["cl"].filter_specs
                if f.title == "host organisation"]
    found = admin_client.get(reverse("admin:appointments_appointment_changelist"),
                             {"q": "North Acute"})
    assert found.context["cl"].result_count == 1
