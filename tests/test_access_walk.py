"""Walk every URL of the app as every kind of user, against objects inside and outside their
reach, and check the answer. A new URL that is not described here fails the test, so no view can
be left out because someone forgot to list it."""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from appointments import services
from appointments.models import Appointment, HonoraryContract, TermEndDecision, Vacancy
from appraisals.models import Rater, Response
from appraisals.services import open_cycle
from ccpl import access
from ccpl.models import AuditEvent
from governance.models import (
    Action,
    Attendance,
    BoardMemberReference,
    Body,
    DeclarationReturn,
    FitAndProperAssessment,
    Framework,
    Interest,
    Meeting,
    Priority,
    Seat,
)
from roles.models import JobDescription
from surveys import services as surveys

from .factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db
D = datetime.date

SKIPPED_PREFIXES = ("admin:", "account_", "mfa_", "socialaccount", "openid_connect",
                    "usersessions", "headless")


def app_url_names(patterns=None, namespace=""):
    """Every named URL of the app (Django admin and allauth have their own tests)."""
    names = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names += app_url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}{entry.name}"
            if not name.startswith(SKIPPED_PREFIXES) and not namespace.startswith(
                SKIPPED_PREFIXES
            ):
                names.append(name)
    return sorted(set(names))


# Who may see what, by kind of URL. "reach" is the set of personas who may open it for objects
# in the north system; in the south, only the administrator and the south's own HR (outsider).
EVERYONE = {"admin", "hr", "cmo", "leader", "appraiser", "outsider", "chair", "named_chair"}
SEES_NORTH = {"admin", "hr", "cmo"}
# The chair of the north board holds no grant: they see the board, its meetings and its seats
# (read-only), and nothing else of the north's; so does its named co-chair, who holds no post
# (a seat held by name, linked to their account).
CHAIRS_NORTH = SEES_NORTH | {"chair", "named_chair"}
EDITS_SOMEWHERE = {"admin", "hr", "outsider"}
DECLARES = {"admin", "hr", "leader"}

