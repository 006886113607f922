"""A London ICS moving to a new leadership model (seed 001): the old clinical leads all extended
to 31 October 2022, some further to 31 December 2022 or 31 March 2023 to keep work in flight, the
rest ceasing on 31 October 2022; then, recruited in phases, deputy medical directors (2 WTE),
clinical and care directors (2 WTE across five roles, one for each borough at 0.4 WTE, so the
envelope is exactly used: each is responsible to the CMO and also accountable to the borough's
director of integration) with a medicines and a digital director across the system, whom the
seed gives no envelope, and clinical leads (5 WTE)."""

import datetime
from decimal import Decimal

from appointments import services
from appointments.models import Appointment
from roles.models import Organisation

NAME = "North Central London ICS"
SHORT_NAME = "NCL"
D = datetime.date
PERMANENT, COVER = Appointment.ContractType.PERMANENT, Appointment.ContractType.COVER

BOROUGHS = ["Barnet", "Camden", "Enfield", "Haringey", "Islington"]
EXTENDED_TO = [D(2027, 1, 8), D(2027, 7, 8), D(2027, 1, 8), D(2027, 10, 8), D(2028, 1, 8)]
LEGACY_LEADS = [
    # (portfolio, further extension or None to cease on 31 Oct 2022)
    ("Diabetes", D(2023, 3, 31)), ("Respiratory", D(2022, 12, 31)), ("Frailty", None),
    ("End of life care", D(2023, 3, 31)), ("Children and young people", D(2022, 12, 31)),
    ("Planned care", None), ("Urgent and emergency care", D(2023, 3, 31)),
    ("Mental health", None), ("Learning disability", None), ("Cancer", D(2022, 12, 31)),
]
NEW_LEADS = [
    # (portfolio, profession, days until the term ends; None = vacant)
    ("Barnet place", "nurse", 20), ("Camden place", "ahp", 85), ("Enfield place", "pharmacist",
                                                                  150),
    ("Haringey place", "social_worker", 170), ("Islington place", "doctor", 420),
    ("Population health", "doctor", 600), ("Children and young people", "nurse", 700),
    ("Long-term conditions", "ahp", 800), ("Medicines optimisation", "pharmacist", 900),
    ("Mental health", "psychologist", None), ("Primary care", "doctor", 365),
    ("Frailty and ageing well", "nurse", 1000),
]


def load(b):
    ncl = b.system(NAME, SHORT_NAME)
    icb = b.organisation("NHS North Central London Integrated Care Board", Organisation.Kind.ICB,
                         "QMJ", systems=[ncl])
    uclh = b.organisation("University College London Hospitals NHS Foundation Trust",
                          Organisation.Kind.ACUTE, "RRV", systems=[ncl])
    royal_free = b.organisation("Royal Free London NHS Foundation Trust",
                                Organisation.Kind.ACUTE, "RAL", systems=[ncl])
    whittington = b.organisation("Whittington Health NHS Trust", Organisation.Kind.COMMUNITY,
                                 "RKE", systems=[ncl])
    mental_health = b.organisation("Barnet, Enfield and Haringey Mental Health NHS Trust",
                                   Organisation.Kind.MENTAL_HEALTH, "RRP", systems=[ncl])
    councils = [b.organisation(f"London Borough of {borough}",
                               Organisation.Kind.LOCAL_AUTHORITY, systems=[ncl])
                for borough in BOROUGHS]
    employers = [uclh, royal_free, whittington, mental_health, *councils]

    cmo = b.post(ncl, icb, "Chief Medical Officer", "Chief Medical Officer", 1,
                 duties=["Caldicott Guardian"],
                 functions=["System-wide clinical and care strategy"])
    cno = b.post(ncl, icb, "Chief Nursing Officer", "Chief Nursing Officer", 1,
                 duties=["Safeguarding lead"], functions=["Quality assurance and safety"])
    # The ICB's executives hold permanent posts; the Chief Nursing Officer is on leave, and a
    # deputy acts up for her, on a post that allows no job share.
    b.appoint(cmo, b.person("doctor", icb), D(2022, 7, 1), contract_type=PERMANENT)
    chief_nurse = b.appoint(cno, b.person("nurse", icb), D(2022, 7, 1), contract_type=PERMANENT)
    b.appoint(cno, b.person("nurse", uclh), b.today - datetime.timedelta(days=40),
              b.today + datetime.timedelta(days=80), contract_type=COVER, covers=chief_nurse,
              agreement_parties="Acting Chief Nursing Officer during leave, agreed by the ICB "
                                "Chief Executive")

    _legacy(b, ncl, icb, employers, cmo)
    _deputies(b, ncl, icb, employers, cmo)
    integration = _directors_of_integration(b, ncl, icb)
    directors = _directors(b, ncl, icb, employers, cmo, integration)
    _leads(b, ncl, icb, employers, directors)


