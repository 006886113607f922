"""A synthetic register for benchmarks, valid by construction and written in batches with history.

National scale: 42 integrated care systems, about 1,500 partner organisations, 20,000 posts in
"responsible to" chains under each system's and each trust's CMO and CNO, about 45,000 people and
60,000 appointments: past, current and future terms, co-leads sharing job-share posts (WTE and
honorarium pools split between them), about a third of terms extended (some twice, some in a
system-wide bulk extension), some ended early, some ceased when their posts were disestablished.

The whole register is planned in memory first, from one seeded random generator, so the same seed
and the same day give the same register. Each post's terms follow one another without
overlapping, co-leads' shares add up to no more than the post, and every date is consistent with
the day, so the model rules hold without checking row by row. It is then written with
``bulk_create_with_history``, as the generator user, so every row has its history.

Everything generated can be found again: systems whose short name starts with ``GEN``, the
organisations, budgets and posts in them, and people with ``@generated.example`` addresses.
``flush()`` removes all of that, history included.
"""

import datetime
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection, models, transaction
from django.test.utils import override_settings
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from appointments.models import (
    Appointment,
    BulkChange,
    EqualityProfile,
    Extension,
    Person,
)
from ccpl.models import Notification, User

from .models import (
    EstablishmentBudget,
    Function,
    JobDescription,
    Organisation,
    Post,
    RoleType,
    SpatialLevel,
    StatutoryDuty,
    System,
)

GENERATOR_EMAIL = "data.generator@example.org"
SHORT_NAME_PREFIX = "GEN"
EMAIL_DOMAIN = "generated.example"
CHANGE_REASON = "Generated benchmark data"
BATCH = 2000
HORIZON_DAYS = 180  # successors are appointed up to six months ahead


@dataclass(frozen=True)
class Scale:
    systems: int
    organisations: int
    posts: int
    people: int
    appointments: int


SCALES = {
    "national": Scale(systems=42, organisations=1500, posts=20000, people=45000,
                      appointments=60000),
    "regional": Scale(systems=7, organisations=250, posts=3300, people=7400, appointments=10000),
    "small": Scale(systems=2, organisations=40, posts=80, people=160, appointments=200),
}


class AlreadyGenerated(Exception):
    pass


# --- Small lists the register is made from ----------------------------------------------------

