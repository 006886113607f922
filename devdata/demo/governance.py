"""Governance and recruitment for the demo worlds: the Gloucestershire council and its 20-action
plan (the counts by priority and term of its framework, and its owners, most of them the CMO and
CNO jointly), the south-east London boards and leadership group whose seats are filled by the
function leads, the Wye Valley trust board on which the Chief Medical Officer votes, and
north-central London's phased recruitment to its new leadership model.

Loaded once per system: a system that already has governance bodies is left alone."""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from appointments.models import ApplicantCount, Appointment, Vacancy
from governance.models import (
    Action,
    ActionUpdate,
    Attendance,
    Body,
    DeclarationReturn,
    Framework,
    Interest,
    Meeting,
    Priority,
    QuorumRule,
    Seat,
    Status,
)
from governance.services import members_on
from roles.models import Post, System

K = Body.Kind

PRIORITIES = [
    "A full range of professionals are integrated into decision making",
    "A culture that embraces shared learning and supports collaboration",
    "Leaders have protected time, support and infrastructure for their roles",
    "Dedicated leadership development for clinical and care professional leads",
    "Transparent recruitment and a diverse talent pipeline for future leaders",
]
# (reference, term, owners, action, status), as seed 002's plan gives them: "CMO / CNO" owns
# jointly, "Directors of People (with CMO and CNO)" is three owners.
ACTIONS = [
    ("1.1", "short", "cmo cno", "Publish who holds the clinical and care professional lead roles "
     "and where they take part in decision making, with a yearly diversity analysis.",
     "complete"),
    ("1.2", "short", "cmo cno", "Review the purpose, membership and links of the clinical and care "
     "groups, the professional council included.", "complete"),
    ("1.3", "medium", "cmo cno", "Build two-way communication with the leads, such as a virtual "
     "practitioner forum.", "on_track"),
    ("1.4", "medium", "council", "Help under-represented professions build their own voice, "
     "following the allied health professions' model.", "at_risk"),
    ("1.5", "medium", "icb", "Make sure the clinical and care voice runs through the five-year "
     "strategy.", "on_track"),
    ("2.1", "long", "cmo cno", "Run a yearly temperature check of the leads against the five "
     "priorities and share the results.", "not_started"),
    ("2.2", "medium", "programme_board", "Review how programme groups co-produce with people "
     "with lived experience.", "on_track"),
    ("2.3", "short", "people cmo cno", "Agree shared values and behaviours for leaders, for use "
     "in job descriptions and appraisals.", "complete"),
    ("2.4", "long", "cmo cno", "Work with local government on supporting collaboration between "
     "leads and elected members.", "not_started"),
    ("3.1", "medium", "cmo cno", "Design the long-term structure of leadership roles, with aligned "
     "terms and role descriptions at several levels.", "off_track"),
    ("3.2", "medium", "finance", "Publish named link roles in analytics, finance and programme "
     "teams for each transformation programme.", "at_risk"),
    ("3.3", "medium", "cmo cno", "Recruit to the remaining leadership vacancies from a wider range "
     "of professions, with shadowing for aspiring leaders.", "on_track"),
    ("4.1", "medium", "people", "Set out the learning and development offer within the people "
     "strategy.", "on_track"),
    ("4.2", "medium", "people", "Review and strengthen mentoring and coaching for current and "
     "aspiring leaders.", "on_track"),
    ("4.3", "medium", "cmo cno", "Strengthen induction, objectives and appraisal for the leads, "
     "with clear accountability.", "at_risk"),
    ("4.4", "long", "people", "Make development opportunities easy to find, in a simple guide "
     "or web page.", "not_started"),
    ("5.1", "medium", "executive", "Make every advertised leadership role accountable to the "
     "CMO/CNO, who approve recruitment.", "complete"),
    ("5.2", "long", "cmo cno", "Review the standard job description every year, towards "
     "values-based recruitment from diverse professions.", "not_started"),
    ("5.3", "medium", "executive", "Advertise every leadership role openly with the standard job "
     "description, to all professions.", "on_track"),
    ("5.4", "long", "cmo cno", "Learn from recruitment and from leaders who leave, to shape future "
     "roles.", "not_started"),
]
MONTHS = {"short": 6, "medium": 12, "long": 18}