# url name → (kwargs kind, GET status for those in reach, personas in reach)
RULES = {
    "appointments:dashboard": (None, 200, EVERYONE),
    "account": (None, 200, EVERYONE),
    "account-calendar-reset": (None, 405, EVERYONE),
    "account-token-create": (None, 200, EVERYONE),
    "account-token-revoke": ("access_token", 405, EVERYONE),
    "accessibility": (None, 200, EVERYONE | {"anonymous"}),
    "notification-list": (None, 200, EVERYONE),
    "appointments:invite": (None, 200, EDITS_SOMEWHERE),
    "appointments:calendar-feed": ("calendar", 200, EVERYONE),
    "appointments:post-list": (None, 200, EVERYONE),
    "appointments:duty-register": (None, 200, EVERYONE),
    "roles:post-create": (None, 200, EDITS_SOMEWHERE),
    "appointments:post-detail": ("post", 200, SEES_NORTH | {"leader", "appraiser"}),
    "roles:post-edit": ("post", 200, {"admin", "hr"}),
    "appointments:person-list": (None, 200, EVERYONE),
    "appointments:person-create": (None, 200, EDITS_SOMEWHERE),
    "appointments:person-detail": ("person", 200, SEES_NORTH | {"leader", "appraiser"}),
    "appointments:person-edit": ("person", 200, {"admin", "hr", "leader"}),
    "appointments:equality": (None, 200, {"leader", "chair"}),
    # Honorary contracts: seen with the person, recorded by HR of the partner.
    "appointments:honorary-create": ("person", 200, {"admin", "hr"}),
    "appointments:honorary-detail": ("honorary", 200, SEES_NORTH | {"leader", "appraiser"}),
    "appointments:honorary-edit": ("honorary", 200, {"admin", "hr"}),
    "appointments:appointment-list": (None, 200, EVERYONE),
    "appointments:appointment-create": (None, 200, EDITS_SOMEWHERE),
    "appointments:appointment-detail": ("appointment", 200,
                                        SEES_NORTH | {"leader", "appraiser"}),
    "appointments:appointment-extend": ("appointment", 200, {"admin", "hr", "cmo"}),
    "appointments:appointment-end": ("appointment", 200, {"admin", "hr"}),
    "appointments:appointment-decide": ("appointment", 200, {"admin", "hr", "cmo"}),
    # A request for agreement is seen by whoever sees what it is about; each party's decision
    # is taken only by those who decide for that party (here the CMO/CNO office, on the default
    # route); an administrator is no party and overrides instead, with a reason.
    "appointments:approval-detail": ("approval", 200, SEES_NORTH | {"leader", "appraiser"}),
    "appointments:approval-decide": ("party", 200, {"cmo"}),
    "appointments:approval-outside": ("outside", 200, {"admin", "hr", "cmo"}),
    "appointments:approval-override": ("approval", 200, {"admin"}),
    "appointments:bulk": (None, 200, {"admin", "hr", "cmo", "outsider"}),
    "appointments:bulk-confirm": ("token", 405, EVERYONE),
    "appointments:bulk-progress": ("token", 404, set()),
    "appointments:bulk-result": ("bulk_change", 200, SEES_NORTH),
    "appointments:import": (None, 200, EDITS_SOMEWHERE),
    "appointments:import-template": (None, 200, EDITS_SOMEWHERE),
    "appointments:import-confirm": ("token", 405, EVERYONE),
    "appraisals:cycle-create": ("appointment_pk", 200, {"admin", "hr"}),
    "appraisals:cycle-detail": ("cycle", 200, SEES_NORTH | {"leader", "appraiser"}),
    "appraisals:self-assessment": ("cycle", 200, {"leader"}),
    "appraisals:nominate": ("cycle", 405, EVERYONE),
    "appraisals:remove-nomination": ("rater", 405, EVERYONE),
    "appraisals:revoke": ("rater", 405, EVERYONE),
    "appraisals:submit-nominations": ("cycle", 405, EVERYONE),
    "appraisals:approve-nominations": ("cycle", 405, EVERYONE),
    "appraisals:close": ("cycle", 405, EVERYONE),
    "appraisals:release": ("cycle", 405, EVERYONE),
    "appraisals:outcome": ("cycle", 405, EVERYONE),
    "appraisals:sign-off": ("cycle", 405, EVERYONE),
    # The world's cycle is still collecting nominations: no report, nothing to redact, for
    # anyone (tests/test_appraisals.py covers the report once it exists).
    "appraisals:report": ("cycle", 404, set()),
    "appraisals:report-pdf": ("cycle", 404, set()),
    "appraisals:redact": ("response", 404, set()),
    "appraisals:rater": ("token", 404, set()),
    "roles:job-description-history": ("post", 200, SEES_NORTH | {"leader", "appraiser"}),
    "roles:job-description-version": ("job_description", 200,
                                      SEES_NORTH | {"leader", "appraiser"}),
    "roles:job-description-new": ("post", 200, {"admin", "hr"}),
    "roles:job-description-reviewed": ("post", 405, {"admin", "hr"}),
    "appointments:vacancy-list": (None, 200, EVERYONE),
    "appointments:vacancy-create": (None, 200, EDITS_SOMEWHERE),
    "appointments:vacancy-detail": ("vacancy", 200, SEES_NORTH),
    "appointments:vacancy-approval": ("vacancy", 200, {"cmo"}),
    "appointments:vacancy-advert": ("vacancy", 200, {"admin", "hr"}),
    "appointments:vacancy-shortlist": ("vacancy", 200, {"admin", "hr"}),
    "appointments:vacancy-interview": ("vacancy", 200, {"admin", "hr"}),
    "appointments:vacancy-offer": ("vacancy", 200, {"admin", "hr"}),
    "appointments:vacancy-withdraw": ("vacancy", 200, {"admin", "hr"}),
    "appointments:vacancy-accept": ("vacancy", 405, {"admin", "hr"}),
    "governance:index": (None, 200, EVERYONE),
    "governance:body-list": (None, 200, EVERYONE),
    "governance:body-detail": ("body", 200, CHAIRS_NORTH),
    "governance:seat-add": ("body", 200, {"admin", "hr", "cmo"}),
    # Members' unpublished interests: the chair, HR of the system and administrators only.
    "governance:body-interests": ("body", 200, {"admin", "hr", "chair", "named_chair"}),
    "governance:seat-remove": ("seat", 405, {"admin", "hr", "cmo"}),
    # Meetings: seen with the body; recorded, like the terms and quorum, by who keeps it.
    "governance:body-terms": ("body", 200, {"admin", "hr", "cmo"}),
    "governance:meeting-create": ("body", 200, {"admin", "hr", "cmo"}),
    "governance:meeting-detail": ("meeting", 200, CHAIRS_NORTH),
    "governance:meeting-edit": ("meeting", 200, {"admin", "hr", "cmo"}),
    "governance:investment": (None, 200, {"admin", "hr", "cmo", "outsider"}),
    "governance:plan-list": (None, 200, EVERYONE),
    "governance:action-plan": ("framework", 200, SEES_NORTH),
    "governance:action-plan-pdf": ("framework", 200, SEES_NORTH),
    "governance:action-create": ("framework", 200, {"admin", "hr", "cmo"}),
    "governance:action-detail": ("action", 200, SEES_NORTH),
    "governance:action-edit": ("action", 200, {"admin", "hr", "cmo"}),
    # Declarations of interest: the person's own, and HR's who keep their record; not the
    # CMO/CNO office's nor an appraiser's.
    "governance:declarations": (None, 200, EVERYONE),
    "governance:person-declarations": ("person", 200, DECLARES),
    "governance:interest-add": ("person", 200, DECLARES),
    "governance:declaration-confirm": ("person", 405, DECLARES),
    "governance:interest-edit": ("interest", 200, DECLARES),
    "governance:interest-end": ("interest", 200, DECLARES),
    # The Fit and Proper Person Test: the holder, HR who keep the appointment, the chair of a
    # board the post sits on (the walk's chair persona), administrators; each step only by
    # whoever takes it. The holder (the walk's leader) never signs off their own year.
    "governance:fppt": (None, 200, EVERYONE),
    "governance:fppt-detail": ("fppt", 200, {"admin", "hr", "leader", "chair", "named_chair"}),
    # The annual return holds the rows the user may see (none, for most).
    "governance:fppt-return-csv": (None, 200, EVERYONE),
    "governance:fppt-return-pdf": (None, 200, EVERYONE),
    "governance:fppt-check": ("fppt_check", 200, {"admin", "hr"}),
    "governance:fppt-attest": ("fppt", 200, {"leader"}),
    "governance:fppt-sign-off": ("fppt", 200, {"admin", "chair", "named_chair"}),
    "governance:fppt-review": ("fppt", 200, {"admin", "hr", "chair", "named_chair"}),
    # A board member reference: given by HR for a holder who has left; read like the records.
    "governance:fppt-reference-create": ("left", 200, {"admin", "hr"}),
    "governance:fppt-reference": ("reference", 200, {"admin", "hr", "leader", "chair",
                                                     "named_chair"}),
    # The published register needs no sign-in: everyone sees every system's.
    "governance:register-index": (None, 200, EVERYONE | {"anonymous"}),
    "governance:register": ("system", 200, EVERYONE | {"anonymous"}),
    "governance:register-csv": ("system", 200, EVERYONE | {"anonymous"}),
    "governance:register-interests": ("system", 200, EVERYONE | {"anonymous"}),
    "governance:register-interests-csv": ("system", 200, EVERYONE | {"anonymous"}),
    "governance:diversity": ("system", 200, EVERYONE | {"anonymous"}),
    "governance:diversity-csv": ("system", 200, EVERYONE | {"anonymous"}),
    "governance:diversity-pdf": ("system", 200, EVERYONE | {"anonymous"}),
    # The leadership survey: opened and closed by HR and the CMO/CNO office of the system, read
    # by those who see its register; leaders answer by private link only.
    "surveys:survey-list": (None, 200, EVERYONE),
    "surveys:survey-create": ("framework", 200, {"admin", "hr", "cmo"}),
    "surveys:survey-detail": ("survey", 200, SEES_NORTH),
    "surveys:survey-close": ("survey", 405, EVERYONE),
    "surveys:results": ("survey", 200, SEES_NORTH),
    "surveys:answer": ("token", 404, set()),
    # The API, here with the browser's session (tests/test_access_walk_api.py walks it with
    # tokens): the same reach as the pages; a signed-out caller gets 401, not the sign-in page.
    "api:schema": (None, 200, EVERYONE | {"anonymous"}),
    "api:docs": (None, 200, EVERYONE | {"anonymous"}),
    "api:register-list": (None, 200, EVERYONE | {"anonymous"}),
    "api:register-rows": ("system", 200, EVERYONE | {"anonymous"}),
    "api:system-list": (None, 200, EVERYONE),
    "api:system-detail": ("api_system", 200, SEES_NORTH),
    "api:organisation-list": (None, 200, EVERYONE),
    "api:organisation-detail": ("api_organisation", 200, SEES_NORTH),
    "api:post-list": (None, 200, EVERYONE),
    "api:post-detail": ("post", 200, SEES_NORTH | {"leader", "appraiser"}),
    "api:person-list": (None, 200, EVERYONE),
    "api:person-detail": ("person", 200, SEES_NORTH | {"leader", "appraiser"}),
    "api:appointment-list": (None, 200, EVERYONE),
    "api:appointment-detail": ("appointment", 200, SEES_NORTH | {"leader", "appraiser"}),
    "api:vacancy-list": (None, 200, EVERYONE),
    "api:vacancy-detail": ("vacancy", 200, SEES_NORTH),
    "api:body-list": (None, 200, EVERYONE),
    "api:body-detail": ("body", 200, CHAIRS_NORTH),
    "api:seat-list": (None, 200, EVERYONE),
    "api:seat-detail": ("api_seat", 200, CHAIRS_NORTH),
    # The API's changes answer only POST (walked in tests/test_access_walk_api.py).
    "api:appointment-extend": ("appointment", 405, {"admin", "hr", "cmo"}),
    "api:appointment-end": ("appointment", 405, {"admin", "hr"}),
    "api:appointment-decide-term-end": ("appointment", 405, {"admin", "hr", "cmo"}),
    "api:decision-list": (None, 200, EVERYONE),
    "api:decision-detail": ("party", 200, {"cmo"}),
    "api:decision-decide": ("party", 405, {"cmo"}),
}
# Pages that need no sign-in: a visitor without the right address finds nothing.
PUBLIC = {"appointments:calendar-feed", "appraisals:rater", "surveys:answer"}
# Pages open to everyone, about every system.
OPEN = {name for name, (_, _, reach) in RULES.items() if "anonymous" in reach}
# Pages whose every opening is an audit event (docs/adr/0005): one, naming who opened it; no
# other page, and no refused opening, writes one. (Exports are the list pages with ?export=,
# walked in test_every_export_is_recorded_once_and_a_refused_one_not_at_all.)
AUDITED = {"governance:action-plan-pdf", "appraisals:report", "appraisals:report-pdf",
           "governance:fppt-return-csv", "governance:fppt-return-pdf"}
