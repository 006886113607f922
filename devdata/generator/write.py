"""Writing a planned register, in dependency order: every model with history through
``bulk_create_with_history`` as the generator user, so every row has its "created" record, and
the many-to-many links with the same rows in that record's history."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from appointments.models import Appointment, BulkChange, EqualityProfile, Extension, Person
from devdata import reference
from governance import fppt
from governance.models import (
    ATTESTATION,
    Attendance,
    Body,
    DeclarationReturn,
    FitAndProperAssessment,
    FitAndProperCheck,
    FitnessDecision,
    FitnessOutcome,
    Interest,
    Meeting,
    QuorumRule,
    Seat,
)
from governance.services import members_on
from roles.models import (
    EstablishmentBudget,
    Function,
    Organisation,
    Post,
    RoleType,
    StatutoryDuty,
    System,
)

from .catalogue import (
    BATCH,
    CHANGE_REASON,
    EMAIL_DOMAIN,
    GENERATED_BODIES,
    HCPC_PREFIXES,
    SHORT_NAME_PREFIX,
)


class Recorder:
    """Writes rows in batches with their history, as one user, and counts what it wrote: rows
    per kind (in the order written) and history rows."""

    def __init__(self, by):
        self.by = by
        self.counts = {}
        self.history_rows = 0

    def create(self, model, objs):
        created = []
        for start in range(0, len(objs), BATCH):
            created += bulk_create_with_history(
                objs[start:start + BATCH], model, batch_size=BATCH, default_user=self.by,
                default_change_reason=CHANGE_REASON)
        self.counts[model._meta.verbose_name_plural] = len(created)
        self.history_rows += len(created)
        return created

    def links(self, model, m2m, rows, label):
        """Many-to-many rows, and the same rows in the history of each object's "created"
        record, so its history shows them."""
        through = getattr(model, m2m).through
        created = through.objects.bulk_create(rows, batch_size=BATCH)
        own = getattr(model, m2m).field.m2m_field_name()
        history_ids = {}
        owner_ids = sorted({getattr(row, f"{own}_id") for row in created})
        for start in range(0, len(owner_ids), BATCH):
            history_ids.update(
                model.history.filter(id__in=owner_ids[start:start + BATCH], history_type="+")
                .values_list("id", "history_id"))
        historical = getattr(model.history.model, m2m).model
        other = getattr(model, m2m).field.m2m_reverse_field_name()
        historical.objects.bulk_create([
            historical(history_id=history_ids[getattr(row, f"{own}_id")], id=row.pk,
                       **{f"{own}_id": getattr(row, f"{own}_id"),
                          f"{other}_id": getattr(row, f"{other}_id")})
            for row in created
        ], batch_size=BATCH)
        self.counts[label] = len(created)
        self.history_rows += len(created)


def write(plan, by):
    """Write the plan as ``by``, with the reference data it names. Returns the recorder, with
    what was written."""
    reference.load()  # role types, the ten functions, statutory duties
    recorder = Recorder(by)
    systems = _write_systems(recorder, plan)
    organisations = _write_organisations(recorder, plan, systems)
    budgets = _write_budgets(recorder, plan, systems)
    posts = _write_posts(recorder, plan, systems, organisations, budgets)
    _write_governance(recorder, systems, posts)
    people = _write_people(recorder, plan, organisations)
    _write_appointments(recorder, plan, posts, people)
    _connect_responsible_officers()
    _write_meetings(recorder, systems, plan.today)
    _write_declarations(recorder, systems, plan.today)
    _write_fppt(recorder, plan.today)
    return recorder


def _write_fppt(recorder, today):
    """For every holder of a board post: last year's Fit and Proper Person Test complete
    (signed off by the generator, standing in for the chair) and this year's open, every third
    one with a check still to record. The generated people have no accounts, so the generator
    user also stands in for the holder's attestation."""
    holders = list(Appointment.objects.in_force(today)
                   .filter(post__role_type__is_board_level=True,
                           post__system__short_name__startswith=SHORT_NAME_PREFIX)
                   .order_by("pk"))
    by, at = recorder.by, timezone.now()
    assessments, complete = [], set()
    for appointment in holders:
        kind, due = fppt.year_due(appointment, today)
        if kind == FitAndProperAssessment.Kind.NOT_REQUIRED:
            continue
        last = due - relativedelta(years=1)
        if last >= appointment.start_date:
            complete.add((appointment.pk, last))
            assessments.append(FitAndProperAssessment(
                appointment=appointment, kind=FitAndProperAssessment.Kind.ANNUAL, due_on=last,
                attested_at=at, attested_by=by, attestation=ATTESTATION, signed_off_at=at,
                signed_off_by=by, signed_off_as="Administrator", outcome=FitnessOutcome.FIT))
        assessments.append(FitAndProperAssessment(appointment=appointment, kind=kind,
                                                  due_on=due))
    assessments = FitAndProperAssessment.objects.bulk_create(assessments, batch_size=BATCH)
    recorder.counts["FPPT assessments"] = len(assessments)
    checks = []
    for index, assessment in enumerate(assessments):
        done = (assessment.appointment_id, assessment.due_on) in complete
        for item in FitAndProperCheck.Item.values:
            if done or index % 3 or item != FitAndProperCheck.Item.SOCIAL_MEDIA:
                checks.append(FitAndProperCheck(
                    assessment=assessment, item=item, checked_by=by,
                    outcome=FitAndProperCheck.Outcome.SATISFACTORY,
                    checked_on=assessment.due_on - datetime.timedelta(days=20),
                    evidence_reference="" if item == FitAndProperCheck.Item.DBS
                    else f"GEN/{assessment.pk}/{item}"))
    recorder.create(FitAndProperCheck, checks)
    decisions = FitnessDecision.objects.bulk_create([
        FitnessDecision(assessment=a, outcome=FitnessOutcome.FIT, reason="Generated",
                        by=by, by_authority="Administrator", at=at)
        for a in assessments if a.signed_off_at], batch_size=BATCH)
    recorder.counts["FPPT decisions"] = len(decisions)


