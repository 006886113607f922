"""The plan of a synthetic register, made in memory before anything is written: no database
access, one seeded random generator, so the same seed, scale and day give the same plan.

Each post's terms follow one another without overlapping, co-leads' shares add up to no more
than the post, and every date is consistent with the day, so the model rules hold without
checking row by row. The steps run in a fixed order (organisations, bulk changes, posts, terms,
people, equality data) because each draws from the same random sequence."""

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta

from appointments.models import Appointment, BulkChange
from roles.models import Organisation, SpatialLevel

from .catalogue import (
    AGREED_BY,
    AMBULANCE,
    BUDGET_GROUPS,
    CEASED_REASONS,
    ENDED_REASONS,
    EXTENSION_REASONS,
    FAMILY,
    GIVEN,
    ICS,
    LEAD_ROLES,
    LONDON,
    PCN_NAMES,
    PROFESSION_OF_ROLE,
    PROFESSIONS,
    PROGRAMMES,
    SHORT_NAME_PREFIX,
    SPECIALTIES,
    THEMES,
    TRUST_KINDS,
    VCSE_NAMES,
)

HORIZON_DAYS = 180  # successors are appointed up to six months ahead



@dataclass
class PlannedOrganisation:
    name: str
    kind: str
    ods_code: str
    systems: list  # system indices; the first is home


@dataclass
class PlannedPost:
    index: int
    system: int
    host: int
    role: str
    title: str
    reference: str
    wte_tenths: int
    honorarium: int | None
    job_share: bool
    term_months: int
    parent: int | None
    depth: int
    spatial_level: str
    functions: list
    duties: list
    is_published: bool
    first_start: datetime.date
    budget: tuple | None = None  # (system, group name)
    cease_wave: int | None = None
    created_on: datetime.date | None = None
    disestablished_on: datetime.date | None = None


@dataclass
class PlannedExtension:
    old_end: datetime.date
    new_end: datetime.date
    agreed_on: datetime.date
    reason: str
    agreed_by: str
    wave: int | None = None


@dataclass
class PlannedAppointment:
    post: int
    term: int
    seat: int  # 0 or 1: which co-lead
    start: datetime.date
    original_end: datetime.date
    end: datetime.date
    wte_hundredths: int
    share: int
    status: str = Appointment.Status.ACTIVE
    contract_type: str = Appointment.ContractType.FIXED_TERM
    scheduled_end: datetime.date | None = None
    end_reason: str = ""
    recorded_on: datetime.date | None = None
    extensions: list = field(default_factory=list)
    reappoints: "PlannedAppointment | None" = None
    person: int | None = None
    wave: int | None = None  # a bulk cessation


@dataclass
class Wave:
    """A bulk change in one system: every appointment in some role types extended to one date,
    or ceased on one date (their posts disestablished)."""

    system: int
    kind: str
    agreed_on: datetime.date
    on_date: datetime.date
    roles: tuple
    reason: str
    agreed_by: str
    members: list = field(default_factory=list)


@dataclass
class PlannedPerson:
    given: str
    family: str
    profession: str
    employer: int  # organisation index
    system: int
    last_end: datetime.date
    consent: bool


@dataclass
class Plan:
    today: datetime.date
    systems: list
    organisations: list
    posts: list
    waves: list
    appointments: list
    people: list
    equality: dict  # person index -> fields


def plan_register(scale, *, seed, today):
    """Plan a whole register in memory: no database access, the same plan for the same seed,
    scale and day."""
    r = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    systems = ICS[: scale.systems]
    organisations, members = _plan_organisations(scale, systems, r)
    waves = _plan_waves(systems, r, today)
    posts = _plan_posts(scale, systems, organisations, members, waves, r, today)
    appointments = []
    for post in posts:
        appointments.extend(_plan_terms(post, waves, r, today))
    appointments = _trim_oldest(appointments, scale.appointments)
    _settle_posts(posts, appointments, r, today)
    _plan_budgets(posts, r)
    people = _plan_people(scale, posts, organisations, members, appointments, r)
    equality = _plan_equality(people, r, today)
    _settle_contracts(posts, appointments, today)
    for appointment in appointments:
        if appointment.wave is not None:
            waves[appointment.wave].members.append(appointment)
        for extension in appointment.extensions:
            if extension.wave is not None:
                waves[extension.wave].members.append(appointment)
    return Plan(today=today, systems=systems, organisations=organisations, posts=posts,
                waves=waves, appointments=appointments, people=people, equality=equality)