# The list pages that export, with the kind of object their address names (as in RULES).
EXPORTS = {"appointments:post-list": ["csv", "xlsx"],
           "appointments:appointment-list": ["csv", "xlsx"],
           "governance:investment": ["csv"], "governance:action-plan": ["csv"]}


@pytest.fixture
def world(north, south, north_trust, south_trust, hr_north, cmo_office, outsider, admin_user):
    leader = UserFactory(email="walk.leader@example.org")
    appraiser = UserFactory(email="walk.appraiser@example.org")
    objects = {}
    for side, trust in (("north", north_trust), ("south", south_trust)):
        post = PostFactory(host_organisation=trust, system=trust.systems.first())
        person = PersonFactory(substantive_employer=trust,
                               user=leader if side == "north" else None)
        appointment = AppointmentFactory(post=post, person=person, start_date=D(2024, 4, 1),
                                         end_date=D(2027, 3, 31))
        JobDescription.objects.create(post=post, summary="Leads.", reviewed_on=D(2026, 1, 1))
        # Proposed by HR and waiting for the CMO/CNO office (an administrator's own proposal
        # would be agreed at once).
        decision = TermEndDecision.objects.create(
            appointment=appointment, outcome=TermEndDecision.Outcome.EXTEND,
            term_end_date=appointment.end_date, proposed_end_date=D(2027, 9, 30),
            status=TermEndDecision.Status.PENDING, decided_by=admin_user)
        batch = services.apply_bulk_change(
            appointments=[AppointmentFactory(post=PostFactory(host_organisation=trust),
                                             start_date=D(2024, 1, 1),
                                             end_date=D(2026, 12, 31))],
            kind="extend", on_date=D(2027, 1, 31), reason="r", agreed_by="a",
            agreed_on=D(2026, 11, 1), by=admin_user)
        appraiser_user = appraiser if side == "north" else UserFactory()
        if side == "south":
            person.user = UserFactory()
            person.save()
        cycle = open_cycle(appointment=appointment, by=admin_user, appraiser=appraiser_user)
        rater = Rater.objects.create(cycle=cycle, group="peer", name="Peer", email=f"p@{side}.x")
        response = Response.objects.create(cycle=cycle, group="peer", keep_doing="Kind")
        system = trust.systems.first()
        body = Body.objects.create(system=system, name=f"{side} board", kind="board")
        seat = Seat.objects.create(body=body, post=post, role="member")
        framework = Framework.objects.create(system=system, name=f"{side} framework")
        priority = Priority.objects.create(framework=framework, number=1, title="Voice")
        action = Action.objects.create(priority=priority, reference="1.1", text="Publish",
                                       term="short", due_on=D(2027, 3, 31))
        action.owner_bodies.add(body)
        vacancy = Vacancy.objects.create(post=PostFactory(host_organisation=trust,
                                                          system=system), opened_by=admin_user)
        # The requests behind the decision and the vacancy (written here without the
        # services, so opened as the register opens those of records made before routes).
        # Recruitment in both systems may be agreed outside the register.
        approval = services.request_for_decision(decision)
        route = services.route_for(system, "recruitment")
        route.allows_outside_agreement = True
        route.save()
        outside = services.request_for_vacancy(vacancy)
        honorary = HonoraryContract.objects.create(
            person=person, organisation=trust, start_date=D(2024, 4, 1), reference=f"HC-{side}",
            purpose="Clinical sessions at the trust")
        declared = DeclarationReturn.objects.create(person=person, made_on=D(2026, 1, 5),
                                                    reason="annual")
        interest = Interest.objects.create(
            declaration_return=declared, kind="financial", description="Paid adviser",
            organisation=f"{side.title()} Health Ltd", from_date=D(2025, 1, 1),
            first_declared_on=D(2025, 1, 1), publish=True)
        meeting = Meeting.objects.create(body=body, held_on=D(2026, 10, 5), title="October")
        Attendance.objects.create(meeting=meeting, seat=seat, person=person,
                                  member=person.full_name, seat_title=post.title,
                                  status="apologies")
        # Last year's survey, closed: its page and its results.
        survey, _ = surveys.open_survey(framework=framework, year=2025,
                                        closes_on=D(2026, 12, 21), by=admin_user)
        surveys.close_survey(survey=survey, by=admin_user)
        post.is_significant_role = True
        post.save()
        fppt = FitAndProperAssessment.objects.create(appointment=appointment, kind="annual",
                                                     due_on=D(2026, 4, 1))
        left = AppointmentFactory(post=post, person=person, start_date=D(2021, 4, 1),
                                  end_date=D(2024, 3, 31))
        reference = BoardMemberReference.objects.create(
            appointment=left, requested_by="Another NHS Trust", requested_on=D(2026, 4, 1),
            sent_to="Head of HR", roles_and_dates="Board member", misconduct="None",
            investigations="None", disciplinary="None", concerns="None",
            sent_on=D(2026, 4, 2), sent_by=admin_user)
        objects[side] = {"post": post, "person": person, "appointment": appointment,
                         "interest": interest, "meeting": meeting, "fppt": fppt,
                         "left": left, "reference": reference,
                         "honorary": honorary, "survey": survey,
                         "decision": decision, "bulk_change": batch, "cycle": cycle,
                         "rater": rater, "response": response, "body": body, "seat": seat,
                         "framework": framework, "action": action, "vacancy": vacancy,
                         "system": system, "approval": approval,
                         "party": approval.decisions.get(), "outside": outside}
    # The chair of the north board: a leader with no grant, whose post has the chair's seat.
    chair = UserFactory(email="walk.chair@example.org")
    chair_post = PostFactory(host_organisation=north_trust, system=north)
    AppointmentFactory(post=chair_post, start_date=D(2025, 4, 1), end_date=D(2027, 3, 31),
                       person=PersonFactory(user=chair, substantive_employer=north_trust))
    Seat.objects.create(body=objects["north"]["body"], post=chair_post, role="chair",
                        voting=True)
    # Its named co-chair: no post, no grant, no person; the seat held by name is linked to
    # their account.
    named_chair = UserFactory(email="walk.named.chair@example.org")
    Seat.objects.create(body=objects["north"]["body"], holder_name="Nell Named",
                        holder_account=named_chair, role="co_chair", voting=True)
    users = {"admin": admin_user, "hr": hr_north, "cmo": cmo_office, "leader": leader,
             "appraiser": appraiser, "outsider": outsider, "chair": chair,
             "named_chair": named_chair, "anonymous": None}
    return users, objects