def _connect_responsible_officers():
    """Whoever holds a Responsible Officer post has their prescribed connection to its
    organisation (appointments/duties.py): one update per organisation."""
    held = (Appointment.objects.filter(post__statutory_duties__eligibility="licensed_doctor")
            .values_list("post__host_organisation_id", "person_id"))
    by_organisation = {}
    for organisation_id, person_id in held:
        by_organisation.setdefault(organisation_id, set()).add(person_id)
    for organisation_id, people in by_organisation.items():
        Person.objects.filter(pk__in=people).update(designated_body_id=organisation_id)


def _write_systems(recorder, plan):
    return recorder.create(System, [
        System(name=f"{name} Integrated Care System",
               short_name=f"{SHORT_NAME_PREFIX}-{code}", kind=System.Kind.ICS)
        for code, name, _ in plan.systems])


def _write_organisations(recorder, plan, systems):
    created = recorder.create(Organisation, [
        Organisation(name=o.name, kind=o.kind, ods_code=o.ods_code)
        for o in plan.organisations])
    through = Organisation.systems.through
    recorder.links(Organisation, "systems", [
        through(organisation_id=org.pk, system_id=systems[s].pk)
        for org, planned in zip(created, plan.organisations, strict=True)
        for s in planned.systems
    ], "organisation partnerships")
    return created


def _write_budgets(recorder, plan, systems):
    """An envelope for each budget group, sized from the posts it covers."""
    totals = defaultdict(lambda: [Decimal(0), 0])
    for post in plan.posts:
        if post.budget and post.disestablished_on is None:
            totals[post.budget][0] += Decimal(post.wte_tenths) / 10
            totals[post.budget][1] += post.honorarium or 0
    r = random.Random(len(totals))  # noqa: S311 - envelopes only need to vary
    keys = sorted(totals)
    # Most envelopes cover their posts; some are over-established, as the register shows.
    factors = [r.choice([Decimal("0.9"), Decimal("1.0"), Decimal("1.0"), Decimal("1.2")])
               for _ in keys]
    created = recorder.create(EstablishmentBudget, [
        EstablishmentBudget(
            system=systems[key[0]], name=key[1],
            wte_envelope=(totals[key][0] * factor).quantize(Decimal("0.1")),
            honorarium_envelope=(Decimal(totals[key][1]) * factor).quantize(Decimal(1))
            if totals[key][1] else None)
        for key, factor in zip(keys, factors, strict=True)])
    return dict(zip(keys, created, strict=True))