def load(b):
    glos = System.objects.filter(short_name="GLOS").first()
    if glos and not glos.bodies.exists():
        _gloucestershire(b, glos)
    sel = System.objects.filter(short_name="SEL").first()
    if sel and not sel.bodies.exists():
        _south_east_london(b, sel)
    hw = System.objects.filter(short_name="HW").first()
    if hw and not hw.bodies.exists():
        _trust_board(b, hw)
    ncl = System.objects.filter(short_name="NCL").first()
    if ncl and not Vacancy.objects.filter(post__system=ncl).exists():
        _north_central_london_recruitment(b, ncl)
    _declarations(b)
    if hw:
        _trust_board_meetings(b, hw)
    if sel:
        _icb_board_meetings(b, sel)


# Declarations of interest of the chief officers of seeds 003 and 004 (fictional interests):
# (system, post title, [(months ago, reason, [interest keys that return declares])]); an
# interest key names (kind, organisation, description, how it is managed, published, ended
# months ago or None).
INTERESTS = {
    "advisory": ("financial", "Northfield Diagnostics Ltd", "Paid clinical adviser, two days a "
                 "year", "Takes no part in decisions on diagnostic contracts", True, None),
    "advisory_ended": ("financial", "Northfield Diagnostics Ltd", "Paid clinical adviser, two "
                       "days a year", "Took no part in decisions on diagnostic contracts",
                       True, 2),
    "college": ("professional", "A royal college of the profession", "Elected council member",
                "Declared at the start of any item on workforce standards", True, None),
    "hospice": ("personal", "Riverside Hospice (a charity)", "Unpaid trustee",
                "Leaves the meeting for any item about the hospice", False, None),
    "spouse": ("indirect", "Meridian Medical Supplies Ltd", "Spouse is a non-executive "
               "director", "Takes no part in procurement of medical supplies", False, None),
}
DECLARATIONS = [
    ("SEL", "Chief Medical Officer", [(14, "annual", ["advisory", "college", "hospice"]),
                                      (2, "change", ["advisory_ended", "college", "hospice"])]),
    ("SEL", "Chief Nursing Officer", [(13, "annual", [])]),  # overdue: shows on the list
    ("HW", "Chief Medical Officer", [(38, "appointment", ["college"]),
                                     (10, "annual", ["college", "spouse"])]),
]


def _declarations(b):
    """Returns made on past days, written as the services would have written them (each a
    full list of what was declared that day), for people who have made none yet."""
    for short_name, title, returns in DECLARATIONS:
        holder = (Appointment.objects.in_force(b.today)
                  .filter(post__system__short_name=short_name, post__title=title)
                  .select_related("person").first())
        if holder is None or DeclarationReturn.objects.filter(person=holder.person).exists():
            continue
        first = {}
        for months, reason, keys in returns:
            made_on = b.today - relativedelta(months=months)
            made = DeclarationReturn.objects.create(
                person=holder.person, made_on=made_on, reason=reason, is_nil=not keys,
                recorded_by=b.loader, on_behalf=True)
            for key in keys:
                kind, organisation, description, managed, publish, ended = INTERESTS[key]
                since = first.setdefault(organisation, made_on)
                Interest.objects.create(
                    declaration_return=made, kind=kind, organisation=organisation,
                    description=description, action_taken=managed, publish=publish,
                    from_date=since - relativedelta(years=2), first_declared_on=since,
                    to_date=b.today - relativedelta(months=ended) if ended else None)


def _body(b, system, name, kind, reports_to=None, level="system", purpose=""):
    return b._save(Body(system=system, name=name, kind=kind, reports_to=reports_to,
                        spatial_level=level, purpose=purpose))


def _seat(b, body, post, role=Seat.Role.MEMBER, capability="", voting=False):
    return b._save(Seat(body=body, post=post, role=role, capability=capability, voting=voting))


def _chief(b, system, title, profession):
    """The system's chief officer of that title, made and appointed if the world has none."""
    post = Post.objects.filter(system=system, title=title).first()
    if post is None:
        icb = system.organisations.get(kind="icb")
        post = b.post(system, icb, title, title, 1,
                      functions=["System-wide clinical and care strategy"])
        b.appoint(post, b.person(profession, icb), b.ending_in(700, years=5))
    return post