def _url(name, kind, target, user):
    if kind is None:
        return reverse(name)
    if kind == "appointment_pk":
        return reverse(name, kwargs={"appointment_pk": target["appointment"].pk})
    if kind == "rater":
        return reverse(name, kwargs={"pk": target["cycle"].pk,
                                     "rater_pk": target["rater"].pk})
    if kind == "response":
        return reverse(name, kwargs={"pk": target["cycle"].pk,
                                     "key": target["response"].keep_doing_key})
    if kind == "calendar":
        return reverse(name, kwargs={"token": user.calendar_token if user else "no-such-token"})
    if kind == "token":
        return reverse(name, kwargs={"token": "no-such-token"})
    if kind == "job_description":
        return reverse(name, kwargs={"pk": target["post"].pk, "version": 1})
    if kind == "seat":
        return reverse(name, kwargs={"pk": target["body"].pk, "seat_pk": target["seat"].pk})
    if kind == "system":
        return reverse(name, kwargs={"short_name": target["system"].short_name})
    if kind == "access_token":  # any number: only a POST reaches the lookup
        return reverse(name, kwargs={"pk": 1})
    if kind == "api_system":
        return reverse(name, kwargs={"pk": target["system"].pk})
    if kind == "api_organisation":
        return reverse(name, kwargs={"pk": target["post"].host_organisation_id})
    if kind == "fppt_check":
        return reverse(name, kwargs={"pk": target["fppt"].pk, "item": "dbs"})
    if kind == "api_seat":
        return reverse(name, kwargs={"pk": target["seat"].pk})
    return reverse(name, kwargs={"pk": target[kind].pk})