def _write_posts(recorder, plan, systems, organisations, budgets):
    """Posts level by level down the "responsible to" chains, so each row can name the post
    above it; then their functions and statutory duties."""
    role_types = {rt.name: rt for rt in RoleType.objects.all()}
    created = [None] * len(plan.posts)
    for depth in range(max(p.depth for p in plan.posts) + 1):
        level = [p for p in plan.posts if p.depth == depth]
        rows = [Post(
            title=p.title, reference=p.reference, role_type=role_types[p.role],
            system=systems[p.system], host_organisation=organisations[p.host],
            wte=Decimal(p.wte_tenths) / 10,
            honorarium=Decimal(p.honorarium) if p.honorarium else None,
            honorarium_is_pool=bool(p.honorarium and p.job_share),
            default_term_months=p.term_months,
            responsible_to=created[p.parent] if p.parent is not None else None,
            job_share_allowed=p.job_share, spatial_level=p.spatial_level,
            budget=budgets.get(p.budget) if p.budget else None,
            is_published=p.is_published, created_on=p.created_on,
            disestablished_on=p.disestablished_on,
        ) for p in level]
        for p, post in zip(level, recorder.create(Post, rows), strict=True):
            created[p.index] = post
    recorder.counts[Post._meta.verbose_name_plural] = len(created)
    _write_post_links(recorder, plan, created)
    return created


def _write_post_links(recorder, plan, posts):
    functions = list(Function.objects.order_by("order", "name"))  # planned by position
    duties = {d.name: d for d in StatutoryDuty.objects.all()}
    through = Post.functions.through
    recorder.links(Post, "functions", [
        through(post_id=posts[p.index].pk, function_id=functions[f].pk)
        for p in plan.posts for f in p.functions], "post functions")
    through = Post.statutory_duties.through
    recorder.links(Post, "statutory_duties", [
        through(post_id=posts[p.index].pk, statutoryduty_id=duties[d].pk)
        for p in plan.posts for d in p.duties], "post statutory duties")


def _write_governance(recorder, systems, posts):
    """A few bodies in each system, with seats for its leadership posts (what the public
    register shows as "sits on")."""
    bodies = recorder.create(Body, [Body(system=system, name=name, kind=kind)
                                    for system in systems for name, kind in GENERATED_BODIES])
    by_system = defaultdict(list)
    for body in bodies:
        by_system[body.system_id].append(body)
    seats = []
    for index, post in enumerate(posts):
        if post.disestablished_on:
            continue
        board, quality, group, programmes = by_system[post.system_id]
        if post.role_type.is_board_level:
            clinical = post.role_type.name in CLINICAL_CHIEFS
            seats.append(Seat(body=board, post=post, capability="Executive leadership",
                              voting=True, executive=True, clinical=clinical,
                              role=Seat.Role.CHAIR if post.role_type.name == "Chief Executive"
                              else Seat.Role.MEMBER))
            seats.append(Seat(body=group, post=post, role=Seat.Role.CO_CHAIR))
            if clinical:
                seats.append(Seat(body=quality, post=post, role=Seat.Role.CO_CHAIR,
                                  capability="Quality and safety", voting=True, clinical=True,
                                  executive=True))
        elif index % 3 == 0:
            seats.append(Seat(body=group, post=post))
        elif index % 7 == 1:
            seats.append(Seat(body=programmes, post=post, voting=True, clinical=True))
        elif index % 11 == 2:
            seats.append(Seat(body=quality, post=post, capability="Quality and safety",
                              voting=True, clinical=True))
    recorder.create(Seat, seats)


CLINICAL_CHIEFS = ("Chief Medical Officer", "Chief Nursing Officer")
MEETINGS_A_YEAR = 6
ATTENDANCE = [("present", 80), ("apologies", 10), ("deputy", 5), ("absent", 5)]