# (short code, name, places in it). Real ICS areas, in region order so that neighbours in the
# list are neighbours on the map; the small and regional scales take the first few.
ICS = [
    ("NCL", "North Central London", ["Barnet", "Camden", "Enfield", "Haringey", "Islington"]),
    ("NEL", "North East London", ["Barking", "Hackney", "Havering", "Newham", "Redbridge",
                                  "Tower Hamlets", "Waltham Forest"]),
    ("NWL", "North West London", ["Brent", "Ealing", "Harrow", "Hillingdon", "Hounslow",
                                  "Westminster", "Hammersmith"]),
    ("SEL", "South East London", ["Bexley", "Bromley", "Greenwich", "Lambeth", "Lewisham",
                                  "Southwark"]),
    ("SWL", "South West London", ["Croydon", "Kingston", "Merton", "Richmond", "Sutton",
                                  "Wandsworth"]),
    ("KM", "Kent and Medway", ["Maidstone", "Canterbury", "Medway", "Dartford", "Ashford",
                               "Thanet"]),
    ("SUS", "Sussex", ["Brighton", "Hastings", "Crawley", "Worthing", "Eastbourne"]),
    ("SH", "Surrey Heartlands", ["Guildford", "Epsom", "Woking", "Redhill"]),
    ("FRM", "Frimley", ["Frimley", "Slough", "Farnborough", "Bracknell"]),
    ("HIOW", "Hampshire and Isle of Wight", ["Southampton", "Portsmouth", "Winchester",
                                             "Basingstoke", "Isle of Wight"]),
    ("BOB", "Buckinghamshire, Oxfordshire and Berkshire West", ["Oxford", "Reading",
                                                                "Aylesbury", "Banbury"]),
    ("BSW", "Bath and North East Somerset, Swindon and Wiltshire", ["Bath", "Swindon",
                                                                    "Salisbury"]),
    ("BNSSG", "Bristol, North Somerset and South Gloucestershire", ["Bristol", "Weston",
                                                                   "Yate"]),
    ("GLOS", "Gloucestershire", ["Gloucester", "Cheltenham", "Stroud"]),
    ("SOM", "Somerset", ["Taunton", "Yeovil", "Bridgwater"]),
    ("DOR", "Dorset", ["Dorchester", "Bournemouth", "Poole"]),
    ("DEV", "Devon", ["Exeter", "Plymouth", "Torbay", "Barnstaple"]),
    ("CIOS", "Cornwall and the Isles of Scilly", ["Truro", "Penzance", "Bodmin"]),
    ("NW", "Norfolk and Waveney", ["Norwich", "King's Lynn", "Great Yarmouth", "Lowestoft"]),
    ("SNEE", "Suffolk and North East Essex", ["Ipswich", "Colchester", "Bury St Edmunds"]),
    ("CP", "Cambridgeshire and Peterborough", ["Cambridge", "Peterborough", "Huntingdon"]),
    ("BLMK", "Bedfordshire, Luton and Milton Keynes", ["Bedford", "Luton", "Milton Keynes"]),
    ("HWE", "Hertfordshire and West Essex", ["Watford", "Stevenage", "Harlow", "St Albans"]),
    ("MSE", "Mid and South Essex", ["Southend", "Basildon", "Chelmsford", "Thurrock"]),
    ("BSOL", "Birmingham and Solihull", ["Birmingham", "Solihull", "Sutton Coldfield"]),
    ("BC", "Black Country", ["Dudley", "Sandwell", "Walsall", "Wolverhampton"]),
    ("CW", "Coventry and Warwickshire", ["Coventry", "Warwick", "Nuneaton", "Rugby"]),
    ("HW", "Herefordshire and Worcestershire", ["Hereford", "Worcester", "Redditch",
                                                "Kidderminster"]),
    ("SSOT", "Staffordshire and Stoke-on-Trent", ["Stoke", "Stafford", "Burton", "Cannock"]),
    ("STW", "Shropshire, Telford and Wrekin", ["Shrewsbury", "Telford", "Oswestry"]),
    ("DDI", "Derby and Derbyshire", ["Derby", "Chesterfield", "Buxton"]),
    ("NN", "Nottingham and Nottinghamshire", ["Nottingham", "Mansfield", "Newark",
                                              "Bassetlaw"]),
    ("LIN", "Lincolnshire", ["Lincoln", "Boston", "Grantham"]),
    ("LLR", "Leicester, Leicestershire and Rutland", ["Leicester", "Loughborough", "Rutland"]),
    ("NHT", "Northamptonshire", ["Northampton", "Kettering", "Corby"]),
    ("CM", "Cheshire and Merseyside", ["Liverpool", "Wirral", "Warrington", "Chester",
                                       "St Helens", "Southport", "Halton"]),
    ("GM", "Greater Manchester", ["Manchester", "Salford", "Stockport", "Bolton", "Wigan",
                                  "Oldham", "Bury", "Rochdale", "Tameside", "Trafford"]),
    ("LSC", "Lancashire and South Cumbria", ["Preston", "Blackpool", "Blackburn", "Lancaster",
                                             "Barrow"]),
    ("WY", "West Yorkshire", ["Leeds", "Bradford", "Calderdale", "Kirklees", "Wakefield"]),
    ("SY", "South Yorkshire", ["Sheffield", "Doncaster", "Rotherham", "Barnsley"]),
    ("HNY", "Humber and North Yorkshire", ["Hull", "York", "Scarborough", "Harrogate",
                                           "Grimsby", "Scunthorpe"]),
    ("NENC", "North East and North Cumbria", ["Newcastle", "Sunderland", "Durham", "Teesside",
                                              "Northumberland", "Gateshead", "Carlisle"]),
]
LONDON = {"NCL", "NEL", "NWL", "SEL", "SWL"}
# Ambulance services: (name, the first system of the area it serves).
AMBULANCE = [("London Ambulance Service NHS Trust", "NCL"),
             ("South East Coast Ambulance Service NHS Foundation Trust", "KM"),
             ("South Central Ambulance Service NHS Foundation Trust", "FRM"),
             ("South Western Ambulance Service NHS Foundation Trust", "BSW"),
             ("East of England Ambulance Service NHS Trust", "NW"),
             ("West Midlands Ambulance Service University NHS Foundation Trust", "BSOL"),
             ("East Midlands Ambulance Service NHS Trust", "DDI"),
             ("North West Ambulance Service NHS Trust", "CM"),
             ("Yorkshire Ambulance Service NHS Trust", "WY"),
             ("North East Ambulance Service NHS Foundation Trust", "NENC")]

PCN_NAMES = ["Central", "North", "South", "East", "West", "Riverside", "Parkside", "Valley",
             "Healthy Living", "Together", "Horizon", "Meridian", "Unity", "Crossroads",
             "Heartlands", "Coastal", "Docklands", "Garden City", "Bridge", "Forest", "Hillside",
             "Lakeside", "Canal", "Market Town", "Abbey", "Castle", "Minster", "Greenway"]
VCSE_NAMES = ["Community Voluntary Services", "Carers Network", "Wellbeing Trust",
              "Community Action"]
SPECIALTIES = ["Cancer", "Cardiovascular Disease", "Diabetes", "Respiratory", "Stroke",
               "Maternity", "Children and Young People", "Mental Health",
               "Learning Disability and Autism", "Frailty", "End of Life Care",
               "Urgent and Emergency Care", "Primary Care", "Elective Care", "Digital Health",
               "Medicines Optimisation", "Population Health", "Health Inequalities",
               "Workforce", "Quality Improvement", "Research", "Infection Prevention",
               "Dementia", "Musculoskeletal", "Kidney Care", "Eye Health", "Dermatology",
               "Perinatal Mental Health", "Personalised Care", "Community Services",
               "Diagnostics", "Pathology", "Imaging", "Critical Care", "Neurosciences"]
THEMES = ["Planned Care", "Urgent and Emergency Care", "Children and Young People",
          "Mental Health", "Primary Care", "Population Health", "Community Services", "Quality"]