def test_every_url_of_the_app_is_described():
    assert set(app_url_names()) == set(RULES), (
        "Describe who may open the new URL in RULES: "
        f"{sorted(set(app_url_names()) ^ set(RULES))}")


@pytest.mark.parametrize("persona", ["admin", "hr", "cmo", "leader", "appraiser", "outsider",
                                     "chair", "named_chair", "anonymous"])
def test_every_url_answers_each_kind_of_user_as_it_should(client, world, persona):
    users, objects = world
    user = users[persona]
    if user is not None:
        client.force_login(user)
    failures = []
    for name, (kind, ok_status, reach) in RULES.items():
        sides = ("north", "south") if kind not in (None, "calendar", "token") else ("north",)
        for side in sides:
            url = _url(name, kind, objects[side], user)
            seen = _last_audit_event()
            response = client.get(url)
            recorded = list(AuditEvent.objects.filter(pk__gt=seen))
            audited = name in AUDITED and response.status_code == 200
            if len(recorded) != audited or any(e.by != user for e in recorded):
                failures.append(f"{name} ({side}) as {persona}: {response.status_code} wrote "
                                f"{len(recorded)} audit events, expected {int(audited)}")
            if side == "north":
                in_reach = persona in reach
            else:  # the outsider is HR in the south, with the same rights there as hr here
                in_reach = (persona == "admin" and "admin" in reach) or (
                    persona == "outsider" and "hr" in reach)
            if name in OPEN:
                expected = {ok_status}
            elif persona == "anonymous" and name in PUBLIC:
                expected = {404}  # private by its address; a made-up one finds nothing
            elif persona == "anonymous" and "anonymous" not in reach:
                # To the sign-in page (the API: 401), whether or not the object exists.
                expected = {401} if name.startswith("api:") else {302}
            elif in_reach:
                expected = {ok_status}
            else:
                expected = {404, 405} if ok_status == 405 else {404}
            if response.status_code not in expected:
                failures.append(f"{name} ({side}) as {persona}: {response.status_code}, "
                                f"expected {sorted(expected)}")
    assert not failures, "\n".join(failures)