class _Organisations:
    """The organisations planned so far, each given the next ODS-style code of its prefix."""

    def __init__(self):
        self.planned = []
        self.codes = Counter()

    def add(self, name, kind, system, prefix="", width=3):
        code = ""
        if prefix:
            self.codes[prefix] += 1
            code = f"{prefix}{self.codes[prefix]:0{width}d}"
        self.planned.append(PlannedOrganisation(name=name, kind=kind, ods_code=code,
                                                systems=[system]))
        return self.planned[-1]


def _plan_organisations(scale, systems, r):
    """Each system's ICB, trusts, councils, universities, VCSE partners and GP federations, then
    primary care networks to make up the number. Some trusts and universities are partners in the
    next system too, as are the ambulance services. Returns the organisations and, per system,
    the indices of the organisations partnered in it."""
    orgs = _Organisations()
    for s, (code, name, places) in enumerate(systems):
        _plan_system_partners(orgs, s, code, name, places, r)
    _plan_ambulance_services(orgs, systems)
    _share_with_next_system(orgs.planned, len(systems), r)
    _plan_primary_care_networks(orgs, scale, systems, r)
    members = defaultdict(list)  # system index -> organisation indices partnered in it
    for index, org in enumerate(orgs.planned):
        for s in org.systems:
            members[s].append(index)
    return orgs.planned, members


