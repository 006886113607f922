"""Walk every URL that changes state as every kind of user, with a valid body, against objects
inside and outside their reach, and check the answer and what was written.

The GET walk (test_access_walk.py) proves who may open each page; this one proves who may change
anything. Every body is one the right user's POST succeeds with, so a refusal cannot hide behind
a form error: whoever is in reach gets their redirect (or page) and the rows their change writes;
whoever is not gets 404 and nothing is written (the INSERT, UPDATE and DELETE statements of the
request are read, less what a rollback undid). Each POST runs in a savepoint that is rolled back
afterwards, so one world serves every URL of a persona. A URL that nobody described here, as a
change or as read-only, fails the test, as in the GET walk."""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import imports, services
from appointments.models import Extension, TermEndDecision, Vacancy
from appointments.views.bulk import PLAN_KEY
from appointments.views.imports import ROWS_KEY
from appraisals import services as appraisals
from appraisals.models import Cycle, Rater, Statement, hash_token
from ccpl import access
from ccpl import services as ccpl_services
from governance.models import FitAndProperAssessment, FitAndProperCheck
from surveys import services as surveys
from surveys.models import Invitation

from . import test_access_walk as get_walk
from .factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    UserFactory,
    grant,
    with_totp,
)
from .pages import date_fields
from .test_access_walk import EDITS_SOMEWHERE, EVERYONE, RULES, _url, app_url_names

pytestmark = pytest.mark.django_db
D = datetime.date
world = get_walk.world  # the GET walk's world, which walk_world extends

PERSONAS = ["admin", "hr", "cmo", "leader", "appraiser", "outsider", "chair", "named_chair",
            "anonymous"]
HR = frozenset({"admin", "hr"})
# The CMO/CNO office agrees and approves (the default route's one party); HR asks; an
# administrator is no party to a route and overrides it instead, with a reason.
APPROVERS = frozenset({"cmo"})
GOVERNORS = frozenset({"admin", "hr", "cmo"})
EXTENDERS = frozenset({"admin", "hr", "cmo"})
BULK_PAGE = frozenset({"admin", "hr", "cmo", "outsider"})
EDITORS = frozenset(EDITS_SOMEWHERE)


# --- what a request wrote ---------------------------------------------------------------------

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
SAVEPOINT = re.compile(r'^\s*SAVEPOINT\s+"?(\w+)"?', re.IGNORECASE)
ROLLBACK_TO = re.compile(r'^\s*ROLLBACK\s+TO\s+SAVEPOINT\s+"?(\w+)"?', re.IGNORECASE)
NOT_THE_REGISTER = {"django_session"}  # the session's last-seen time, on any request


def tables_written(queries):
    """The tables ``queries`` wrote to and kept: a write that a rollback to a savepoint undid
    (the import's preview runs the import and rolls it back) does not count."""
    writes, marks = [], {}
    for query in queries:
        sql = query["sql"]
        if match := SAVEPOINT.match(sql):
            marks[match[1]] = len(writes)
        elif match := ROLLBACK_TO.match(sql):
            del writes[marks[match[1]]:]
        elif match := WRITE.match(sql):
            writes.append(match[1])
    return set(writes) - NOT_THE_REGISTER


def test_a_write_undone_by_a_rollback_does_not_count():
    queries = [{"sql": 'UPDATE "a" SET x = 1'}, {"sql": 'SAVEPOINT "s1"'},
               {"sql": 'INSERT INTO "b" VALUES (1)'}, {"sql": 'ROLLBACK TO SAVEPOINT "s1"'},
               {"sql": 'DELETE FROM "c"'}, {"sql": 'UPDATE "django_session" SET x = 1'},
               {"sql": 'SELECT 1 FROM "d"'}]
    assert tables_written(queries) == {"a", "c"}


# --- how each URL is addressed ----------------------------------------------------------------

def plain(name, objs, user, in_reach):
    return reverse(name)


def by_pk(key):
    def url(name, objs, user, in_reach):
        return reverse(name, kwargs={"pk": objs[key].pk})
    return url


def appointment_pk(key):
    def url(name, objs, user, in_reach):
        return reverse(name, kwargs={"appointment_pk": objs[key].pk})
    return url


def rater_of(cycle_key, rater_key):
    def url(name, objs, user, in_reach):
        return reverse(name, kwargs={"pk": objs[cycle_key].pk, "rater_pk": objs[rater_key].pk})
    return url


def seat(name, objs, user, in_reach):
    return reverse(name, kwargs={"pk": objs["body"].pk, "seat_pk": objs["seat"].pk})


def comment(name, objs, user, in_reach):
    return reverse(name, kwargs={"pk": objs["closed"].pk, "key": objs["comment"].keep_doing_key})


def own_token(name, objs, user, in_reach):
    """A token of the user's own (the administrator's, for a signed-out visitor)."""
    token, _ = ccpl_services.create_access_token(name="Extract", scope="read", days=30,
                                                 second_factor=True, by=user or objs["admin"])
    return reverse(name, kwargs={"pk": token.pk})


def rater_link(name, objs, user, in_reach):
    return reverse(name, kwargs={"token": objs["link"]})


def survey_link(name, objs, user, in_reach):
    return reverse(name, kwargs={"token": objs["survey_link"]})


def survey_answers(objs, user):
    return {f"q{pk}": "4" for pk in objs["open_survey"].questions.values_list("pk", flat=True)}


def own_or_someone_elses(key_format, stored):
    """A confirmation token: for a user in reach, one for what they previewed themselves; for
    anyone else, one made by the administrator (a token binds to the user who previewed)."""
    def url(name, objs, user, in_reach):
        owner = user if in_reach else objs["admin"]
        token = f"walk-{objs['side']}-{'own' if in_reach else 'theirs'}"
        cache.set(key_format.format(user=owner.pk, token=token), stored(objs), 600)
        return reverse(name, kwargs={"token": token})
    return url