def _last_audit_event():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.mark.parametrize("persona", ["admin", "hr", "cmo", "leader", "appraiser", "outsider",
                                     "anonymous"])
def test_every_export_is_recorded_once_and_a_refused_one_not_at_all(client, world, persona):
    users, objects = world
    user = users[persona]
    if user is not None:
        client.force_login(user)
    failures, exports = [], 0
    for name, formats in EXPORTS.items():
        kind, _, reach = RULES[name]
        for side, export in [(side, export) for side in ("north", "south") for export in formats]:
            target = objects[side]
            url = _url(name, kind, target, user) + f"?export={export}"
            if name == "governance:investment":
                url += f"&system={target['system'].pk}"
            seen = _last_audit_event()
            response = client.get(url)
            recorded = list(AuditEvent.objects.filter(pk__gt=seen))
            exported = response.status_code == 200 and not response["Content-Type"].startswith(
                "text/html")
            exports += exported
            if exported != (len(recorded) == 1) or len(recorded) > 1 or any(
                    (e.by, e.action) != (user, AuditEvent.Action.EXPORTED) for e in recorded):
                failures.append(f"{name} ({side}, {export}) as {persona}: "
                                f"{response.status_code}, {len(recorded)} audit events")
    assert not failures, "\n".join(failures)
    assert exports or persona == "anonymous"


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("appointments:post-list"))
    assert response.url.startswith(reverse("account_login"))


def test_the_grants_behind_the_personas(world):
    users, objects = world
    north_post = objects["north"]["post"]
    assert access.needs_mfa(users["hr"])
    assert not access.needs_mfa(users["leader"])
    assert list(Appointment.objects.granted_individually(users["appraiser"])) == [
        objects["north"]["appointment"]]
    assert north_post.pk in set(
        users["leader"].person.appointments.values_list("post", flat=True))


def test_staff_personas_have_totp(world):
    users, _ = world
    with_totp(users["appraiser"])
    assert access.has_totp(users["appraiser"])