PROGRAMMES = ["Elective Recovery", "Urgent and Emergency Care", "Digital Transformation",
              "Virtual Wards", "Long-term Conditions", "Community Diagnostics",
              "Children's Health", "Mental Health Transformation", "Medicines Optimisation",
              "Prevention", "Cancer Early Diagnosis", "Core20PLUS5"]

GIVEN = ["Abena", "Aled", "Anjali", "Arlo", "Bethan", "Bilal", "Caitlin", "Cormac", "Daria",
         "Declan", "Efua", "Elin", "Farida", "Finlay", "Gemma", "Gideon", "Harriet", "Hassan",
         "Ines", "Ivor", "Jasmin", "Joel", "Kavita", "Kwame", "Lowri", "Luca", "Maryam", "Milo",
         "Nkechi", "Noah", "Orla", "Oscar", "Pooja", "Piers", "Rania", "Reuben", "Saoirse",
         "Sefton", "Tallulah", "Tariq", "Ulrika", "Umar", "Valentina", "Vaughan", "Wanjiru",
         "Wilf", "Yasmin", "Yannick", "Zainab", "Zac", "Agnieszka", "Bartosz", "Chidi", "Dilys",
         "Esme", "Femi", "Gwen", "Hamza", "Ife", "Jerome"]
FAMILY = ["Abbott", "Achterberg", "Adebayo", "Ainsworth", "Bhattacharya", "Blackwood",
          "Brightwell", "Carmody", "Chaudhry", "Cresswell", "Dacosta", "Dunmore", "Eastwood",
          "Ekwueme", "Fenwick", "Fitzgerald", "Gallagher", "Greenhalgh", "Haddad", "Hartigan",
          "Hussain", "Ibbotson", "Ingram", "Jablonski", "Jeffries", "Kapoor", "Kilbride",
          "Kowalczyk", "Lachlan", "Lister", "Lockwood", "Macaulay", "Mbeki", "Merriman",
          "Nair", "Nettleton", "Ndlovu", "Oakes", "Obi", "Ormerod", "Pargeter", "Pillai",
          "Prendergast", "Quinlan", "Radcliffe", "Rahim", "Rushworth", "Saltmarsh", "Sandhu",
          "Shackleton", "Tadesse", "Thackeray", "Tolhurst", "Upton", "Vance", "Verma",
          "Wadsworth", "Waweru", "Whitaker", "Yeung", "Yilmaz", "Zaman", "Zeller", "Ashby",
          "Brereton", "Coulson", "Delaney", "Entwistle", "Fairclough", "Gorecki", "Holroyd",
          "Iwu", "Jennings", "Kilner", "Lomas", "Mistry", "Newbould", "Osei", "Pickering",
          "Rowbotham"]

# Professions of leaders in non-board roles, weighted as the sector is (still medicine-heavy).
PROFESSIONS = (["doctor"] * 45 + ["nurse"] * 20 + ["ahp"] * 9 + ["pharmacist"] * 6
               + ["psychologist"] * 4 + ["social_worker"] * 4 + ["midwife"] * 3
               + ["healthcare_scientist"] * 2 + ["dentist"] + ["optometrist"]
               + ["public_health"] * 3 + ["physician_associate"] + ["academic"])
HCPC_PREFIXES = ["PH", "OT", "SL", "DT", "PA", "CH", "RA"]

EXTENSION_REASONS = [
    "Extended to see the programme through its next phase.",
    "Extended while the leadership model is reviewed.",
    "Extended to cover recruitment to the substantive post.",
    "Extended following a satisfactory annual appraisal.",
    "Extended to align the term with the end of the financial year.",
]
AGREED_BY = ["Appointee, CMO and partnership executive", "Appointee and the CMO/CNO office",
             "Appointee, CNO office and host organisation",
             "Appointee, partnership executive group and partners"]
ENDED_REASONS = ["Resigned to take up a post elsewhere.", "Stepped down for personal reasons.",
                 "Retired from clinical practice.", "Moved to another leadership role.",
                 "Stepped down on taking up a substantive post in the host organisation.",
                 "Left at the end of a secondment."]
CEASED_REASONS = ["Ceased when the programme closed.",
                  "Role not continued after the review of the leadership model.",
                  "Ceased when funding for the role ended."]

# Lead roles: (role type, share of lead posts, WTE tenths to choose from, chance of job share,
# chance of an honorarium, term in months).
LEAD_ROLES = [
    ("Clinical Lead", 38, [1, 2, 2, 3, 4], 0.15, 0.30, 36),
    ("Clinical and Care Professional Lead", 22, [1, 1, 2], 0.10, 0.20, 24),
    ("Clinical Network Lead", 14, [2, 3, 4], 0.15, 0.30, 36),
    ("Programme Clinical SRO", 14, [2, 3, 4, 5], 0.10, 0.20, 36),
    ("CAG Leader", 12, [3, 4, 5, 6], 0.60, 1.00, 36),
]
BUDGET_GROUPS = {
    "Clinical and Care Director": "Clinical and Care Directors",
    "Clinical Lead": "Clinical Leads",
    "Clinical and Care Professional Lead": "Clinical and Care Professional Leads",
    "Clinical Network Lead": "Network Leads and Programme SROs",
    "Programme Clinical SRO": "Network Leads and Programme SROs",
    "CAG Leader": "CAG Leaders",
}
# Roles whose holders must be of one profession, and so are never filled from another post's
# leaders at random.
PROFESSION_OF_ROLE = {"Chief Medical Officer": "doctor", "Deputy Medical Director": "doctor",
                      "Chief Nursing Officer": "nurse"}