def _plan_system_partners(orgs, s, code, name, places, r):
    Kind = Organisation.Kind
    orgs.add(f"NHS {name} Integrated Care Board", Kind.ICB, s, "ZQ", 2)
    for n in range(min(4, 1 + len(places) // 2)):
        pattern = r.choice(["{} Hospitals NHS Foundation Trust",
                            "{} Teaching Hospitals NHS Trust",
                            "University Hospitals of {} NHS Foundation Trust"])
        orgs.add(pattern.format(places[n]), Kind.ACUTE, s, "ZR")
    orgs.add(f"{name} Partnership NHS Foundation Trust", Kind.MENTAL_HEALTH, s, "ZR")
    if r.random() < 0.6:
        orgs.add(f"{name} Community Health NHS Trust", Kind.COMMUNITY, s, "ZR")
    for place in places[:4]:
        council = f"London Borough of {place}" if code in LONDON else f"{place} Council"
        orgs.add(council, Kind.LOCAL_AUTHORITY, s, "ZL")
    orgs.add(f"University of {places[0]}", Kind.UNIVERSITY, s)
    if r.random() < 0.3:
        orgs.add(f"{places[-1]} University", Kind.UNIVERSITY, s)
    for place in r.sample(places, min(len(places), r.randint(2, 4))):
        orgs.add(f"{place} {r.choice(VCSE_NAMES)}", Kind.VCSE, s)
    for place in places[: r.randint(1, 2)]:
        orgs.add(f"{place} GP Federation", Kind.GP_FEDERATION, s, "ZF")


def _plan_ambulance_services(orgs, systems):
    """Each ambulance service is a partner in its home system and the next one."""
    codes = [code for code, _, _ in systems]
    for name, home in AMBULANCE:
        if home in codes:
            s = codes.index(home)
            org = orgs.add(name, Organisation.Kind.AMBULANCE, s, "ZA", 2)
            if s + 1 < len(systems):
                org.systems.append(s + 1)


def _share_with_next_system(orgs, system_count, r):
    """Some trusts and universities are partners in the next system as well."""
    Kind = Organisation.Kind
    for org in orgs:
        if (org.kind in {Kind.ACUTE, Kind.MENTAL_HEALTH, Kind.UNIVERSITY}
                and len(org.systems) == 1 and org.systems[0] + 1 < system_count
                and r.random() < 0.12):
            org.systems.append(org.systems[0] + 1)


def _plan_primary_care_networks(orgs, scale, systems, r):
    """Primary care networks make up the rest, more of them in systems with more places."""
    wanted = max(scale.organisations - len(orgs.planned), len(systems))
    weights = [len(places) * r.uniform(0.8, 1.2) for _, _, places in systems]
    shares = [max(1, int(wanted * w / sum(weights))) for w in weights]
    for s in sorted(range(len(systems)), key=lambda s: -weights[s])[: wanted - sum(shares)]:
        shares[s] += 1
    for s, (_, _, places) in enumerate(systems):
        for n in range(shares[s]):
            place = places[n % len(places)]
            suffix = PCN_NAMES[(n // len(places)) % len(PCN_NAMES)]
            round_ = n // (len(places) * len(PCN_NAMES))
            orgs.add(f"{place} {suffix}{f' {round_ + 1}' if round_ else ''} PCN",
                     Organisation.Kind.PCN, s, "ZU", 4)


def _plan_waves(systems, r, today):
    """Bulk changes, as systems make them when a leadership model is refreshed: most extend a
    group of roles to one date; some cease a group of roles on one date."""
    waves = []
    for s, (_, name, _) in enumerate(systems):
        # The first system always has a bulk extension and the second a bulk cessation, so that
        # even the small scale has both.
        if s == 0 or r.random() < 0.7:
            agreed = today - datetime.timedelta(days=r.randint(60, 1400))
            on_date = _month_end(agreed + relativedelta(months=r.choice([6, 9, 12])))
            roles = r.choice([("Clinical Lead", "Clinical and Care Professional Lead"),
                              ("Clinical Network Lead", "Programme Clinical SRO"),
                              ("Clinical Lead",)])
            if s == 0:
                roles = ("Clinical Lead", "Clinical and Care Professional Lead")
            waves.append(Wave(
                system=s, kind=BulkChange.Kind.EXTEND, agreed_on=agreed, on_date=on_date,
                roles=roles,
                reason=f"Every {' and '.join(roles).lower()} post extended to "
                       f"{on_date:%-d %B %Y} while the {name} leadership model is refreshed.",
                agreed_by="Partnership executive group and partners"))
        if s == 1 or r.random() < 0.35:
            on_date = _month_end(today - relativedelta(months=r.randint(3, 40)))
            roles = r.choice([("Programme Clinical SRO",), ("Clinical Network Lead",)])
            waves.append(Wave(
                system=s, kind=BulkChange.Kind.CEASE,
                agreed_on=on_date - datetime.timedelta(days=r.randint(30, 90)), on_date=on_date,
                roles=roles,
                reason=f"These {roles[0].lower()} roles are not continued in the refreshed "
                       f"{name} leadership model; the appointments cease on {on_date:%-d %B %Y}.",
                agreed_by="CMO, CNO and the partnership executive group"))
    return waves


def _month_end(day):
    return day + relativedelta(day=31)


class _Posts:
    """The posts planned so far. Each new post gets the next reference in its system, its depth
    under the post it is responsible to, and the day its first term starts."""

    def __init__(self, systems, r, today):
        self.planned = []
        self.systems, self.r, self.today = systems, r, today

    def add(self, s, host, role, title, wte_tenths, parent, *, term_months=36, honorarium=None,
            job_share=False, spatial=SpatialLevel.SYSTEM, functions=(), duties=()):
        posts, r = self.planned, self.r
        code = self.systems[s][0]
        post = PlannedPost(
            index=len(posts), system=s, host=host, role=role, title=title,
            reference=f"{SHORT_NAME_PREFIX}-{code}-{len(posts) + 1:05d}",
            wte_tenths=wte_tenths, honorarium=honorarium, job_share=job_share,
            term_months=term_months, parent=parent,
            depth=0 if parent is None else posts[parent].depth + 1, spatial_level=spatial,
            functions=list(functions), duties=list(duties), is_published=r.random() < 0.95,
            first_start=_first_start(role, r, self.today),
        )
        posts.append(post)
        return post.index


@dataclass
class _SystemPosts:
    """One system while its posts are planned: where posts can be hosted, and the posts that
    later ones are responsible to."""

    index: int
    places: list
    icb: int  # organisation indices from here on
    trusts: list
    partners: list
    by_kind: dict
    titles: Counter = field(default_factory=Counter)  # (title, host) -> posts so far
    icb_deputies: list = field(default_factory=list)  # post indices from here on
    trust_deputies: dict = field(default_factory=dict)  # trust -> its deputy medical director
    directors: list = field(default_factory=list)
    clinical_leads: list = field(default_factory=list)

    @classmethod
    def of(cls, s, places, organisations, members):
        own = [o for o in members[s] if organisations[o].systems[0] == s]
        by_kind = defaultdict(list)
        for o in members[s]:
            by_kind[organisations[o].kind].append(o)
        return cls(index=s, places=places,
                   icb=next(o for o in own if organisations[o].kind == Organisation.Kind.ICB),
                   trusts=[o for o in own if organisations[o].kind in TRUST_KINDS],
                   partners=members[s], by_kind=by_kind)


def _plan_posts(scale, systems, organisations, members, waves, r, today):
    """Per system: the ICB's CMO and CNO with two deputy medical directors and a council chair;
    each trust's CMO, CNO and deputy; clinical and care directors under the ICB deputies; leads
    under the directors (or the trust deputies); some professional leads under clinical leads."""
    posts = _Posts(systems, r, today)
    for s, wanted in enumerate(_posts_per_system(scale, systems, members)):
        system = _SystemPosts.of(s, systems[s][2], organisations, members)
        _plan_icb_leadership(posts, system, r)
        _plan_trust_leadership(posts, system, room=wanted - 5, r=r)
        _plan_directors(posts, system, wanted, r)
        left = wanted - 5 - 3 * len(system.trust_deputies) - len(system.directors)
        for _ in range(left):
            _plan_lead(posts, system, organisations, waves, r)
    return posts.planned


def _posts_per_system(scale, systems, members):
    """Posts shared out between systems by the number of organisations partnered in each."""
    weights = [len(members[s]) for s in range(len(systems))]
    per_system = [int(scale.posts * w / sum(weights)) for w in weights]
    for s in range(scale.posts - sum(per_system)):
        per_system[s % len(systems)] += 1
    return per_system


def _plan_icb_leadership(posts, system, r):
    """The ICB's CMO and CNO, two deputy medical directors and the chair of the professional
    council, the last three under the CMO."""
    s, icb = system.index, system.icb
    cmo = posts.add(s, icb, "Chief Medical Officer", "Chief Medical Officer", 10, None,
                    term_months=60, functions=[2, 4], duties=["Responsible Officer"])
    posts.add(s, icb, "Chief Nursing Officer", "Chief Nursing Officer", 10, None,
              term_months=60, functions=[4, 3], duties=["Safeguarding lead"])
    system.icb_deputies = [
        posts.add(s, icb, "Deputy Medical Director", f"Deputy Medical Director, {area}",
                  r.choice([5, 6, 8, 10]), cmo, functions=[r.randrange(10)])
        for area in r.sample(["Quality", "Transformation", "Primary Care", "Workforce"], 2)
    ]
    posts.add(s, icb, "Council Chair", "Chair, Clinical and Care Professional Council", 2, cmo,
              honorarium=r.choice([8000, 10000, 12000]), functions=[7])


def _plan_trust_leadership(posts, system, *, room, r):
    """Each trust's CMO, CNO and deputy medical director, for as many trusts as ``room`` (the
    posts the system has left) allows while keeping a lead post per trust."""
    s, trusts = system.index, system.trusts
    for trust in trusts:
        if room < 3 + len(trusts):
            break
        trust_cmo = posts.add(s, trust, "Chief Medical Officer", "Chief Medical Officer", 10,
                              None, term_months=60, spatial=SpatialLevel.ORGANISATION,
                              functions=[4], duties=["Responsible Officer", "Caldicott Guardian"])
        posts.add(s, trust, "Chief Nursing Officer", "Chief Nursing Officer", 10, None,
                  term_months=60, spatial=SpatialLevel.ORGANISATION, functions=[4],
                  duties=["Director of Infection Prevention and Control", "Safeguarding lead"])
        system.trust_deputies[trust] = posts.add(
            s, trust, "Deputy Medical Director", "Deputy Medical Director",
            r.choice([5, 6, 8]), trust_cmo, spatial=SpatialLevel.ORGANISATION,
            functions=[4], duties=["Controlled Drugs Accountable Officer"])
        room -= 3


def _plan_directors(posts, system, wanted, r):
    """About 8% of the system's posts, at least two: a clinical and care director for each place,
    then for themes, each under one of the ICB's deputy medical directors."""
    s, icb, places = system.index, system.icb, system.places
    for n in range(max(2, round(wanted * 0.08))):
        if n < len(places):
            title = f"Clinical and Care Director, {places[n]} Place"
            spatial = SpatialLevel.PLACE
        else:
            title = f"Clinical and Care Director for {THEMES[(n - len(places)) % len(THEMES)]}"
            spatial = SpatialLevel.SYSTEM
        job_share = r.random() < 0.1
        title = _unique_title(system.titles, places, title, icb)
        system.directors.append(posts.add(
            s, icb, "Clinical and Care Director", title, r.choice([4, 5, 6]),
            r.choice(system.icb_deputies), job_share=job_share,
            honorarium=r.choice([None, 12000, 15000]) if r.random() < 0.4 else None,
            spatial=spatial, functions=r.sample(range(10), r.randint(1, 3))))


LEAD_ROLE_WEIGHTS = [weight for _, weight, *_ in LEAD_ROLES]


def _plan_lead(posts, system, organisations, waves, r):
    """One lead post of a role drawn by weight, with its WTE, job share, honorarium and term;
    some are in roles that a bulk cessation will end."""
    role, _, tenths, share_chance, honorarium_chance, months = r.choices(
        LEAD_ROLES, weights=LEAD_ROLE_WEIGHTS)[0]
    host, parent = _lead_host_and_parent(posts, system, role, r)
    wte = r.choice(tenths)
    job_share = wte >= 2 and r.random() < share_chance
    honorarium = None
    if r.random() < honorarium_chance:
        honorarium = 20000 if role == "CAG Leader" else 500 * r.randint(8, 30)
    title = _lead_title(role, r)
    spatial = _lead_spatial_level(organisations[host].kind, r)
    if r.random() < 0.15:
        months = r.choice([12, 24])
    wave = next((w for w, wave in enumerate(waves)
                 if wave.system == system.index and wave.kind == BulkChange.Kind.CEASE
                 and role in wave.roles), None)
    title = _unique_title(system.titles, system.places, title, host)
    index = posts.add(system.index, host, role, title, wte, parent, term_months=months,
                      honorarium=honorarium, job_share=job_share, spatial=spatial,
                      functions=r.sample(range(10), r.randint(1, 3)))
    if wave is not None and r.random() < 0.5:
        posts.planned[index].cease_wave = wave
    if role == "Clinical Lead":
        system.clinical_leads.append(index)


def _lead_host_and_parent(posts, system, role, r):
    """Some professional leads work under a clinical lead, at its host; other leads are
    responsible to their trust's deputy medical director, or else to one of the directors."""
    if role == "Clinical and Care Professional Lead" and system.clinical_leads \
            and r.random() < 0.3:
        parent = r.choice(system.clinical_leads)
        return posts.planned[parent].host, parent
    host = _lead_host(role, system.icb, system.by_kind, system.partners, r)
    return host, (system.trust_deputies.get(host) or r.choice(system.directors))


def _lead_title(role, r):
    specialty = r.choice(SPECIALTIES)
    # Drawn whatever the role: each draw moves the random sequence that makes a seed's register.
    programme = r.choice(PROGRAMMES)
    return {
        "Clinical Lead": f"Clinical Lead for {specialty}",
        "Clinical and Care Professional Lead": f"Clinical and Care Professional Lead, {specialty}",
        "Clinical Network Lead": f"{specialty} Network Clinical Lead",
        "Programme Clinical SRO": f"Programme Clinical SRO, {programme}",
        "CAG Leader": f"CAG Leader, {specialty}",
    }[role]


def _lead_spatial_level(host_kind, r):
    """Trust posts are organisational, primary care and council posts work at place, the rest
    anywhere from place to the whole system."""
    if host_kind in TRUST_KINDS:
        return SpatialLevel.ORGANISATION
    if host_kind in {Organisation.Kind.PCN, Organisation.Kind.LOCAL_AUTHORITY}:
        return SpatialLevel.PLACE
    return r.choice([SpatialLevel.SYSTEM, SpatialLevel.PROVIDER_COLLABORATIVE,
                     SpatialLevel.PLACE])


def _unique_title(titles, places, title, host):
    """The same role more than once at one host: the place says which."""
    n = titles[(title, host)]
    titles[(title, host)] += 1
    if n == 0:
        return title
    if n <= len(places):
        return f"{title}, {places[n - 1]}"
    return f"{title} ({n + 1})"


def _lead_host(role, icb, by_kind, partners, r):
    Kind = Organisation.Kind
    if role == "CAG Leader":
        return r.choice(by_kind[Kind.UNIVERSITY] + by_kind[Kind.ACUTE] * 2)
    u = r.random()
    if u < 0.5:
        return icb
    if u < 0.75:
        trusts = [o for k in TRUST_KINDS for o in by_kind[k]]
        return r.choice(trusts or [icb])
    if u < 0.9:
        return r.choice(by_kind[Kind.PCN] or [icb])
    return r.choice(by_kind[Kind.LOCAL_AUTHORITY] + by_kind[Kind.VCSE] or partners)


def _first_start(role, r, today):
    """When a post's first term starts: board posts long ago, most leadership posts around the
    time the systems formed, a few brand new (some not yet filled)."""
    if role in ("Chief Medical Officer", "Chief Nursing Officer"):
        return datetime.date(2010, 4, 1) + datetime.timedelta(days=r.randint(0, 2500))
    if r.random() < 0.06:
        return today + datetime.timedelta(days=r.randint(-300, 150))
    return datetime.date(2012, 4, 1) + datetime.timedelta(
        days=r.randint(0, (today - datetime.date(2012, 4, 1)).days - 200))


def _plan_terms(post, waves, r, today):
    """The post's holders, one term after another (co-leads share a term on job-share posts),
    until a successor is in place up to six months ahead or the post is disestablished."""
    cease = waves[post.cease_wave] if post.cease_wave is not None else None
    system_waves = [(w, wave) for w, wave in enumerate(waves)
                    if wave.system == post.system and wave.kind == BulkChange.Kind.EXTEND
                    and post.role in wave.roles]
    cursor = post.first_start
    planned, previous, term = [], [], 0
    while cursor <= today + datetime.timedelta(days=HORIZON_DAYS):
        if cease and cursor >= cease.on_date:
            break
        seats = 2 if post.job_share and r.random() < 0.65 else 1
        months = post.term_months
        if r.random() < 0.05:
            months = 6  # an interim appointment
        original_end = cursor + relativedelta(months=months) - datetime.timedelta(days=1)
        wtes = _split(post.wte_tenths * 10, seats, r, step=10)
        if seats == 1 and post.wte_tenths > 1 and r.random() < 0.15:
            wtes = [post.wte_tenths * 10 - 10]  # holds fewer sessions than the post has
        shares = _split(post.honorarium or 0, seats, r, step=500)
        current = []
        for seat in range(seats):
            appointment = PlannedAppointment(
                post=post.index, term=term, seat=seat, start=cursor,
                original_end=original_end, end=original_end,
                wte_hundredths=wtes[seat], share=shares[seat])
            before = previous[seat] if seat < len(previous) else None
            if (before and before.status == Appointment.Status.ACTIVE
                    and before.end + datetime.timedelta(days=1) == cursor
                    and r.random() < 0.25):
                appointment.reappoints = before
            _plan_extensions(appointment, system_waves, r, today)
            if cease:
                _apply_cessation(appointment, post.cease_wave, cease)
            if appointment.status == Appointment.Status.ACTIVE:
                _plan_closure(appointment, cease, r, today)
            if appointment.status == Appointment.Status.ACTIVE and cursor > today \
                    and r.random() < 0.5:
                appointment.status = Appointment.Status.OFFERED
            current.append(appointment)
        planned.extend(current)
        gap = 0 if r.random() < 0.55 else r.randint(14, 300)
        cursor = max(a.end for a in current) + datetime.timedelta(days=1 + gap)
        previous, term = current, term + 1
    return planned


PERMANENT_ROLES = ("Chief Medical Officer", "Chief Nursing Officer")


def _settle_contracts(posts, appointments, today):
    """What the day makes of the planned terms, drawing nothing at random (so a seed's register
    is the same as before): the chief officers in post today hold permanent posts, with no end
    date; every other active term whose last day has passed has ended, as the daily sweep
    records."""
    last = {}
    for a in appointments:
        if a.post not in last or a.start > last[a.post].start:
            last[a.post] = a
    for a in appointments:
        if (posts[a.post].role in PERMANENT_ROLES and last[a.post] is a
                and a.status == Appointment.Status.ACTIVE and not a.extensions
                and a.start <= today <= a.end and a.wave is None):
            a.contract_type = Appointment.ContractType.PERMANENT
            a.end = a.original_end = None
        elif a.status == Appointment.Status.ACTIVE and a.end < today:
            a.status = Appointment.Status.TERM_ENDED


def _split(total, seats, r, step):
    """Split an amount between co-leads in whole steps; the parts never add up to more."""
    if seats == 1 or total == 0:
        return [total] + [0] * (seats - 1)
    units = total // step
    if units < 2:
        return [total // 2, total // 2]
    first = units // 2 if r.random() < 0.7 else r.randint(1, units - 1)
    return [first * step, (units - first) * step]


def _plan_extensions(appointment, system_waves, r, today):
    """About 30% extended once and some twice, each agreed before the end it moves and by the
    day; terms in force when their system's bulk extension was agreed are carried by it."""
    end = appointment.end
    wanted = r.choices([0, 1, 2], weights=[52, 34, 14])[0]
    last_agreed = appointment.start
    considered = set()
    while len(appointment.extensions) < 3:
        wave_id = next((w for w, wave in system_waves if w not in considered
                        and last_agreed < wave.agreed_on < end < wave.on_date), None)
        if wave_id is not None:
            considered.add(wave_id)
            if r.random() < 0.9:
                wave = next(wave for w, wave in system_waves if w == wave_id)
                appointment.extensions.append(PlannedExtension(
                    old_end=end, new_end=wave.on_date, agreed_on=wave.agreed_on,
                    reason=wave.reason, agreed_by=wave.agreed_by, wave=wave_id))
                end, last_agreed = wave.on_date, wave.agreed_on
            continue
        if not wanted:
            break
        agreed = end - datetime.timedelta(days=r.randint(14, 120))
        if agreed <= last_agreed or agreed > today \
                or agreed < appointment.start + datetime.timedelta(days=30):
            break
        new_end = end + relativedelta(months=r.choice([3, 6, 6, 12, 12]))
        appointment.extensions.append(PlannedExtension(
            old_end=end, new_end=new_end, agreed_on=agreed, reason=r.choice(EXTENSION_REASONS),
            agreed_by=r.choice(AGREED_BY)))
        end, last_agreed, wanted = new_end, agreed, wanted - 1
    appointment.end = end


def _apply_cessation(appointment, wave_id, wave):
    """A term in force on the day its post's roles cease ends there, with the extensions agreed
    before the cessation; a term that would have ended earlier just ends."""
    if not appointment.start < wave.on_date < appointment.end:
        return
    appointment.extensions = [e for e in appointment.extensions if e.agreed_on < wave.agreed_on]
    scheduled = (appointment.extensions[-1].new_end if appointment.extensions
                 else appointment.original_end)
    if scheduled <= wave.on_date:
        appointment.end = scheduled
        return
    appointment.scheduled_end = scheduled
    appointment.end = wave.on_date
    appointment.status = Appointment.Status.CEASED
    appointment.end_reason = wave.reason
    appointment.recorded_on = wave.agreed_on
    appointment.wave = wave_id


def _plan_closure(appointment, cease, r, today):
    """About 7% end early (resignation, retirement...) and 2.5% cease on their own; the end is
    recorded by the day, though it may fall a little after it (notice)."""
    u = r.random()
    if u >= 0.095 or appointment.start > today:
        return
    status = Appointment.Status.ENDED if u < 0.07 else Appointment.Status.CEASED
    latest = min(appointment.end - datetime.timedelta(days=1),
                 today + datetime.timedelta(days=60))
    if cease:
        latest = min(latest, cease.on_date - datetime.timedelta(days=1))
    earliest = appointment.start + datetime.timedelta(days=60)
    if earliest > latest:
        return
    last_day = earliest + datetime.timedelta(days=r.randint(0, (latest - earliest).days))
    recorded = min(last_day - datetime.timedelta(days=r.randint(0, 45)), today)
    recorded = max(recorded, appointment.start)
    kept = [e for e in appointment.extensions if e.agreed_on <= recorded]
    scheduled = kept[-1].new_end if kept else appointment.original_end
    if last_day >= scheduled:
        last_day = scheduled - datetime.timedelta(days=r.randint(1, 30))
        if last_day <= appointment.start or recorded > last_day:
            return
    appointment.extensions = kept
    appointment.scheduled_end = scheduled
    appointment.end = last_day
    appointment.status = status
    appointment.end_reason = r.choice(ENDED_REASONS if status == Appointment.Status.ENDED
                                      else CEASED_REASONS)
    appointment.recorded_on = recorded


def _trim_oldest(appointments, target):
    """Keep the newest ``target`` appointments: dropping the oldest terms never breaks a rule."""
    ordered = sorted(appointments, key=lambda a: (a.start, a.post, a.seat))
    kept = ordered[max(0, len(ordered) - target):]
    keep = {id(a) for a in kept}
    for a in kept:
        if a.reappoints is not None and id(a.reappoints) not in keep:
            a.reappoints = None
    return kept


def _settle_posts(posts, appointments, r, today):
    """Creation dates from the first term on record; disestablishment the day after the roles
    ceased."""
    first = {}
    for a in appointments:
        first.setdefault(a.post, a.start)
    for post in posts:
        start = first.get(post.index, post.first_start)
        post.created_on = min(start - datetime.timedelta(days=r.randint(0, 120)), today)
    for a in appointments:
        if a.wave is not None:
            posts[a.post].disestablished_on = a.end + datetime.timedelta(days=1)


def _plan_budgets(posts, r):
    for post in posts:
        group = BUDGET_GROUPS.get(post.role)
        if group and r.random() < 0.9:
            post.budget = (post.system, group)


def _plan_people(scale, posts, organisations, members, appointments, r):
    """Leaders in order of first appointment: some terms renewed for the same person, many
    leaders moving on to another post in the system (a few holding two at once), the rest new
    people, so that 97% of ``scale.people`` hold the appointments; the rest are people on record
    without an appointment (candidates)."""
    people = []
    pools = defaultdict(list)  # system -> person indices
    forced = [a for a in appointments if a.reappoints is None
              and posts[a.post].role in PROFESSION_OF_ROLE]
    flexible = sum(1 for a in appointments if a.reappoints is None) - len(forced)
    new_needed = int(scale.people * 0.97) - len(forced)
    holders = defaultdict(set)  # (post, term) -> person indices

    def new_person(post, day):
        profession = PROFESSION_OF_ROLE.get(post.role) or r.choice(PROFESSIONS)
        employer = post.host
        if organisations[employer].kind in {Organisation.Kind.ICB, Organisation.Kind.VCSE} \
                or r.random() < 0.4:
            employer = r.choice(members[post.system])
        people.append(PlannedPerson(
            given=r.choice(GIVEN), family=r.choice(FAMILY), profession=profession,
            employer=employer, system=post.system, last_end=day, consent=r.random() < 0.6))
        pools[post.system].append(len(people) - 1)
        return len(people) - 1

    for a in sorted(appointments, key=lambda a: (a.start, a.post, a.seat)):
        post = posts[a.post]
        taken = holders[(a.post, a.term)]
        if a.reappoints is not None and a.reappoints.person not in taken:
            person = a.reappoints.person
        elif post.role in PROFESSION_OF_ROLE:
            person = new_person(post, a.end)
        else:
            make_new = r.random() * max(flexible, 1) < new_needed
            flexible -= 1
            person = None if make_new else _existing(pools, post.system, taken, a.start, people,
                                                      r)
            if person is None:
                new_needed -= 1
                person = new_person(post, a.end)
        a.person = person
        taken.add(person)
        people[person].last_end = max(people[person].last_end, a.end)
    for _ in range(max(0, scale.people - len(people))):
        post = posts[r.randrange(len(posts))]
        new_person(post, post.first_start)
    return people


def _existing(pools, system, taken, start, people, r):
    """A leader already in the system, preferably one whose last term is over."""
    pool = pools[system] or [p for ps in pools.values() for p in ps[:50]]
    choice = None
    for _ in range(4):
        if not pool:
            return None
        candidate = pool[r.randrange(len(pool))]
        if candidate in taken:
            continue
        choice = candidate
        if people[candidate].last_end < start:
            break
    return choice


def _plan_equality(people, r, today):
    """About two thirds of leaders declare some equality data."""
    rows = {}
    for index, _ in enumerate(people):
        if r.random() >= 0.65:
            continue
        rows[index] = {
            "age_band": r.choices(["under_30", "30_39", "40_49", "50_59", "60_plus",
                                   "not_stated"], weights=[2, 18, 34, 32, 10, 4])[0],
            "sex": r.choices(["female", "male", "other", "not_stated"],
                             weights=[55, 41, 1, 3])[0],
            "ethnic_category": r.choices(
                ["A", "B", "C", "D", "F", "G", "H", "J", "K", "L", "M", "N", "R", "S", "Z"],
                weights=[55, 2, 8, 1, 1, 1, 9, 4, 2, 3, 2, 5, 1, 2, 4])[0],
            "disability": r.choices(["yes", "no", "not_stated"], weights=[6, 82, 12])[0],
            "objects_to_statistics": r.random() < 0.02,
            "declared_on": today - datetime.timedelta(days=r.randint(0, 1500)),
        }
    return rows