def _gloucestershire(b, glos):
    cmo = _chief(b, glos, "Chief Medical Officer", "doctor")
    cno = _chief(b, glos, "Chief Nursing Officer", "nurse")
    icb = _body(b, glos, "Integrated Care Board", K.BOARD)
    executive = _body(b, glos, "ICS Strategic Executive", K.COMMITTEE, reports_to=icb)
    council = _body(b, glos, "Clinical and Care Professional Council", K.COUNCIL,
                    reports_to=executive,
                    purpose="Brings the professions together and oversees the action plan.")
    programme_board = _body(b, glos, "Clinical Programme Board", K.BOARD, reports_to=executive)
    people = _body(b, glos, "Directors of People", K.GROUP, reports_to=executive)
    finance = _body(b, glos, "Directors of Finance and Strategy", K.GROUP, reports_to=executive)
    _seat(b, icb, cmo, capability="Executive clinical leadership", voting=True)
    _seat(b, icb, cno, capability="Executive nursing leadership", voting=True)
    _seat(b, executive, cmo)
    _seat(b, executive, cno)
    posts = Post.objects.filter(system=glos)
    _seat(b, council, posts.get(title__startswith="Chair, Clinical and Care"), Seat.Role.CHAIR)
    _seat(b, council, cmo, Seat.Role.CO_CHAIR)
    for post in posts.filter(title__startswith="Professional Network Lead"):
        _seat(b, council, post, capability=post.title.split("— ")[-1])
    for post in posts.filter(title__startswith="Integrated Locality Partnership Lead"):
        _seat(b, council, post, capability="Population health in the locality")
    for post in posts.filter(title__startswith="Clinical Programme Group Lead"):
        _seat(b, programme_board, post, capability=post.title.split("— ")[-1])

    adopted = b.today - relativedelta(months=10)
    framework = b._save(Framework(system=glos, adopted_on=adopted, overseen_by=council,
                                  name="Clinical and care professional leadership framework"))
    priorities = [b._save(Priority(framework=framework, number=n, title=title))
                  for n, title in enumerate(PRIORITIES, start=1)]
    owners = {"cmo": cmo, "cno": cno, "council": council, "icb": icb,
              "programme_board": programme_board, "people": people, "finance": finance,
              "executive": executive}
    for index, (reference, term, keys, text, status) in enumerate(ACTIONS):
        chosen = [owners[key] for key in keys.split()]
        action = b._save(Action(
            priority=priorities[int(reference[0]) - 1], reference=reference, text=text,
            term=term, due_on=adopted + relativedelta(months=MONTHS[term])))
        action.owner_posts.set([owner for owner in chosen if isinstance(owner, Post)])
        action.owner_bodies.set([owner for owner in chosen if isinstance(owner, Body)])
        if status != Status.NOT_STARTED:
            _updates(b, action, status, index)


def _updates(b, action, status, index):
    first = b.today - relativedelta(months=6) + datetime.timedelta(days=index)
    ActionUpdate.objects.create(action=action, on=first, status=Status.ON_TRACK, by=b.loader,
                                note="Work has started; a lead and a plan are agreed.")
    notes = {
        Status.COMPLETE: "Done and reported to the council.",
        Status.ON_TRACK: "Progressing as planned; next report to the council next month.",
        Status.AT_RISK: "Slipping: waiting on partners' capacity. A revised plan goes to the "
                        "council.",
        Status.OFF_TRACK: "Behind plan: the work depends on funding not yet agreed.",
    }
    ActionUpdate.objects.create(action=action, on=b.today - datetime.timedelta(days=20 + index),
                                status=status, note=notes[status], by=b.loader)
    action.status = status
    action._history_user = b.loader
    action.save(update_fields=["status"])


def _south_east_london(b, sel):
    posts = Post.objects.filter(system=sel)
    cmo = posts.get(title="Chief Medical Officer")
    cno = posts.get(title="Chief Nursing Officer")
    icb = _body(b, sel, "Integrated Care Board", K.BOARD)
    group = _body(b, sel, "Clinical and Care Professional Leadership Group", K.GROUP,
                  reports_to=icb, purpose="Convenes the system's clinical and care leaders "
                  "around the ten agreed functions.")
    quality = _body(b, sel, "System Quality Board", K.BOARD, reports_to=icb)
    people = _body(b, sel, "People Board", K.BOARD, reports_to=icb)
    engagement = _body(b, sel, "Patient and Public Engagement Group", K.GROUP, reports_to=icb)
    programmes = _body(b, sel, "Clinical Programme Board", K.BOARD, reports_to=icb)
    networks = _body(b, sel, "Clinical Networks Board", K.NETWORK, reports_to=quality)
    _seat(b, icb, cmo, capability="Executive clinical leadership", voting=True)
    _seat(b, icb, cno, capability="Executive nursing leadership", voting=True)
    _seat(b, group, cmo, Seat.Role.CO_CHAIR)
    _seat(b, group, cno, Seat.Role.CO_CHAIR)
    _seat(b, quality, cno, Seat.Role.CO_CHAIR, "Quality and safety")
    for post in posts.filter(title__startswith="Clinical and Care Professional Lead"):
        function = post.title.split("— ")[-1]
        _seat(b, group, post, capability=function)
        if function == "Clinical and care workforce resilience":
            _seat(b, people, post, capability=function)
        if function == "Patient and public engagement":
            _seat(b, engagement, post, capability=function)
    for post in posts.filter(title__startswith="Programme Clinical SRO"):
        _seat(b, programmes, post, capability=post.title.split("— ")[-1])
    for post in posts.filter(title__startswith="Clinical Network Lead"):
        _seat(b, networks, post, capability="Care standards")