TRUST_KINDS = {Organisation.Kind.ACUTE, Organisation.Kind.MENTAL_HEALTH,
               Organisation.Kind.COMMUNITY, Organisation.Kind.AMBULANCE}


# --- The plan ---------------------------------------------------------------------------------

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
    for appointment in appointments:
        if appointment.wave is not None:
            waves[appointment.wave].members.append(appointment)
        for extension in appointment.extensions:
            if extension.wave is not None:
                waves[extension.wave].members.append(appointment)
    return Plan(today=today, systems=systems, organisations=organisations, posts=posts,
                waves=waves, appointments=appointments, people=people, equality=equality)


def _plan_organisations(scale, systems, r):
    """Each system's ICB, trusts, councils, universities, VCSE partners and GP federations, then
    primary care networks to make up the number. Some trusts and universities are partners in the
    next system too, as are the ambulance services."""
    orgs = []
    counters = Counter()

    def add(name, kind, system, prefix="", width=3):
        code = ""
        if prefix:
            counters[prefix] += 1
            code = f"{prefix}{counters[prefix]:0{width}d}"
        orgs.append(PlannedOrganisation(name=name, kind=kind, ods_code=code, systems=[system]))
        return orgs[-1]

    Kind = Organisation.Kind
    codes = [code for code, _, _ in systems]
    for s, (code, name, places) in enumerate(systems):
        add(f"NHS {name} Integrated Care Board", Kind.ICB, s, "ZQ", 2)
        for n in range(min(4, 1 + len(places) // 2)):
            pattern = r.choice(["{} Hospitals NHS Foundation Trust",
                                "{} Teaching Hospitals NHS Trust",
                                "University Hospitals of {} NHS Foundation Trust"])
            add(pattern.format(places[n]), Kind.ACUTE, s, "ZR")
        add(f"{name} Partnership NHS Foundation Trust", Kind.MENTAL_HEALTH, s, "ZR")
        if r.random() < 0.6:
            add(f"{name} Community Health NHS Trust", Kind.COMMUNITY, s, "ZR")
        for place in places[:4]:
            council = f"London Borough of {place}" if code in LONDON else f"{place} Council"
            add(council, Kind.LOCAL_AUTHORITY, s, "ZL")
        add(f"University of {places[0]}", Kind.UNIVERSITY, s)
        if r.random() < 0.3:
            add(f"{places[-1]} University", Kind.UNIVERSITY, s)
        for place in r.sample(places, min(len(places), r.randint(2, 4))):
            add(f"{place} {r.choice(VCSE_NAMES)}", Kind.VCSE, s)
        for place in places[: r.randint(1, 2)]:
            add(f"{place} GP Federation", Kind.GP_FEDERATION, s, "ZF")
    for name, home in AMBULANCE:
        if home in codes:
            s = codes.index(home)
            org = add(name, Kind.AMBULANCE, s, "ZA", 2)
            if s + 1 < len(systems):
                org.systems.append(s + 1)
    # Some trusts and universities are partners in the next system as well.
    for org in orgs:
        if (org.kind in {Kind.ACUTE, Kind.MENTAL_HEALTH, Kind.UNIVERSITY}
                and len(org.systems) == 1 and org.systems[0] + 1 < len(systems)
                and r.random() < 0.12):
            org.systems.append(org.systems[0] + 1)

    # Primary care networks make up the rest, more of them in systems with more places.
    wanted = max(scale.organisations - len(orgs), len(systems))
    weights = [len(places) * r.uniform(0.8, 1.2) for _, _, places in systems]
    shares = [max(1, int(wanted * w / sum(weights))) for w in weights]
    for s in sorted(range(len(systems)), key=lambda s: -weights[s])[: wanted - sum(shares)]:
        shares[s] += 1
    for s, (_, _, places) in enumerate(systems):
        for n in range(shares[s]):
            place = places[n % len(places)]
            suffix = PCN_NAMES[(n // len(places)) % len(PCN_NAMES)]
            round_ = n // (len(places) * len(PCN_NAMES))
            add(f"{place} {suffix}{f' {round_ + 1}' if round_ else ''} PCN", Kind.PCN, s, "ZU",
                4)

    members = defaultdict(list)  # system index -> organisation indices partnered in it
    for index, org in enumerate(orgs):
        for s in org.systems:
            members[s].append(index)
    return orgs, members


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


def _plan_posts(scale, systems, organisations, members, waves, r, today):
    """Per system: the ICB's CMO and CNO with two deputy medical directors and a council chair;
    each trust's CMO, CNO and deputy; clinical and care directors under the ICB deputies; leads
    under the directors (or the trust deputies); some professional leads under clinical leads."""
    Kind = Organisation.Kind
    weights = [len(members[s]) for s in range(len(systems))]
    per_system = [int(scale.posts * w / sum(weights)) for w in weights]
    for s in range(scale.posts - sum(per_system)):
        per_system[s % len(systems)] += 1
    posts = []

    def add(s, host, role, title, wte_tenths, parent, *, term_months=36, honorarium=None,
            job_share=False, spatial=SpatialLevel.SYSTEM, functions=(), duties=()):
        code = systems[s][0]
        post = PlannedPost(
            index=len(posts), system=s, host=host, role=role, title=title,
            reference=f"{SHORT_NAME_PREFIX}-{code}-{len(posts) + 1:05d}",
            wte_tenths=wte_tenths, honorarium=honorarium, job_share=job_share,
            term_months=term_months, parent=parent,
            depth=0 if parent is None else posts[parent].depth + 1, spatial_level=spatial,
            functions=list(functions), duties=list(duties), is_published=r.random() < 0.95,
            first_start=_first_start(role, r, today),
        )
        posts.append(post)
        return post.index

    for s, (_, _, places) in enumerate(systems):
        own = [o for o in members[s] if organisations[o].systems[0] == s]
        icb = next(o for o in own if organisations[o].kind == Kind.ICB)
        trusts = [o for o in own if organisations[o].kind in TRUST_KINDS]
        partners = members[s]
        by_kind = defaultdict(list)
        for o in partners:
            by_kind[organisations[o].kind].append(o)
        left = per_system[s]
        titles = Counter()  # (title, host) -> posts so far

        cmo = add(s, icb, "Chief Medical Officer", "Chief Medical Officer", 10, None,
                  term_months=60, functions=[2, 4], duties=["Responsible Officer"])
        add(s, icb, "Chief Nursing Officer", "Chief Nursing Officer", 10, None, term_months=60,
            functions=[4, 3], duties=["Safeguarding lead"])
        icb_deputies = [
            add(s, icb, "Deputy Medical Director", f"Deputy Medical Director, {area}",
                r.choice([5, 6, 8, 10]), cmo, functions=[r.randrange(10)])
            for area in r.sample(["Quality", "Transformation", "Primary Care", "Workforce"], 2)
        ]
        add(s, icb, "Council Chair", "Chair, Clinical and Care Professional Council", 2, cmo,
            honorarium=r.choice([8000, 10000, 12000]), functions=[7])
        left -= 5
        trust_deputies = {}
        for trust in trusts:
            if left < 3 + len(trusts):
                break
            trust_cmo = add(s, trust, "Chief Medical Officer", "Chief Medical Officer", 10,
                            None, term_months=60, spatial=SpatialLevel.ORGANISATION,
                            functions=[4], duties=["Responsible Officer", "Caldicott Guardian"])
            add(s, trust, "Chief Nursing Officer", "Chief Nursing Officer", 10, None,
                term_months=60, spatial=SpatialLevel.ORGANISATION, functions=[4],
                duties=["Director of Infection Prevention and Control", "Safeguarding lead"])
            trust_deputies[trust] = add(
                s, trust, "Deputy Medical Director", "Deputy Medical Director",
                r.choice([5, 6, 8]), trust_cmo, spatial=SpatialLevel.ORGANISATION,
                functions=[4], duties=["Controlled Drugs Accountable Officer"])
            left -= 3

        directors = []
        for n in range(max(2, round(per_system[s] * 0.08))):
            if n < len(places):
                title = f"Clinical and Care Director, {places[n]} Place"
                spatial = SpatialLevel.PLACE
            else:
                title = f"Clinical and Care Director for {THEMES[(n - len(places)) % len(THEMES)]}"
                spatial = SpatialLevel.SYSTEM
            job_share = r.random() < 0.1
            title = _unique_title(titles, places, title, icb)
            directors.append(add(
                s, icb, "Clinical and Care Director", title, r.choice([4, 5, 6]),
                r.choice(icb_deputies), job_share=job_share,
                honorarium=r.choice([None, 12000, 15000]) if r.random() < 0.4 else None,
                spatial=spatial, functions=r.sample(range(10), r.randint(1, 3))))
        left -= len(directors)

        clinical_leads = []
        role_weights = [w for _, w, *_ in LEAD_ROLES]
        for _ in range(left):
            role, _, tenths, share_chance, honorarium_chance, months = r.choices(
                LEAD_ROLES, weights=role_weights)[0]
            if role == "Clinical and Care Professional Lead" and clinical_leads \
                    and r.random() < 0.3:
                parent = r.choice(clinical_leads)
                host = posts[parent].host
            else:
                host = _lead_host(role, icb, by_kind, partners, r)
                parent = (trust_deputies.get(host) or r.choice(directors))
            wte = r.choice(tenths)
            job_share = wte >= 2 and r.random() < share_chance
            honorarium = None
            if r.random() < honorarium_chance:
                honorarium = 20000 if role == "CAG Leader" else 500 * r.randint(8, 30)
            specialty = r.choice(SPECIALTIES)
            title = {
                "Clinical Lead": f"Clinical Lead for {specialty}",
                "Clinical and Care Professional Lead":
                    f"Clinical and Care Professional Lead, {specialty}",
                "Clinical Network Lead": f"{specialty} Network Clinical Lead",
                "Programme Clinical SRO":
                    f"Programme Clinical SRO, {r.choice(PROGRAMMES)}",
                "CAG Leader": f"CAG Leader, {specialty}",
            }[role]
            kind = organisations[host].kind
            spatial = (SpatialLevel.ORGANISATION if kind in TRUST_KINDS
                       else SpatialLevel.PLACE if kind in {Kind.PCN, Kind.LOCAL_AUTHORITY}
                       else r.choice([SpatialLevel.SYSTEM, SpatialLevel.PROVIDER_COLLABORATIVE,
                                      SpatialLevel.PLACE]))
            if r.random() < 0.15:
                months = r.choice([12, 24])
            wave = next((w for w, wave in enumerate(waves)
                         if wave.system == s and wave.kind == BulkChange.Kind.CEASE
                         and role in wave.roles), None)
            title = _unique_title(titles, places, title, host)
            index = add(s, host, role, title, wte, parent, term_months=months,
                        honorarium=honorarium, job_share=job_share, spatial=spatial,
                        functions=r.sample(range(10), r.randint(1, 3)))
            if wave is not None and r.random() < 0.5:
                posts[index].cease_wave = wave
            if role == "Clinical Lead":
                clinical_leads.append(index)
    return posts


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


# --- Finding and removing it -----------------------------------------------------------------

def generated_systems():
    return System.objects.filter(short_name__startswith=SHORT_NAME_PREFIX)


def flush(*, say=print):
    """Remove a generated register and everything attached to it since (vacancies, decisions,
    reminders, grants on its systems), and the history rows of the generated objects: they only
    record that the generator wrote them. Returns the number of rows removed."""
    from governance.models import Body, Seat

    systems = generated_systems()
    posts = Post.objects.filter(system__in=systems)
    appointments = Appointment.objects.filter(post__in=posts)
    targets = {
        System: systems,
        Organisation: Organisation.objects.filter(systems__in=systems)
        .exclude(systems__in=System.objects.exclude(pk__in=systems)),
        EstablishmentBudget: EstablishmentBudget.objects.filter(system__in=systems),
        Post: posts,
        Person: Person.objects.filter(work_email__iendswith=f"@{EMAIL_DOMAIN}"),
        Appointment: appointments,
        Extension: Extension.objects.filter(appointment__in=appointments),
        Body: Body.objects.filter(system__in=systems),
        Seat: Seat.objects.filter(body__system__in=systems),
    }
    ids = {model: list(qs.order_by().values_list("pk", flat=True).distinct())
           for model, qs in targets.items()}
    if not any(ids.values()):
        return 0
    removed = 0
    # History is switched off while deleting: a "deleted" record for each of 150,000 synthetic
    # rows would cost a query each, and their history goes below anyway.
    with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
        reminded = {Appointment: ids[Appointment], JobDescription: list(
            JobDescription.objects.filter(post__in=posts).values_list("pk", flat=True))}
        for model, pks in reminded.items():
            for chunk in _chunks(pks):
                removed += Notification.objects.filter(
                    object_type=model._meta.label_lower, object_id__in=chunk).delete()[0]
        for model in (Appointment, Post, EstablishmentBudget, Person):
            for chunk in _chunks(ids[model]):
                if model in (Appointment, Post):
                    removed += _delete_protecting(model, chunk)
                removed += model.objects.filter(pk__in=chunk).delete()[0]
        removed += BulkChange.objects.filter(recorded_by__email=GENERATOR_EMAIL).delete()[0]
        # Governance of the generated systems: plans first (their actions may be owned by
        # bodies), then the bodies and their seats.
        from governance.models import Body, Framework

        for model in (Framework, Body):
            removed += model.objects.filter(system__in=ids[System]).delete()[0]
        for model in (Organisation, System):
            for chunk in _chunks(ids[model]):
                removed += model.objects.filter(pk__in=chunk).delete()[0]
        for model, pks in ids.items():
            for field_name in _m2m_history_fields(model):
                historical = getattr(model.history.model, field_name).model
                own = getattr(model, field_name).field.m2m_field_name()
                for chunk in _chunks(pks):
                    removed += historical.objects.filter(**{f"{own}_id__in": chunk}).delete()[0]
            for chunk in _chunks(pks):
                removed += model.history.filter(id__in=chunk).delete()[0]
    say(f"Removed {removed:,} generated rows (history included).")
    return removed


GENERATED_BODIES = [("Integrated Care Board", "board"), ("System Quality Board", "board"),
                    ("Clinical and Care Professional Leadership Group", "group"),
                    ("Clinical Programme Board", "board")]


def _delete_protecting(model, pks):
    """What was attached since to generated appointments and posts and would keep them (an
    appraisal cycle, a vacancy) goes with them."""
    removed = 0
    for relation in model._meta.related_objects:
        if relation.on_delete is models.PROTECT and relation.related_model is not Appointment:
            removed += relation.related_model._base_manager.filter(
                **{f"{relation.field.name}__in": pks}).delete()[0]
    return removed


def _m2m_history_fields(model):
    return {Organisation: ["systems"], Post: ["functions", "statutory_duties"]}.get(model, [])


def _chunks(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- Writing it -------------------------------------------------------------------------------

def generate(scale_name, *, seed=1, today=None, flush_first=False, say=print):
    """Plan and write a register of the given scale. Returns counts per model.

    Refuses (AlreadyGenerated) when a generated register is already in the database, unless
    ``flush_first``; other data in the database is left alone."""
    started = time.perf_counter()
    scale = SCALES[scale_name]
    today = today or timezone.localdate()
    if flush_first:
        removed = flush(say=say)
        if removed:
            say(f"Removed the earlier generated data in {time.perf_counter() - started:.1f} s.")
    elif generated_systems().exists():
        raise AlreadyGenerated(
            "Generated data is already in this database; use --flush-generated to replace it.")
    started = time.perf_counter()
    plan = plan_register(scale, seed=seed, today=today)
    say(f"Planned in {time.perf_counter() - started:.1f} s; writing.")
    with transaction.atomic():
        by, _ = User.objects.get_or_create(
            email=GENERATOR_EMAIL, defaults={"full_name": "Data generator", "is_active": False})
        writer = _Writer(plan, by)
        counts = writer.write()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, or the planner guesses badly
    counts["summary"] = summarise(plan) | {"history rows": writer.history_rows}
    return counts


def summarise(plan):
    """What kind of terms the plan holds, as of its day."""
    today, appointments = plan.today, plan.appointments
    Status = Appointment.Status
    return {
        "today": today,
        "past": sum(a.end < today for a in appointments),
        "current": sum(a.start <= today <= a.end for a in appointments),
        "future": sum(a.start > today for a in appointments),
        "co-leads": sum(n for n in Counter((a.post, a.term) for a in appointments).values()
                        if n > 1),
        "extended": sum(bool(a.extensions) for a in appointments),
        "extended twice": sum(len(a.extensions) > 1 for a in appointments),
        "extended in bulk": sum(any(e.wave is not None for e in a.extensions)
                                for a in appointments),
        "ended": sum(a.status == Status.ENDED for a in appointments),
        "ceased": sum(a.status == Status.CEASED for a in appointments),
    }


class _Writer:
    """Writes a plan: every model with history through ``bulk_create_with_history``, the
    many-to-many links with their history rows, in dependency order."""

    def __init__(self, plan, by):
        self.plan, self.by = plan, by
        self.counts = {}
        self.history_rows = 0

    def write(self):
        from ccpl.demo import reference

        reference.load(None)  # role types, the ten functions, statutory duties
        self.role_types = {rt.name: rt for rt in RoleType.objects.all()}
        self.functions = list(Function.objects.order_by("order", "name"))
        self.duties = {d.name: d for d in StatutoryDuty.objects.all()}
        systems = self._systems()
        organisations = self._organisations(systems)
        budgets = self._budgets(systems)
        posts = self._posts(systems, organisations, budgets)
        self._governance(systems, posts)
        people = self._people(organisations)
        self._appointments(posts, people)
        return self.counts

    def _governance(self, systems, posts):
        """A few bodies in each system, with seats for its leadership posts (what the public
        register shows as "sits on")."""
        from governance.models import Body, Seat

        bodies = self._create(Body, [Body(system=system, name=name, kind=kind)
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
                seats.append(Seat(body=board, post=post, capability="Executive leadership"))
                seats.append(Seat(body=group, post=post, role=Seat.Role.CO_CHAIR))
            elif index % 3 == 0:
                seats.append(Seat(body=group, post=post))
            elif index % 7 == 1:
                seats.append(Seat(body=programmes, post=post))
            elif index % 11 == 2:
                seats.append(Seat(body=quality, post=post, capability="Quality and safety"))
        self._create(Seat, seats)

    def _create(self, model, objs):
        created = []
        for start in range(0, len(objs), BATCH):
            created += bulk_create_with_history(
                objs[start:start + BATCH], model, batch_size=BATCH, default_user=self.by,
                default_change_reason=CHANGE_REASON)
        self.counts[model._meta.verbose_name_plural] = len(created)
        self.history_rows += len(created)
        return created

    def _links(self, model, m2m, rows, label):
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

    def _systems(self):
        return self._create(System, [
            System(name=f"{name} Integrated Care System",
                   short_name=f"{SHORT_NAME_PREFIX}-{code}", kind=System.Kind.ICS)
            for code, name, _ in self.plan.systems])

    def _organisations(self, systems):
        created = self._create(Organisation, [
            Organisation(name=o.name, kind=o.kind, ods_code=o.ods_code)
            for o in self.plan.organisations])
        through = Organisation.systems.through
        self._links(Organisation, "systems", [
            through(organisation_id=org.pk, system_id=systems[s].pk)
            for org, planned in zip(created, self.plan.organisations, strict=True)
            for s in planned.systems
        ], "organisation partnerships")
        return created

    def _budgets(self, systems):
        totals = defaultdict(lambda: [Decimal(0), 0])
        for post in self.plan.posts:
            if post.budget and post.disestablished_on is None:
                totals[post.budget][0] += Decimal(post.wte_tenths) / 10
                totals[post.budget][1] += post.honorarium or 0
        r = random.Random(len(totals))  # noqa: S311 - envelopes only need to vary
        keys = sorted(totals)
        # Most envelopes cover their posts; some are over-established, as the register shows.
        factors = [r.choice([Decimal("0.9"), Decimal("1.0"), Decimal("1.0"), Decimal("1.2")])
                   for _ in keys]
        created = self._create(EstablishmentBudget, [
            EstablishmentBudget(
                system=systems[key[0]], name=key[1],
                wte_envelope=(totals[key][0] * factor).quantize(Decimal("0.1")),
                honorarium_envelope=(Decimal(totals[key][1]) * factor).quantize(Decimal(1))
                if totals[key][1] else None)
            for key, factor in zip(keys, factors, strict=True)])
        return dict(zip(keys, created, strict=True))

    def _posts(self, systems, organisations, budgets):
        created = [None] * len(self.plan.posts)
        for depth in range(max(p.depth for p in self.plan.posts) + 1):
            level = [p for p in self.plan.posts if p.depth == depth]
            rows = [Post(
                title=p.title, reference=p.reference, role_type=self.role_types[p.role],
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
            for p, post in zip(level, self._create(Post, rows), strict=True):
                created[p.index] = post
        self.counts[Post._meta.verbose_name_plural] = len(created)
        functions = Post.functions.through
        self._links(Post, "functions", [
            functions(post_id=created[p.index].pk, function_id=self.functions[f].pk)
            for p in self.plan.posts for f in p.functions], "post functions")
        duties = Post.statutory_duties.through
        self._links(Post, "statutory_duties", [
            duties(post_id=created[p.index].pk, statutoryduty_id=self.duties[d].pk)
            for p in self.plan.posts for d in p.duties], "post statutory duties")
        return created

    def _people(self, organisations):
        r = random.Random(len(self.plan.people))  # noqa: S311 - numbers only need to vary
        rows = []
        for n, p in enumerate(self.plan.people, start=1):
            body, number = _registration(p.profession, r)
            local = f"{p.given}.{p.family}.{n}".lower()
            rows.append(Person(
                given_name=p.given, family_name=p.family, work_email=f"{local}@{EMAIL_DOMAIN}",
                phone=f"07700 900{n % 1000:03d}" if n % 2 else "",  # Ofcom's drama numbers
                profession=p.profession, registration_body=body, registration_number=number,
                substantive_employer=organisations[p.employer], consent_to_publish=p.consent))
        created = self._create(Person, rows)
        EqualityProfile.objects.bulk_create([
            EqualityProfile(person=created[index], **fields)
            for index, fields in sorted(self.plan.equality.items())], batch_size=BATCH)
        self.counts["equality profiles"] = len(self.plan.equality)
        return created

    def _appointments(self, posts, people):
        plan, by = self.plan, self.by
        zone = timezone.get_current_timezone()
        now = timezone.now()

        def at(day, hour=10):
            return min(datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone), now)

        changes = BulkChange.objects.bulk_create([
            BulkChange(kind=w.kind, on_date=w.on_date, reason=w.reason, agreed_by=w.agreed_by,
                       agreed_on=w.agreed_on, recorded_by=by, recorded_at=at(w.agreed_on, 16),
                       appointment_count=len({id(a) for a in w.members}))
            for w in plan.waves if w.members])
        change_of = dict(zip([w for w, wave in enumerate(plan.waves) if wave.members], changes,
                             strict=True))
        self.counts["bulk changes"] = len(changes)
        rows = []
        for a in plan.appointments:
            post = posts[a.post]
            closed = a.status in (Appointment.Status.ENDED, Appointment.Status.CEASED)
            rows.append(Appointment(
                post=post, person=people[a.person], start_date=a.start, end_date=a.end,
                wte=Decimal(a.wte_hundredths) / 100, honorarium_share=Decimal(a.share),
                status=a.status,
                agreement_parties=f"Appointee, {post.host_organisation.name}",
                scheduled_end_date=a.scheduled_end, end_reason=a.end_reason,
                end_recorded_at=at(a.recorded_on) if closed else None,
                end_recorded_by=by if closed else None,
                created_at=at(a.start - datetime.timedelta(days=45)),
            ))
        created = self._create(Appointment, rows)
        extensions = [
            Extension(appointment=appointment, number=number, old_end_date=e.old_end,
                      new_end_date=e.new_end, reason=e.reason, agreed_by=e.agreed_by,
                      agreed_on=e.agreed_on, recorded_by=by,
                      recorded_at=at(e.agreed_on + datetime.timedelta(days=2)),
                      bulk_change=change_of.get(e.wave) if e.wave is not None else None)
            for a, appointment in zip(plan.appointments, created, strict=True)
            for number, e in enumerate(a.extensions, start=1)
        ]
        self._create(Extension, extensions)
        through = BulkChange.appointments.through
        index = {id(a): appointment
                 for a, appointment in zip(plan.appointments, created, strict=True)}
        through.objects.bulk_create([
            through(bulkchange_id=change_of[w].pk, appointment_id=index[key].pk)
            for w in change_of
            for key in dict.fromkeys(id(a) for a in plan.waves[w].members)
        ], batch_size=BATCH)


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