def _write_meetings(recorder, systems, today):
    """Every board's quorum rule (half its voting members, including an executive and a
    clinician) and a year of meetings, every other month, with the attendance of whoever held
    each seat that day: mostly present, some apologies, deputies and absences, so that some
    meetings are not quorate."""
    boards = list(Body.objects.filter(system__in=systems, kind=Body.Kind.BOARD).order_by("pk"))
    recorder.create(QuorumRule, [QuorumRule(body=board, fraction=Decimal("0.5"), executives=1,
                                            clinicians=1) for board in boards])
    r = random.Random(len(boards))  # noqa: S311 - numbers only need to vary
    statuses, weights = zip(*ATTENDANCE, strict=True)
    meetings, rows = [], []
    for board in boards:
        for n in range(MEETINGS_A_YEAR):
            held_on = today - datetime.timedelta(days=61 * (MEETINGS_A_YEAR - n) - 3)
            meeting = Meeting(body=board, held_on=held_on, recorded_by=recorder.by,
                              title=f"{board.name} meeting in public")
            meetings.append(meeting)
            for seat, member, person in members_on(board, held_on):
                status = r.choices(statuses, weights)[0]
                rows.append((meeting, Attendance(
                    seat=seat, person=person, member=member, seat_title=seat.title,
                    voting=seat.voting, executive=seat.executive, clinical=seat.clinical,
                    lay=seat.lay, status=status,
                    deputy_name="A named deputy" if status == "deputy" else "")))
    recorder.create(Meeting, meetings)
    for meeting, attendance in rows:
        attendance.meeting = meeting
    recorder.create(Attendance, [attendance for _, attendance in rows])


INTEREST_KINDS = ["financial", "professional", "personal", "indirect"]


def _write_declarations(recorder, systems, today):
    """Declarations of interest of the leaders in post today: most declared this year after
    their latest term started (some with an interest or two, the rest a nil return), some a
    year or more ago (their annual return is overdue), and some never (due on appointment)."""
    in_force = (Appointment.objects.in_force(today).filter(post__system__in=systems)
                .values("person").annotate(latest=models.Max("start_date")).order_by("person"))
    r = random.Random(len(in_force))  # noqa: S311 - numbers only need to vary
    returns, interests = [], []
    for row in in_force:
        roll = r.random()
        if roll < 0.1:
            continue  # never declared
        earliest = max(row["latest"], today - datetime.timedelta(days=360))
        if roll < 0.2:  # a year or more ago: overdue
            made_on = today - datetime.timedelta(days=r.randint(370, 500))
        else:
            made_on = earliest + datetime.timedelta(days=r.randint(0, (today - earliest).days))
        made = DeclarationReturn(person_id=row["person"], made_on=made_on, reason="annual",
                                 recorded_by=recorder.by, on_behalf=True)
        count = r.choice([0, 0, 1, 2])
        made.is_nil = not count
        returns.append(made)
        for k in range(count):
            interests.append((made, Interest(
                kind=r.choice(INTEREST_KINDS), organisation=f"Example Partner {r.randint(1, 500)}",
                description="Adviser" if k else "Trustee", from_date=made_on
                - datetime.timedelta(days=r.randint(30, 2000)), publish=r.random() < 0.5,
                first_declared_on=made_on)))
    DeclarationReturn.objects.bulk_create(returns, batch_size=BATCH)
    for made, interest in interests:
        interest.declaration_return = made
    Interest.objects.bulk_create([interest for _, interest in interests], batch_size=BATCH)
    recorder.counts["declarations of interest"] = len(returns)
    recorder.counts["interests declared"] = len(interests)


def _write_people(recorder, plan, organisations):
    r = random.Random(len(plan.people))  # noqa: S311 - numbers only need to vary
    rows = []
    for n, p in enumerate(plan.people, start=1):
        body, number = _registration(p.profession, r)
        local = f"{p.given}.{p.family}.{n}".lower()
        rows.append(Person(
            given_name=p.given, family_name=p.family, work_email=f"{local}@{EMAIL_DOMAIN}",
            phone=f"07700 900{n % 1000:03d}" if n % 2 else "",  # Ofcom's drama numbers
            profession=p.profession, registration_body=body, registration_number=number,
            substantive_employer=organisations[p.employer], consent_to_publish=p.consent,
            licence_to_practise=p.profession == "doctor",
            designated_body=organisations[p.employer] if p.profession == "doctor" else None))
    created = recorder.create(Person, rows)
    EqualityProfile.objects.bulk_create([
        EqualityProfile(person=created[index], **fields)
        for index, fields in sorted(plan.equality.items())], batch_size=BATCH)
    recorder.counts["equality profiles"] = len(plan.equality)
    return created