def bulk_plan(objs):
    return {"ids": [objs["free"].pk], "kind": "extend", "on_date": D(2027, 6, 30),
            "reason": "Winter cover", "agreed_by": "", "agreed_on": None, "how": "request",
            "evidence": "", "override_reason": ""}


def import_rows(objs):
    return {"source": "register.csv", "rows": imports.read_rows("register.csv", import_csv(objs))}


# --- valid bodies -----------------------------------------------------------------------------

def answers(cycle):
    statements = Statement.objects.filter(dimension__version=cycle.template_version)
    return {f"s{pk}": "3" for pk in statements.values_list("pk", flat=True)}


def post_body(objs, user, title=None):
    post = objs["post"]
    return {"title": title or f"{post.title} (renamed)", "reference": "",
            "role_type": post.role_type_id, "system": objs["system"].pk,
            "host_organisation": objs["trust"].pk, "spatial_level": "system", "wte": "0.4",
            "default_term_months": "36"}


def person_body(objs, user):
    person = objs["person"]
    return {"given_name": person.given_name, "family_name": person.family_name,
            "work_email": person.work_email, "phone": "020 7946 0000",
            "profession": person.profession, "registration_body": person.registration_body,
            "registration_number": person.registration_number,
            "substantive_employer": objs["trust"].pk}


def action_body(reference):
    def body(objs, user):
        return {"priority": objs["action"].priority_id, "reference": reference,
                "text": "Report to the board", "term": "short",
                **date_fields("due_on", D(2027, 3, 31)), "owner_bodies": [objs["body"].pk],
                "owner_posts": [objs["post"].pk]}
    return body


def import_csv(objs):
    values = {"system": objs["system"].short_name, "post_title": "Clinical Lead for Sepsis",
              "post_reference": "", "host_organisation": objs["trust"].name,
              "role_type": "Clinical Lead", "post_wte": "0.4", "post_honorarium": "",
              "job_share": "no", "given_name": "Robin", "family_name": "Example",
              "work_email": f"robin.{objs['side']}@nhs.example", "profession": "Nurse",
              "registration_body": "", "registration_number": "", "substantive_employer": "",
              "start_date": "2027-04-01", "end_date": "", "appointment_wte": "",
              "honorarium_share": "", "contract_type": "", "home_organisation": ""}
    return "\n".join([",".join(imports.COLUMN_NAMES),
                      ",".join(values[c] for c in imports.COLUMN_NAMES)]).encode()


def job_description_body(objs, user):
    return {"summary": "Leads the clinical strategy.", "responsibilities": "Chairs the board",
            **date_fields("reviewed_on", D(2026, 11, 20)),
            "criteria-TOTAL_FORMS": 1, "criteria-INITIAL_FORMS": 0,
            "criteria-MIN_NUM_FORMS": 0, "criteria-MAX_NUM_FORMS": 1000,
            "criteria-0-category": "experience", "criteria-0-text": "Board experience",
            "criteria-0-requirement": "essential", "criteria-0-assessed_by": ["by_application"]}


def honorary_body(objs, user, purpose="Clinical sessions and research at the trust"):
    return {"held_with": f"organisation:{objs['trust'].pk}",
            **date_fields("start_date", D(2024, 4, 1)), "reference": "HC-2",
            "purpose": purpose}


DECLARED = frozenset({"governance_declarationreturn", "governance_interest"})


def interest_body():
    return {"kind": "professional", "organisation": "Royal College of Examples",
            "description": "Council member", **date_fields("from_date", D(2025, 6, 1)),
            "action_taken": "Leaves any item about the college", "publish": "on"}


FPPT = frozenset({"governance_fitandproperassessment", "governance_fitnessdecision"})


def fppt_check(name, objs, user, in_reach):
    return reverse(name, kwargs={"pk": objs["fppt"].pk, "item": "tribunal"})


def _assessed(appointment, due_on, *, signed_off_by=None):
    """An assessment with every check recorded and the holder's attestation (and, if
    ``signed_off_by``, the chair's sign-off): ready for the next step."""
    holder = appointment.person.user
    assessment = FitAndProperAssessment.objects.create(
        appointment=appointment, kind="annual", due_on=due_on, attested_by=holder,
        attested_at=datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC))
    for item in FitAndProperCheck.Item.values:
        FitAndProperCheck.objects.create(assessment=assessment, item=item,
                                         outcome="satisfactory", checked_on=D(2026, 11, 1),
                                         checked_by=holder)
    if signed_off_by:
        assessment.signed_off_by, assessment.outcome = signed_off_by, "fit"
        assessment.signed_off_at = datetime.datetime(2026, 11, 3, tzinfo=datetime.UTC)
        assessment.save()
    return assessment


def nothing(objs, user):
    return {}