def _trust_board(b, hw):
    """Seed 004: the trust's Chief Medical Officer is an executive, voting member of its board
    of directors, and co-chairs the committee that assures the board on clinical governance."""
    trust = hw.organisations.get(kind="acute")
    posts = Post.objects.filter(system=hw, host_organisation=trust)
    chief_executive = posts.get(title="Chief Executive")
    cmo = posts.get(title="Chief Medical Officer")
    board = _body(b, hw, f"{trust.name} Board of Directors", K.BOARD, level="organisation",
                  purpose="The trust's unitary board: executive and non-executive directors "
                          "who decide together and answer for the trust.")
    committee = _body(b, hw, "Clinical Governance Committee", K.COMMITTEE, reports_to=board,
                      level="organisation",
                      purpose="Gives the board assurance on quality, patient safety and "
                              "clinical risk.")
    _seat(b, board, chief_executive, capability="Accounting officer", voting=True)
    _seat(b, board, cmo, capability="Executive clinical leadership; Caldicott Guardian and "
                                    "Responsible Officer", voting=True)
    _seat(b, committee, cmo, Seat.Role.CO_CHAIR, "Clinical governance", voting=True)


def _north_central_london_recruitment(b, ncl):
    """The phased plan of the new model: directors recruited and started, a place lead being
    advertised, and a vacancy waiting for approval."""
    posts = Post.objects.filter(system=ncl)
    mix = [("doctor", 9, 3), ("nurse", 4, 2), ("ahp", 3, 1), ("pharmacist", 2, 1),
           ("social_worker", 1, 1)]
    for index, post in enumerate(posts.filter(title__startswith="Clinical and Care Director")
                                 .order_by("title")[:3]):
        appointment = Appointment.objects.filter(post=post).order_by("start_date").first()
        start = appointment.start_date
        vacancy = b._save(Vacancy(
            post=post, reason="New leadership model.", opened_by=b.loader,
            opened_on=start - relativedelta(months=4), status=Vacancy.Status.FILLED,
            approval=Vacancy.Approval.APPROVED, approval_by=b.loader,
            approval_on=start - relativedelta(months=4) + datetime.timedelta(days=7),
            advertise_from=start - relativedelta(months=3),
            onboarding_from=start - relativedelta(months=1), expected_start=start,
            advert_reference=f"DEMO-{2022 + index}-{431 + index}",
            advertised_where="NHS Jobs and the ICS website",
            advertised_on=start - relativedelta(months=3),
            closes_on=start - relativedelta(months=3) + datetime.timedelta(days=21),
            shortlisted_on=start - relativedelta(months=2),
            interview_on=start - relativedelta(months=2) + datetime.timedelta(days=10),
            offer_on=start - relativedelta(months=1), appointment=appointment))
        ApplicantCount.objects.bulk_create([
            ApplicantCount(vacancy=vacancy, profession=profession, applied=applied + index,
                           shortlisted=shortlisted)
            for profession, applied, shortlisted in mix])
    advertised = posts.filter(title="Clinical Lead — Mental health").first()
    if advertised:
        b._save(Vacancy(
            post=advertised, reason="The previous holder's term ended.", opened_by=b.loader,
            opened_on=b.today - datetime.timedelta(days=40), approval=Vacancy.Approval.APPROVED,
            approval_by=b.loader, approval_on=b.today - datetime.timedelta(days=33),
            advertise_from=b.today - datetime.timedelta(days=20),
            onboarding_from=b.today + datetime.timedelta(days=60),
            expected_start=b.today + datetime.timedelta(days=90),
            advert_reference="DEMO-2026-118", advertised_where="NHS Jobs",
            advertised_on=b.today - datetime.timedelta(days=18),
            closes_on=b.today + datetime.timedelta(days=10)))
    waiting = posts.filter(title="Clinical Lead — Digital").first()
    if waiting:
        b._save(Vacancy(
            post=waiting, reason="Vacant since the last term ended.", opened_by=b.loader,
            opened_on=b.today - datetime.timedelta(days=6),
            advertise_from=b.today + datetime.timedelta(days=30),
            onboarding_from=b.today + datetime.timedelta(days=100),
            expected_start=b.today + datetime.timedelta(days=130)))