def _registration(profession, r):
    """A registration in the regulator's format (validated by the model)."""
    match profession:
        case "doctor" | "physician_associate":
            return "GMC", f"{r.randint(2000000, 7999999)}"
        case "nurse" | "midwife":
            return "NMC", (f"{r.randint(10, 99)}{r.choice('ABCDEFGHJ')}{r.randint(1000, 9999)}"
                           f"{r.choice('ABCDEFGHJKLMN')}")
        case "ahp":
            return "HCPC", f"{r.choice(HCPC_PREFIXES)}{r.randint(10000, 999999)}"
        case "psychologist":
            return "HCPC", f"PY{r.randint(10000, 99999)}"
        case "healthcare_scientist":
            return "HCPC", f"CS{r.randint(10000, 99999)}"
        case "pharmacist":
            return "GPhC", f"{r.randint(2000000, 2099999)}"
        case "dentist":
            return "GDC", f"{r.randint(50000, 299999)}"
        case "optometrist":
            return "GOC", f"01-{r.randint(10000, 39999)}"
        case "social_worker":
            return "SWE", f"SW{r.randint(1000, 99999)}"
    return "", ""


def _write_appointments(recorder, plan, posts, people):
    """The bulk changes, the appointments, their extensions (some made by a bulk change), and
    which appointments each bulk change covered."""
    at = _recorded_at()
    changes = _write_bulk_changes(recorder, plan, at)
    created = recorder.create(Appointment, [
        _appointment(a, posts[a.post], people[a.person], recorder.by, at)
        for a in plan.appointments])
    recorder.create(Extension, [
        Extension(appointment=appointment, number=number, old_end_date=e.old_end,
                  new_end_date=e.new_end, reason=e.reason, agreed_by=e.agreed_by,
                  agreed_on=e.agreed_on, recorded_by=recorder.by,
                  recorded_at=at(e.agreed_on + datetime.timedelta(days=2)),
                  bulk_change=changes.get(e.wave) if e.wave is not None else None)
        for a, appointment in zip(plan.appointments, created, strict=True)
        for number, e in enumerate(a.extensions, start=1)
    ])
    index = {id(a): appointment
             for a, appointment in zip(plan.appointments, created, strict=True)}
    through = BulkChange.appointments.through
    through.objects.bulk_create([
        through(bulkchange_id=changes[w].pk, appointment_id=index[key].pk)
        for w in changes
        for key in dict.fromkeys(id(a) for a in plan.waves[w].members)
    ], batch_size=BATCH)


def _recorded_at():
    """When something that happened on a planned day was recorded: at an hour of that day, but
    never later than now."""
    zone = timezone.get_current_timezone()
    now = timezone.now()

    def at(day, hour=10):
        return min(datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone), now)

    return at


def _write_bulk_changes(recorder, plan, at):
    """The waves that touched any appointment. Returns them by wave index."""
    waves = [(w, wave) for w, wave in enumerate(plan.waves) if wave.members]
    changes = BulkChange.objects.bulk_create([
        BulkChange(kind=wave.kind, on_date=wave.on_date, reason=wave.reason,
                   agreed_by=wave.agreed_by, agreed_on=wave.agreed_on, recorded_by=recorder.by,
                   recorded_at=at(wave.agreed_on, 16),
                   appointment_count=len({id(a) for a in wave.members}))
        for _, wave in waves])
    recorder.counts["bulk changes"] = len(changes)
    return dict(zip([w for w, _ in waves], changes, strict=True))


def _appointment(a, post, person, by, at):
    closed = a.status in Appointment.CLOSED
    return Appointment(
        post=post, person=person, contract_type=a.contract_type, start_date=a.start,
        end_date=a.end,
        wte=Decimal(a.wte_hundredths) / 100, honorarium_share=Decimal(a.share),
        status=a.status,
        agreement_parties=f"Appointee, {post.host_organisation.name}",
        scheduled_end_date=a.scheduled_end, end_reason=a.end_reason,
        end_recorded_at=at(a.recorded_on) if closed else None,
        end_recorded_by=by if closed else None,
        created_at=at(a.start - datetime.timedelta(days=45)),
    )