# --- what each state-changing URL is --------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """A URL that changes state: how it is addressed, a valid body, who may use it on the north
    system's objects, and the tables a successful POST writes.

    In the south, the administrator may whatever they may in the north, and the outsider (HR in
    the south) whatever HR may in the north, unless ``south`` says otherwise. ``page``: others
    who may open the page, naming the object in the body rather than the address; the form does
    not offer them the object, so they get the form back (``page_status``) and nothing is
    written. ``done``: what else a success shows, for a change that writes to the cache only
    (a preview)."""

    url: Callable
    reach: frozenset
    writes: frozenset
    body: Callable = nothing
    ok: int = 302
    page: frozenset = frozenset()
    page_status: int = 200
    query: Callable | None = None
    done: Callable | None = None
    public: bool = False  # authorised by its address, not by signing in
    south: frozenset | None = None
    sides: tuple = ("north", "south")

    def in_reach(self, persona, side):
        if side == "north":
            return persona in self.reach
        if self.south is not None:
            return persona in self.south
        return (persona == "admin" and "admin" in self.reach) or (
            persona == "outsider" and "hr" in self.reach)


def _bulk_previewed(response, user):
    token = response.context["token"]
    return response.context["plan"].is_valid and cache.get(
        PLAN_KEY.format(user=user.pk, token=token)) is not None


def _import_previewed(response, user):
    token = response.context["token"]
    return response.context["report"].is_valid and cache.get(
        ROWS_KEY.format(user=user.pk, token=token)) is not None


def _answered(response, user):
    return any(t.name == "appraisals/rater_done.html" for t in response.templates)


def _survey_answered(response, user):
    return any(t.name == "surveys/answered.html" for t in response.templates)


CHANGES = {
    # The user's own account.
    "account": Change(plain, frozenset(EVERYONE), frozenset({"ccpl_user"}),
                      body=lambda objs, user: {"full_name": "A New Name", "weekly_digest": "on"},
                      sides=("north",)),
    "account-calendar-reset": Change(plain, frozenset(EVERYONE), frozenset({"ccpl_user"}),
                                     sides=("north",)),
    "account-token-create": Change(
        plain, frozenset(EVERYONE), frozenset({"ccpl_accesstoken"}), ok=200,
        body=lambda objs, user: {"name": "Extract", "scope": "read", "days": "30"},
        sides=("north",)),
    "account-token-revoke": Change(own_token, frozenset(EVERYONE), frozenset({"ccpl_accesstoken"}),
                                   sides=("north",)),
    "appointments:equality": Change(
        plain, frozenset({"leader", "chair"}), frozenset({"appointments_equalityprofile"}),
        body=lambda objs, user: {"age_band": "40_49", "sex": "female", "ethnic_category": "N",
                                 "disability": "no"}, sides=("north",)),
    # Users, posts and people.
    "appointments:invite": Change(
        plain, HR, frozenset({"ccpl_user"}), page=EDITORS,
        body=lambda objs, user: {"email": f"new.colleague.{objs['side']}@example.org",
                                 "full_name": "New Colleague", "kind": "hr",
                                 "organisation": objs["trust"].pk}),
    "roles:post-create": Change(
        plain, HR, frozenset({"roles_post"}), page=EDITORS,
        body=lambda objs, user: post_body(objs, user, title="Clinical Lead for Sepsis")),
    "roles:post-edit": Change(by_pk("post"), HR, frozenset({"roles_post"}), body=post_body),
    "roles:job-description-new": Change(by_pk("post"), HR,
                                        frozenset({"roles_jobdescription", "roles_criterion"}),
                                        body=job_description_body),
    "roles:job-description-reviewed": Change(by_pk("post"), HR,
                                             frozenset({"roles_jobdescription"})),
    "appointments:person-create": Change(
        plain, HR, frozenset({"appointments_person"}), page=EDITORS,
        body=lambda objs, user: {"given_name": "Robin", "family_name": "Example",
                                 "work_email": f"robin.{objs['side']}@nhs.example",
                                 "profession": "nurse", "substantive_employer": objs["trust"].pk}),
    # A leader changes their own contact details; HR change the rest.
    "appointments:person-edit": Change(by_pk("person"), HR | {"leader"},
                                       frozenset({"appointments_person"}), body=person_body),
    # Honorary contracts, recorded and changed by HR of the partner they are held with.
    "appointments:honorary-create": Change(
        by_pk("person"), HR, frozenset({"appointments_honorarycontract"}),
        body=lambda objs, user: honorary_body(objs, user, purpose="Honorary passport")),
    "appointments:honorary-edit": Change(
        by_pk("honorary"), HR, frozenset({"appointments_honorarycontract"}),
        body=honorary_body),
    # Appointments and their terms.
    # HR ask for a direct appointment or an extension; the route's parties decide (the CMO/CNO
    # office asking for an extension is its one party, and it is made at once).
    "appointments:appointment-create": Change(
        plain, HR, frozenset({"appointments_approvalrequest", "appointments_partydecision"}),
        page=EDITORS,
        body=lambda objs, user: {"post": objs["vacancy"].post_id, "person": objs["person"].pk,
                                 "status": "active", **date_fields("start_date", D(2027, 4, 1))}),
    "appointments:appointment-extend": Change(
        by_pk("free"), EXTENDERS,
        frozenset({"appointments_approvalrequest", "appointments_termenddecision"}),
        body=lambda objs, user: {**date_fields("new_end_date", D(2027, 9, 30)),
                                 "reason": "Winter cover"}),
    "appointments:appointment-end": Change(
        by_pk("appointment"), HR, frozenset({"appointments_appointment"}),
        body=lambda objs, user: {"how": "end", **date_fields("on", D(2026, 12, 31)),
                                 "reason": "Resigned"}),
    "appointments:appointment-decide": Change(
        by_pk("appointment"), EXTENDERS, frozenset({"appointments_termenddecision"}),
        body=lambda objs, user: {"outcome": "let_end", "note": "The role is not continuing"}),
    # Only who decides for a party takes its decision (the CMO/CNO office here); where the
    # route allows, HR or the office record an agreement made outside the register; only an
    # administrator overrides the route.
    "appointments:approval-decide": Change(
        by_pk("party"), APPROVERS,
        frozenset({"appointments_partydecision", "appointments_approvalrequest",
                   "appointments_extension", "appointments_termenddecision"}),
        body=lambda objs, user: {"decision": "agree", "note": "", "evidence": ""}),
    "appointments:approval-outside": Change(
        by_pk("outside"), GOVERNORS,
        frozenset({"appointments_partydecision", "appointments_approvalrequest",
                   "appointments_vacancy"}),
        body=lambda objs, user: {"evidence": "Executive minutes 2026/11 item 4",
                                 **date_fields("agreed_on", D(2026, 11, 20))}),
    "appointments:approval-override": Change(
        by_pk("approval"), frozenset({"admin"}),
        frozenset({"appointments_approvalrequest", "appointments_extension",
                   "appointments_termenddecision"}),
        body=lambda objs, user: {"override_reason": "The CMO post is vacant this month"}),
    # Bulk changes and imports: a preview (kept in the cache), then a confirmation.
    # (The terms with no decision yet: one with an extension awaiting agreement cannot be
    # asked for again.)
    "appointments:bulk": Change(
        plain, EXTENDERS, frozenset(), ok=200, page=BULK_PAGE, done=_bulk_previewed,
        query=lambda objs: f"?system={objs['system'].pk}&undecided=on",
        body=lambda objs, user: {"kind": "extend", **date_fields("on_date", D(2027, 6, 30)),
                                 "reason": "Winter cover"}),
    "appointments:bulk-confirm": Change(own_or_someone_elses(PLAN_KEY, bulk_plan), EXTENDERS,
                                        frozenset({"appointments_bulkchange"})),
    "appointments:import": Change(
        plain, HR, frozenset(), ok=200, page=EDITORS, done=_import_previewed,
        body=lambda objs, user: {"file": SimpleUploadedFile("register.csv",
                                                            import_csv(objs))}),
    # Someone else's preview is no preview: back to the upload, which says it has expired.
    "appointments:import-confirm": Change(
        own_or_someone_elses(ROWS_KEY, import_rows), HR,
        frozenset({"appointments_appointment", "appointments_person", "roles_post",
                   "appointments_approvalrequest", "appointments_partydecision",
                   "ccpl_auditevent"}),
        page=EDITORS, page_status=302),
    # Recruitment, step by step: only the CMO/CNO office approves recruitment.
    "appointments:vacancy-create": Change(
        plain, HR, frozenset({"appointments_vacancy"}), page=EDITORS,
        body=lambda objs, user: {"post": objs["post"].pk, "reason": "Term ending"}),
    "appointments:vacancy-approval": Change(
        by_pk("vacancy"), APPROVERS, frozenset({"appointments_vacancy"}),
        body=lambda objs, user: {"decision": "approve", "note": ""}),
    "appointments:vacancy-advert": Change(
        by_pk("approved"), HR, frozenset({"appointments_vacancy"}),
        body=lambda objs, user: {"reference": "NHSJ-1", "where": "NHS Jobs",
                                 **date_fields("advertised_on", D(2026, 11, 2)),
                                 **date_fields("closes_on", D(2026, 11, 16))}),
    "appointments:vacancy-shortlist": Change(
        by_pk("advertised"), HR, frozenset({"appointments_applicantcount"}),
        body=lambda objs, user: {**date_fields("shortlisted_on", D(2026, 10, 20)),
                                 "applied_doctor": 4, "shortlisted_doctor": 2}),
    "appointments:vacancy-interview": Change(
        by_pk("shortlisted"), HR, frozenset({"appointments_vacancy"}),
        body=lambda objs, user: date_fields("interview_on", D(2026, 11, 10))),
    "appointments:vacancy-offer": Change(
        by_pk("interviewed"), HR, frozenset({"appointments_appointment", "appointments_vacancy"}),
        body=lambda objs, user: {"person": objs["candidate"].pk,
                                 **date_fields("start_date", D(2027, 1, 1))}),
    "appointments:vacancy-accept": Change(
        by_pk("offered"), HR, frozenset({"appointments_appointment", "appointments_vacancy"})),
    "appointments:vacancy-withdraw": Change(
        by_pk("vacancy"), HR, frozenset({"appointments_vacancy"}),
        body=lambda objs, user: {"reason": "The post is being redesigned"}),
    # 360° appraisals: HR start them; then each step belongs to the leader, the appraiser or HR.
    "appraisals:cycle-create": Change(
        appointment_pk("free"), HR, frozenset({"appraisals_cycle"}),
        body=lambda objs, user: {"appraiser": objs["admin"].pk,
                                 **date_fields("closes_on", D(2027, 1, 31)),
                                 "template_version": objs["cycle"].template_version_id}),
    "appraisals:self-assessment": Change(
        by_pk("cycle"), frozenset({"leader"}), frozenset({"appraisals_response"}),
        body=lambda objs, user: {**answers(objs["cycle"]), "keep_doing": "Listening",
                                 "submit": "1"}),
    "appraisals:nominate": Change(
        by_pk("cycle"), frozenset({"leader", "appraiser"}), frozenset({"appraisals_rater"}),
        body=lambda objs, user: {"group": "peer", "name": "New Peer",
                                 "email": "new.peer@nhs.example"}),
    "appraisals:remove-nomination": Change(rater_of("cycle", "rater"),
                                           frozenset({"leader", "appraiser"}),
                                           frozenset({"appraisals_rater"})),
    "appraisals:submit-nominations": Change(by_pk("cycle"), frozenset({"leader"}),
                                            frozenset({"appraisals_cycle"})),
    "appraisals:approve-nominations": Change(by_pk("approving"), frozenset({"appraiser"}),
                                             frozenset({"appraisals_cycle", "appraisals_rater"})),
    "appraisals:revoke": Change(rater_of("collecting", "invited"), HR | {"appraiser"},
                                frozenset({"appraisals_rater"})),
    "appraisals:close": Change(by_pk("collecting"), HR | {"appraiser"},
                               frozenset({"appraisals_cycle"})),
    "appraisals:redact": Change(comment, frozenset({"appraiser"}),
                                frozenset({"appraisals_redaction", "appraisals_response"}),
                                body=lambda objs, user: {"reason": "Names a colleague"}),
    "appraisals:release": Change(by_pk("closed"), frozenset({"appraiser"}),
                                 frozenset({"appraisals_cycle"})),
    "appraisals:outcome": Change(
        by_pk("released"), frozenset({"appraiser"}), frozenset({"appraisals_cycle"}),
        body=lambda objs, user: {**date_fields("meeting_on", D(2026, 11, 20)),
                                 "outcome": "satisfactory", "objectives": "Winter plan",
                                 "development_actions": ""}),
    "appraisals:sign-off": Change(by_pk("released"), frozenset({"leader", "appraiser"}),
                                  frozenset({"appraisals_cycle"})),
    # The rater's private link: whoever holds a working link answers, signed in or not; a
    # withdrawn link (the south's) answers nobody.
    "appraisals:rater": Change(
        rater_link, frozenset(EVERYONE | {"anonymous"}), frozenset({"appraisals_response"}),
        ok=200, public=True, south=frozenset(), done=_answered,
        body=lambda objs, user: {**answers(objs["collecting"]), "keep_doing": "Kind",
                                 "submit": "1"}),
    # The leadership survey: HR and the CMO/CNO office of the system open and close it; a
    # leader holding a working link answers, signed in or not; the south's link has been
    # answered already, and answers nobody.
    "surveys:survey-create": Change(
        by_pk("framework"), GOVERNORS,
        frozenset({"surveys_survey", "surveys_question", "surveys_invitation"}),
        body=lambda objs, user: {"year": "2027", **date_fields("closes_on", D(2027, 1, 31))}),
    "surveys:survey-close": Change(by_pk("open_survey"), GOVERNORS, frozenset({"surveys_survey"})),
    "surveys:answer": Change(
        survey_link, frozenset(EVERYONE | {"anonymous"}),
        frozenset({"surveys_response", "surveys_answer", "surveys_invitation"}), ok=200,
        public=True, south=frozenset(), done=_survey_answered, body=survey_answers),
    # Governance: HR and the CMO/CNO office keep their system's.
    "governance:seat-add": Change(
        by_pk("body"), GOVERNORS, frozenset({"governance_seat"}),
        body=lambda objs, user: {"post": objs["vacancy"].post_id, "role": "member",
                                 "capability": ""}),
    "governance:seat-remove": Change(seat, GOVERNORS, frozenset({"governance_seat"})),
    "governance:meeting-create": Change(
        by_pk("body"), GOVERNORS, frozenset({"governance_meeting", "governance_attendance"}),
        body=lambda objs, user: {"title": "November", **date_fields("held_on", D(2026, 11, 2)),
                                 **{f"seat_{pk}": "present"
                                    for pk in objs["body"].seats.values_list("pk", flat=True)}}),
    # A recorded meeting is corrected by who keeps the body, never by its chair.
    "governance:meeting-edit": Change(
        by_pk("meeting"), GOVERNORS, frozenset({"governance_attendance",
                                                "governance_historicalattendance"}),
        body=lambda objs, user: {"title": "October", "reason": "The minutes say present",
                                 **{f"attendance_{pk}": "present" for pk in
                                    objs["meeting"].attendances.values_list("pk", flat=True)}}),
    "governance:body-terms": Change(
        by_pk("body"), GOVERNORS, frozenset({"governance_body", "governance_quorumrule"}),
        body=lambda objs, user: {"terms_of_reference": "Agreed by the board",
                                 **date_fields("tor_reviewed_on", D(2026, 10, 1)),
                                 "fraction": "0.5", "minimum": "0", "executives": "1",
                                 "clinicians": "1", "lay_members": "0",
                                 "deputies_count": "on"}),
    "governance:action-create": Change(by_pk("framework"), GOVERNORS,
                                       frozenset({"governance_action"}),
                                       body=action_body("1.2")),
    "governance:action-edit": Change(by_pk("action"), GOVERNORS,
                                     frozenset({"governance_action"}), body=action_body("1.1")),
    # Declarations of interest: the person, or HR who keep their record, make a new return.
    "governance:interest-add": Change(by_pk("person"), HR | {"leader"}, DECLARED,
                                      body=lambda objs, user: interest_body()),
    "governance:interest-edit": Change(by_pk("interest"), HR | {"leader"}, DECLARED,
                                       body=lambda objs, user: interest_body()),
    "governance:interest-end": Change(
        by_pk("interest"), HR | {"leader"}, DECLARED,
        body=lambda objs, user: date_fields("to_date", D(2026, 11, 1))),
    "governance:declaration-confirm": Change(by_pk("person"), HR | {"leader"},
                                             frozenset({"governance_declarationreturn"})),
    # The Fit and Proper Person Test: HR record the checks, the holder attests (nobody for
    # another, an administrator included), the chair or an administrator signs off a complete
    # year, HR or the chair put a finding under review. The chair is whoever chairs a board the
    # post has a seat on (the walk's chair persona chairs the north board through a post, its
    # named_chair persona co-chairs it from a seat held by name, linked to their account).
    "governance:fppt-check": Change(
        fppt_check, HR, frozenset({"governance_fitandpropercheck"}),
        body=lambda objs, user: {"outcome": "satisfactory",
                                 **date_fields("checked_on", D(2026, 11, 2)),
                                 "evidence_reference": "HR/FPPT/7"}),
    "governance:fppt-attest": Change(by_pk("fppt"), frozenset({"leader"}),
                                     frozenset({"governance_fitandproperassessment"}),
                                     body=lambda objs, user: {"confirmed": "on"}),
    "governance:fppt-sign-off": Change(by_pk("fppt_ready"),
                                       frozenset({"admin", "chair", "named_chair"}), FPPT,
                                       body=lambda objs, user: {"outcome": "fit",
                                                                "reason": "All clear."}),
    "governance:fppt-review": Change(by_pk("fppt_signed"), HR | {"chair", "named_chair"}, FPPT,
                                     body=lambda objs, user: {"reason": "A new judgement."}),
    "governance:fppt-reference-create": Change(
        by_pk("left"), HR, frozenset({"governance_boardmemberreference"}),
        body=lambda objs, user: {
            "requested_by": "Another NHS Trust", **date_fields("requested_on", D(2026, 11, 2)),
            "sent_to": "Head of People", "roles_and_dates": "Medical Director, 2021 to 2024",
            "misconduct": "None", "investigations": "None", "disciplinary": "None",
            "concerns": "None", **date_fields("sent_on", D(2026, 11, 3))}),
    # The action's page takes progress updates.
    "governance:action-detail": Change(
        by_pk("action"), GOVERNORS, frozenset({"governance_actionupdate"}),
        body=lambda objs, user: {**date_fields("on", D(2026, 11, 20)), "status": "on_track",
                                 "note": "Draft published"}),
}

# Pages that change nothing, whatever is posted to them.
READ_ONLY = {
    "accessibility", "notification-list", "appointments:dashboard",
    "appointments:calendar-feed", "appointments:post-list", "appointments:duty-register",
    "appointments:post-detail",
    "appointments:person-list", "appointments:person-detail", "appointments:honorary-detail",
    "appointments:appointment-list",
    "appointments:appointment-detail", "appointments:bulk-progress", "appointments:bulk-result",
    "appointments:approval-detail",
    "appointments:import-template", "appointments:vacancy-list", "appointments:vacancy-detail",
    "appraisals:cycle-detail", "appraisals:report", "appraisals:report-pdf",
    "roles:job-description-history", "roles:job-description-version", "governance:index",
    "governance:body-list", "governance:body-detail", "governance:body-interests",
    "governance:investment",
    "governance:plan-list", "governance:action-plan", "governance:action-plan-pdf",
    "governance:register-index", "governance:register", "governance:register-csv",
    "governance:diversity", "governance:diversity-csv", "governance:diversity-pdf",
    "governance:declarations", "governance:person-declarations",
    "governance:register-interests", "governance:register-interests-csv",
    "governance:meeting-detail", "governance:fppt", "governance:fppt-detail",
    "governance:fppt-return-csv", "governance:fppt-return-pdf", "governance:fppt-reference",
    "surveys:survey-list", "surveys:survey-detail", "surveys:results",
    # The API's reads (its changes are walked with tokens in tests/test_access_walk_api.py).
    "api:schema", "api:docs", "api:register-list", "api:register-rows",
    *(f"api:{kind}-{view}" for kind in ("system", "organisation", "post", "person",
                                        "appointment", "vacancy", "body", "seat", "decision")
      for view in ("list", "detail") if (kind, view) != ("appointment", "list")),
}


# The API's changes take JSON with a token: tests/test_access_walk_api.py walks them.
WALKED_WITH_TOKENS = {"api:appointment-list", "api:appointment-extend", "api:appointment-end",
                      "api:appointment-decide-term-end", "api:decision-decide"}


def test_every_url_of_the_app_is_described_as_a_change_or_as_read_only():
    assert not set(CHANGES) & READ_ONLY
    described = set(CHANGES) | READ_ONLY | WALKED_WITH_TOKENS
    assert described == set(app_url_names()), (
        "Describe the new URL in CHANGES (with a valid body, who may, and what it writes) or, "
        f"if it changes nothing, in READ_ONLY: {sorted(set(app_url_names()) ^ described)}")


# --- the world: the GET walk's, with something at every stage to act on --------------------

RATERS = [("manager", 1), ("peer", 3), ("team", 3), ("partner", 3)]


def _nominate(cycle, leader, label):
    n = 0
    for group, count in RATERS:
        for _ in range(count):
            n += 1
            appraisals.nominate(cycle=cycle, group=group, name=f"Rater {label}{n}",
                                email=f"rater.{label}{n}@nhs.example", by=leader)


def _cycle_at(stage, appointment, *, leader, appraiser, by, label):
    """A cycle brought to ``stage`` by the services, as its people would."""
    cycle = appraisals.open_cycle(appointment=appointment, by=by, appraiser=appraiser)
    _nominate(cycle, leader, label)
    appraisals.submit_nominations(cycle=cycle, by=leader)
    if stage == Cycle.Stage.APPROVING:
        return cycle
    appraisals.approve_nominations(cycle=cycle, by=appraiser)
    if stage == Cycle.Stage.COLLECTING:
        return cycle
    every = {int(name[1:]): 3 for name in answers(cycle)}
    for rater in cycle.raters.filter(group="peer"):
        appraisals.save_rater_answers(rater=rater, answers=every, keep_doing="Listens well",
                                      submit=True)
    appraisals.close_cycle(cycle=cycle, by=appraiser)
    if stage == Cycle.Stage.CLOSED:
        return cycle
    appraisals.release_report(cycle=cycle, by=appraiser)
    appraisals.record_outcome(cycle=cycle, meeting_on=D(2026, 11, 20), outcome="satisfactory",
                              objectives="", development_actions="", by=appraiser)
    return cycle


def _vacancy_at(steps, post, *, person, by):
    """A vacancy taken through the first ``steps`` steps of recruitment by the services."""
    vacancy = services.open_vacancy(post=post, reason="", by=by)
    for step in [
        lambda v: services.override(request=services.request_for_vacancy(v),
                                    reason="Approved before the register", by=by).vacancy,
        lambda v: services.record_advert(vacancy=v, reference="R1", where="NHS Jobs",
                                         advertised_on=D(2026, 10, 1),
                                         closes_on=D(2026, 10, 15), by=by),
        lambda v: services.record_shortlisting(vacancy=v, shortlisted_on=D(2026, 10, 20),
                                               counts={"doctor": (4, 2)}, by=by),
        lambda v: services.record_interview(vacancy=v, interview_on=D(2026, 11, 1), by=by),
        lambda v: services.make_offer(vacancy=v, person=person, start_date=D(2027, 1, 1),
                                      by=by),
    ][:steps]:
        vacancy = step(vacancy)
    return vacancy


@pytest.fixture
def walk_world(world, admin_user):
    users, objects = world
    for side, objs in objects.items():
        trust, system, person = objs["post"].host_organisation, objs["system"], objs["person"]
        # The leader holds four posts at once, for the 360° steps; the bulk extension of them
        # all must fit under the system's commitment ceiling.
        system.commitment_ceiling_wte = 2
        system.save()
        # An import records its appointments as agreed outside the register: the route allows
        # it.
        route = services.route_for(system, "appointment")
        route.allows_outside_agreement = True
        route.save()
        leader, appraiser = person.user, objs["cycle"].appraiser

        def post(trust=trust, system=system):
            return PostFactory(host_organisation=trust, system=system)

        candidate = PersonFactory(substantive_employer=trust)

        def held(post, person=person):
            return AppointmentFactory(post=post, person=person, start_date=D(2024, 4, 1),
                                      end_date=D(2027, 3, 31))

        cycles = {"leader": leader, "appraiser": appraiser, "by": admin_user}
        # The world's cycle takes nominations: enough of them to submit.
        _nominate(objs["cycle"], leader, f"{side}-n")
        free = held(post())  # no cycle in progress: a new one may start
        collecting = _cycle_at(Cycle.Stage.COLLECTING, held(post()), label=f"{side}-c", **cycles)
        invited = list(collecting.raters.filter(status=Rater.Status.INVITED).order_by("pk"))
        link = f"walk-link-{side}"
        invited[1].token_hash = hash_token(link)
        invited[1].save()
        if side == "south":  # a withdrawn link opens nothing
            appraisals.revoke_rater(rater=invited[1], by=admin_user)
        closed = _cycle_at(Cycle.Stage.CLOSED, free, label=f"{side}-x", **cycles)
        # This year's survey, open; one of its links works in the north and has been used in
        # the south.
        open_survey, _ = surveys.open_survey(framework=objs["framework"], year=2026,
                                             closes_on=D(2026, 12, 21), by=admin_user)
        survey_link = f"walk-survey-link-{side}"
        Invitation.objects.filter(pk=open_survey.invitations.order_by("pk").first().pk).update(
            token_hash=hash_token(survey_link),
            status="invited" if side == "north" else "answered")
        objs.update(
            side=side, trust=trust, admin=admin_user, free=free, open_survey=open_survey,
            survey_link=survey_link,
            approving=_cycle_at(Cycle.Stage.APPROVING, held(post()), label=f"{side}-a",
                                **cycles),
            collecting=collecting, invited=invited[0], link=link, closed=closed,
            fppt_ready=_assessed(objs["appointment"], D(2025, 4, 1)),
            fppt_signed=_assessed(objs["appointment"], D(2024, 4, 1), signed_off_by=admin_user),
            comment=closed.responses.filter(is_self=False).order_by("pk").first(),
            released=_cycle_at(Cycle.Stage.RELEASED, free, label=f"{side}-r", **cycles),
            # Offers go to a candidate: the leader already holds all the time they may.
            candidate=candidate,
            **{key: _vacancy_at(steps, post(), person=candidate, by=admin_user) for key, steps in
               [("approved", 1), ("advertised", 2), ("shortlisted", 3), ("interviewed", 4),
                ("offered", 5)]})
    return users, objects


# --- the walk ---------------------------------------------------------------------------------

def _post(client, name, change, objs, user, in_reach):
    """POST a valid body in a savepoint rolled back afterwards: (response, tables written,
    whether it shows what a success shows)."""
    with transaction.atomic():
        url = change.url(name, objs, user, in_reach)
        if change.query:
            url += change.query(objs)
        body = change.body(objs, user)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, body)
        done = (change.done is None or not in_reach or response.status_code != change.ok
                or change.done(response, user))
        transaction.set_rollback(True)
    return response, tables_written(captured), done


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_change_answers_each_kind_of_user_as_it_should(client, walk_world, persona):
    users, objects = walk_world
    user = users[persona]
    if user is not None:
        client.force_login(user)
    sign_in = reverse("account_login")
    failures = []
    for name, change in CHANGES.items():
        for side in change.sides:
            in_reach = change.in_reach(persona, side)
            response, written, done = _post(client, name, change, objects[side], user, in_reach)
            status = response.status_code
            where = f"{name} ({side}) as {persona}"
            if persona == "anonymous" and not change.public:
                if status != 302 or not response.url.startswith(sign_in) or written:
                    failures.append(f"{where}: {status}, wrote {sorted(written)}; expected "
                                    "the sign-in page and nothing written")
            elif in_reach:
                if status != change.ok or not change.writes <= written or not done or (
                        status == 302 and response.url.startswith(sign_in)):
                    failures.append(f"{where}: {status}, wrote {sorted(written)}; expected "
                                    f"{change.ok} writing {sorted(change.writes)}")
            else:
                expected = change.page_status if persona in change.page else 404
                if status != expected or written:
                    failures.append(f"{where}: {status}, wrote {sorted(written)}; expected "
                                    f"{expected} and nothing written")
    assert not failures, "\n".join(failures)


def test_a_post_to_a_read_only_page_writes_nothing(client, world):
    users, objects = world
    client.force_login(users["admin"])
    failures = []
    for name in sorted(READ_ONLY):
        kind = RULES[name][0]
        url = _url(name, kind, objects["north"], users["admin"])
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                client.post(url, {"title": "x", "note": "x", "reason": "x"})
            transaction.set_rollback(True)
        if tables_written(captured):
            failures.append(f"{name} wrote {sorted(tables_written(captured))}")
    assert not failures, "\n".join(failures)


# A body can name objects too: one naming another system's is refused by the form, whatever the
# address. (The pages that name nothing in their address are walked with both systems' bodies
# above.) What to take from the south's objects, by URL:
FOREIGN = {
    "roles:post-edit": lambda south: {"system": south["system"].pk,
                                      "host_organisation": south["trust"].pk},
    "appointments:person-edit": lambda south: {"substantive_employer": south["trust"].pk},
    "appointments:honorary-create": lambda south: {
        "held_with": f"organisation:{south['trust'].pk}"},
    "appointments:honorary-edit": lambda south: {"held_with": f"system:{south['system'].pk}"},
    "appointments:appointment-create": lambda south: {"person": south["person"].pk},
    "appointments:vacancy-offer": lambda south: {"person": south["person"].pk},
    "appraisals:cycle-create": lambda south: {"appraiser": south["cycle"].appraiser_id},
    "governance:seat-add": lambda south: {"post": south["vacancy"].post_id},
    "governance:action-create": lambda south: {"priority": south["action"].priority_id,
                                               "owner_bodies": [south["body"].pk]},
    "governance:action-edit": lambda south: {"priority": south["action"].priority_id,
                                             "owner_posts": [south["post"].pk]},
}


@pytest.mark.parametrize("persona", ["hr", "cmo"])
def test_a_body_naming_another_systems_object_is_refused(client, walk_world, persona):
    users, objects = walk_world
    user, north, south = users[persona], objects["north"], objects["south"]
    client.force_login(user)
    failures = []
    tried = 0
    for name, foreign in FOREIGN.items():
        change = CHANGES[name]
        if not change.in_reach(persona, "north"):
            continue
        tried += 1
        with transaction.atomic():
            url = change.url(name, north, user, True)
            body = {**change.body(north, user), **foreign(south)}
            with CaptureQueriesContext(connection) as captured:
                response = client.post(url, body)
            transaction.set_rollback(True)
        written = tables_written(captured)
        if response.status_code != 200 or written:
            failures.append(f"{name} as {persona}: {response.status_code}, wrote "
                            f"{sorted(written)}; expected the form back and nothing written")
    assert tried and not failures, "\n".join(failures)


# --- only the right approver agrees -----------------------------------------------------------

def test_only_the_cmo_office_agrees_an_extension_or_approves_recruitment(client, walk_world):
    users, objects = walk_world
    north = objects["north"]
    decision, vacancy, party = north["decision"], north["vacancy"], north["party"]
    agree = reverse("appointments:approval-decide", args=[party.pk])
    approve = reverse("appointments:vacancy-approval", args=[vacancy.pk])
    for persona in ("hr", "admin", "leader"):
        client.force_login(users[persona])
        assert client.post(agree, {"decision": "agree"}).status_code == 404, persona
        assert client.post(approve, {"decision": "approve", "note": ""}).status_code == 404
    decision.refresh_from_db()
    vacancy.refresh_from_db()
    assert decision.status == TermEndDecision.Status.PENDING and decision.extension is None
    assert vacancy.approval == Vacancy.Approval.REQUESTED
    # Nor can HR (or an administrator, who overrides instead) agree by calling the services,
    # or by proposing an extension themselves.
    for persona in ("hr", "admin"):
        with pytest.raises(PermissionDenied):
            services.agree_extension(decision=decision, by=users[persona])
        with pytest.raises(PermissionDenied):
            services.decide_approval(vacancy=vacancy, approve=True, note="", by=users[persona])
    own = services.decide_term_end(appointment=north["free"], outcome="extend",
                                   proposed_end_date=D(2027, 9, 30), by=users["hr"])
    assert own.status == TermEndDecision.Status.PENDING
    assert not Extension.objects.filter(appointment=north["free"]).exists()
    # The CMO/CNO office of the north agrees; the south's office is not theirs to agree.
    client.force_login(users["cmo"])
    assert client.post(agree, {"decision": "agree"}).status_code == 302
    assert client.post(approve, {"decision": "approve", "note": ""}).status_code == 302
    decision.refresh_from_db()
    vacancy.refresh_from_db()
    assert decision.status == TermEndDecision.Status.AGREED and decision.extension is not None
    assert vacancy.approval == Vacancy.Approval.APPROVED
    south = objects["south"]
    assert client.post(reverse("appointments:approval-decide", args=[south["party"].pk]),
                       {"decision": "agree"}).status_code == 404


def test_on_a_joint_route_only_each_partys_approver_decides_for_it(client, walk_world):
    """The CMO and the CNO each decide for their own party, and for no other; nobody else
    decides for either; the extension is made only once both have agreed."""
    users, objects = walk_world
    north = objects["north"]
    cno = with_totp(grant(UserFactory(email="cno.walk@example.org"), access.VIEW,
                          north["system"]))
    route = services.route_for(north["system"], "extension")
    route.parties.update(name="Chief Medical Officer", decided_by="users")
    route.parties.get().users.set([users["cmo"]])
    cno_party = route.parties.create(name="Chief Nursing Officer", decided_by="users",
                                     position=1)
    cno_party.users.set([cno])
    asked = services.request_extension(appointment=north["free"], new_end_date=D(2027, 9, 30),
                                       reason="Winter cover", by=users["hr"])
    cmo_decision = asked.decisions.get(name="Chief Medical Officer")
    cno_decision = asked.decisions.get(name="Chief Nursing Officer")
    urls = {"cmo": reverse("appointments:approval-decide", args=[cmo_decision.pk]),
            "cno": reverse("appointments:approval-decide", args=[cno_decision.pk])}
    deciders = {"cmo": users["cmo"], "cno": cno}
    for persona in ["admin", "hr", "leader", "appraiser", "outsider"]:
        client.force_login(users[persona])
        for url in urls.values():
            assert client.get(url).status_code == 404, persona
            assert client.post(url, {"decision": "agree"}).status_code == 404, persona
    for who, other in (("cmo", "cno"), ("cno", "cmo")):
        client.force_login(deciders[who])
        assert client.post(urls[other], {"decision": "agree"}).status_code == 404
    assert set(asked.decisions.values_list("status", flat=True)) == {"pending"}
    client.force_login(users["cmo"])
    assert client.post(urls["cmo"], {"decision": "agree"}).status_code == 302
    assert not Extension.objects.filter(appointment=north["free"]).exists()
    client.force_login(cno)
    assert client.post(urls["cno"], {"decision": "agree"}).status_code == 302
    extension = Extension.objects.get(appointment=north["free"])
    assert extension.new_end_date == D(2027, 9, 30)
    assert "Chief Medical Officer" in extension.agreed_by
    assert "Chief Nursing Officer" in extension.agreed_by


def test_only_the_appraiser_releases_and_a_refused_step_says_nothing_happened(client,
                                                                             walk_world):
    """A step refused for who is asking answers 404, never a redirect that looks like a
    success, and the service refuses it too (docs/adr/0003)."""
    users, objects = walk_world
    closed = objects["north"]["closed"]
    client.force_login(users["hr"])
    response = client.post(reverse("appraisals:release", args=[closed.pk]))
    assert response.status_code == 404
    closed.refresh_from_db()
    assert closed.stage == Cycle.Stage.CLOSED
    with pytest.raises(PermissionDenied):
        appraisals.release_report(cycle=closed, by=users["hr"])
    client.force_login(users["appraiser"])
    assert client.post(reverse("appraisals:release", args=[closed.pk])).status_code == 302
    closed.refresh_from_db()
    assert closed.stage == Cycle.Stage.RELEASED