def _legacy(b, ncl, icb, employers, cmo):
    """The clinical leads of the old model and their extension waves."""
    appointments = []
    for index, (portfolio, _) in enumerate(LEGACY_LEADS):
        post = b.post(ncl, icb, f"Clinical Lead — {portfolio} (previous model)", "Clinical Lead",
                      Decimal("0.30"), responsible_to=cmo, created_on=D(2019, 10, 1),
                      is_published=False)
        person = b.person("doctor" if index % 3 else "nurse", employers[index % len(employers)])
        appointments.append(b.appoint(post, person, D(2019, 11, 1), D(2022, 9, 30)))
    services.apply_bulk_change(
        appointments=appointments, kind="extend", on_date=D(2022, 10, 31),
        reason="Short-term extension for every clinical lead while the new model is recruited.",
        agreed_by="Chief Medical Officer and Chief Nursing Officer", agreed_on=D(2022, 9, 12),
        by=b.loader)
    for further in (D(2022, 12, 31), D(2023, 3, 31)):
        group = [a for a, (_, end) in zip(appointments, LEGACY_LEADS, strict=True)
                 if end == further]
        services.apply_bulk_change(
            appointments=group, kind="extend", on_date=further,
            reason="Further extension to keep in-flight work going through the transition.",
            agreed_by="Chief Medical Officer with the relevant executive directors",
            agreed_on=D(2022, 10, 14), by=b.loader)
    ceasing = [a for a, (_, end) in zip(appointments, LEGACY_LEADS, strict=True) if end is None]
    services.apply_bulk_change(
        appointments=ceasing, kind="cease", on_date=D(2022, 10, 31),
        reason="The role does not continue in the new leadership model.",
        agreed_by="Chief Medical Officer and Chief Nursing Officer", agreed_on=D(2022, 10, 14),
        by=b.loader)
    for appointment in appointments:
        post = appointment.post
        post.disestablished_on = D(2023, 3, 31)
        b._save(post)


def _deputies(b, ncl, icb, employers, cmo):
    budget = b.budget(ncl, "Deputy Medical Directors", 2)
    for index, focus in enumerate(["Quality and safety", "Transformation"]):
        post = b.post(ncl, icb, f"Deputy Medical Director — {focus}", "Deputy Medical Director",
                      1, budget=budget, responsible_to=cmo,
                      functions=["Quality assurance and safety" if index == 0
                                 else "Care pathway transformation and innovation"])
        person = b.person("doctor", employers[index])
        if index == 0:
            # Started November 2023; the term ended a few weeks ago with no decision recorded.
            b.appoint(post, person, D(2023, 11, 1), D(2026, 10, 31))
        else:
            b.appoint(post, person, b.ending_in(250))


def _directors_of_integration(b, ncl, icb):
    """Each borough's director of integration, to whom its place director is also accountable:
    executive posts, not leadership roles of the model, so not on the published register. They
    lead the integration of care at place (seed 001: the place directors deliver the key
    priorities at place with them), so they count, on investment by function, towards
    transforming care pathways and narrowing inequalities."""
    posts = {}
    for index, borough in enumerate(BOROUGHS):
        post = b.post(ncl, icb, f"Director of Integration — {borough}", "Executive Director", 1,
                      spatial_level="place", is_published=False,
                      functions=["Care pathway transformation and innovation",
                                 "Population health and inequalities"])
        b.appoint(post, b.person("other", icb), b.ending_in(500 + 60 * index, years=5))
        posts[borough] = post
    return posts


def _directors(b, ncl, icb, employers, cmo, integration):
    """The seed's five director roles share 2 WTE, one for each borough: 5 x 0.4 fills the
    envelope exactly. The medicines and digital directors work across the system; the seed
    sets them no envelope, and neither does the demo."""
    budget = b.budget(ncl, "Clinical and Care Directors", 2)
    directors = {}
    for index, borough in enumerate(BOROUGHS):
        post = b.post(ncl, icb, f"Clinical and Care Director — {borough} place",
                      "Clinical and Care Director", Decimal("0.40"), budget=budget,
                      responsible_to=cmo, spatial_level="place",
                      functions=["System-wide clinical and care strategy",
                                 "Population health and inequalities"])
        post.also_accountable_to.set([integration[borough]])
        profession = ["doctor", "nurse", "ahp", "social_worker", "doctor"][index]
        person = b.person(profession, employers[index % len(employers)])
        # Started with the new model in January 2023 and extended once since.
        appointment = b.appoint(post, person, D(2023, 1, 9))
        services.extend(
            appointment=appointment, new_end_date=EXTENDED_TO[index],
            reason="Extended after a satisfactory annual appraisal.",
            agreed_by="Appointee, Chief Medical Officer and host employer",
            agreed_on=D(2025, 11, 3), by=b.loader)
        directors[f"{borough} place"] = appointment
    for role, profession, days, function in [
        ("Medicines", "pharmacist", 45, "System-wide clinical and care strategy"),
        ("Digital", "healthcare_scientist", 300, "Continuous improvement and innovation"),
    ]:
        post = b.post(ncl, icb, f"Clinical and Care Director — {role}",
                      "Clinical and Care Director", Decimal("0.40"), responsible_to=cmo,
                      functions=[function])
        person = b.person(profession, employers[len(directors) % len(employers)])
        directors[role] = b.appoint(post, person, b.ending_in(days))
    return directors


def _leads(b, ncl, icb, employers, directors):
    budget = b.budget(ncl, "Clinical Leads", 5)
    for index, (portfolio, profession, days) in enumerate(NEW_LEADS):
        borough = portfolio.replace(" place", "")
        director = directors.get(f"{borough} place") or directors["Medicines"]
        post = b.post(ncl, icb, f"Clinical Lead — {portfolio}", "Clinical Lead",
                      Decimal("0.40"), budget=budget, responsible_to=director.post,
                      spatial_level="place" if "place" in portfolio else "system",
                      functions=["Care pathway transformation and innovation"])
        if days is None:
            continue  # vacant: the previous holder's term ended (see below)
        person = b.person(profession, employers[index % len(employers)])
        b.appoint(post, person, b.ending_in(days))
    # A lead who left: the post has stood empty since.
    vacant = b.post(ncl, icb, "Clinical Lead — Digital", "Clinical Lead", Decimal("0.40"),
                    responsible_to=directors["Digital"].post,
                    functions=["Continuous improvement and innovation"])
    b.appoint(vacant, b.person("doctor", employers[0]), D(2023, 4, 1), D(2026, 3, 31))