def _trust_board_meetings(b, hw):
    """The trust board's terms of reference and quorum (half the voting directors, including an
    executive and a clinician), its non-executive directors (seats held by named people, not
    posts), and two meetings: one quorate, one not (the Chief Medical Officer sent apologies and
    no other clinician voted)."""
    board = Body.objects.filter(system=hw, kind=K.BOARD).first()
    if board is None or board.meetings.exists():
        return
    board.terms_of_reference = ("Standing orders of the trust, section 3: the board meets in "
                                "public every other month.")
    board.tor_reviewed_on = b.today - relativedelta(months=11)
    b._save(board)
    for seat in Seat.objects.filter(body=board, post__isnull=False).select_related("post"):
        seat.executive = True  # the executive directors
        seat.clinical = seat.post.title == "Chief Medical Officer"
        b._save(seat)
    for role, what in ((Seat.Role.CHAIR, "Chair of the trust (non-executive)"),
                       (Seat.Role.MEMBER, "Non-executive director"),
                       (Seat.Role.MEMBER, "Non-executive director")):
        given, family = b._new_name()
        _named = Seat(body=board, holder_name=f"{given} {family}", holder_description=what,
                      role=role, voting=True, lay=True)
        b._save(_named)
    b._save(QuorumRule(body=board, fraction=Decimal("0.5"), executives=1, clinicians=1))
    apologies = {"Chief Medical Officer"}
    for months, title, away in ((3, "Board of directors meeting in public", set()),
                                (1, "Board of directors meeting in public", apologies)):
        _meeting(b, board, months, title, lambda seat, away=away: (
            "apologies" if seat.title in away else
            "absent" if away and seat.lay and seat.role == Seat.Role.MEMBER else "present"))


def _icb_board_meetings(b, sel):
    """Seed 003: the ICB's board, with its chair, chief executive and partner members (seats
    held by named people, not posts) beside the CMO and CNO; its quorum (half the voting
    members, including an executive and a clinician); and two meetings in public, the second
    not quorate: the CMO and the CNO both sent apologies, so no clinician voted."""
    board = Body.objects.filter(system=sel, kind=K.BOARD, name="Integrated Care Board").first()
    if board is None or board.meetings.exists():
        return
    board.terms_of_reference = ("The ICB's constitution and standing orders: the board meets "
                                "in public every other month.")
    board.tor_reviewed_on = b.today - relativedelta(months=7)
    b._save(board)
    for seat in Seat.objects.filter(body=board, post__isnull=False):
        seat.executive = seat.clinical = True  # the CMO and the CNO
        b._save(seat)
    for role, what, flags in (
            (Seat.Role.CHAIR, "Chair of the ICB (non-executive)", {"lay": True}),
            (Seat.Role.MEMBER, "Chief Executive of the ICB", {"executive": True}),
            (Seat.Role.MEMBER, "Partner member for NHS trusts", {}),
            (Seat.Role.MEMBER, "Partner member for local authorities", {}),
            (Seat.Role.MEMBER, "Non-executive member", {"lay": True})):
        given, family = b._new_name()
        b._save(Seat(body=board, holder_name=f"{given} {family}", holder_description=what,
                     role=role, voting=True, **flags))
    b._save(QuorumRule(body=board, fraction=Decimal("0.5"), executives=1, clinicians=1))
    away = {"Chief Medical Officer", "Chief Nursing Officer"}
    _meeting(b, board, 4, "Board meeting in public", lambda seat: "present")
    _meeting(b, board, 2, "Board meeting in public", lambda seat: (
        "apologies" if seat.title in away else
        "absent" if seat.holder_description == "Partner member for local authorities"
        else "present"))


def _meeting(b, board, months, title, status_of):
    """A meeting ``months`` ago with each member's attendance (``status_of(seat)``), as the
    register records it: who held each seat that day."""
    held_on = b.today - relativedelta(months=months)
    meeting = b._save(Meeting(body=board, held_on=held_on, title=title, recorded_by=b.loader))
    for seat, member, person in members_on(board, held_on):
        b._save(Attendance(meeting=meeting, seat=seat, person=person, member=member,
                           seat_title=seat.title, voting=seat.voting, executive=seat.executive,
                           clinical=seat.clinical, lay=seat.lay, status=status_of(seat)))
