"""A south London ICS that has agreed ten functions for system leadership and places paid,
protected time at every spatial level: ICS roles of 0.4 WTE, 0.2 in each provider collaborative
and 0.2 in each local care partnership, with clinical network leads at 0.4 WTE. Care pathway
transformation takes the largest share, clinical networks the next."""

from decimal import Decimal

from roles.models import Organisation

NAME = "South East London ICS"
SHORT_NAME = "SEL"

BOROUGHS = ["Bexley", "Bromley", "Greenwich", "Lambeth", "Lewisham", "Southwark"]
FUNCTION_LEADS = [
    ("Population health and inequalities", "public_health"),
    ("System-wide clinical and care strategy", "doctor"),
    ("Clinical and care workforce resilience", "nurse"),
    ("Patient and public engagement", "ahp"),
    ("Continuous improvement and innovation", "doctor"),
    ("Professional leadership support and development", "psychologist"),
    ("Research and evidence", "doctor"),
]
PROGRAMMES = ["Cardiovascular disease", "Diabetes", "Maternity", "Urgent and emergency care",
              "Children and young people", "Mental health", "Frailty", "Cancer"]
NETWORKS = ["Stroke", "Renal", "Respiratory", "Dermatology", "Musculoskeletal",
            "Gastroenterology and endoscopy"]


def load(b):
    sel = b.system(NAME, SHORT_NAME)
    icb = b.organisation("NHS South East London Integrated Care Board", Organisation.Kind.ICB,
                         "QKK", systems=[sel])
    gstt = b.organisation("Guy's and St Thomas' NHS Foundation Trust", Organisation.Kind.ACUTE,
                          "RJ1", systems=[sel])
    kch = b.organisation("King's College Hospital NHS Foundation Trust",
                         Organisation.Kind.ACUTE, "RJZ", systems=[sel])
    slam = b.organisation("South London and Maudsley NHS Foundation Trust",
                          Organisation.Kind.MENTAL_HEALTH, "RV5", systems=[sel])
    lgt = b.organisation("Lewisham and Greenwich NHS Trust", Organisation.Kind.ACUTE, "RJ2",
                         systems=[sel])
    oxleas = b.organisation("Oxleas NHS Foundation Trust", Organisation.Kind.MENTAL_HEALTH,
                            "RPG", systems=[sel])
    providers = [gstt, kch, slam, lgt, oxleas]

    cmo = b.post(sel, icb, "Chief Medical Officer", "Chief Medical Officer", 1,
                 functions=["System-wide clinical and care strategy"],
                 duties=["Caldicott Guardian"])
    cno = b.post(sel, icb, "Chief Nursing Officer", "Chief Nursing Officer", 1,
                 functions=["Quality assurance and safety"],
                 duties=["Safeguarding lead", "Director of Infection Prevention and Control"])
    b.appoint(cmo, b.person("doctor", icb), b.ending_in(900, years=5))
    b.appoint(cno, b.person("nurse", icb), b.ending_in(500, years=5))

    for index, (function, profession) in enumerate(FUNCTION_LEADS):
        post = b.post(sel, icb, f"Clinical and Care Professional Lead — {function}",
                      "Clinical and Care Professional Lead", Decimal("0.40"), responsible_to=cmo,
                      functions=[function], default_term_months=36)
        b.appoint(post, b.person(profession, providers[index % 5]), b.ending_in(100 + 70 * index))
    for index, programme in enumerate(PROGRAMMES):
        sro = b.post(sel, icb, f"Programme Clinical SRO — {programme}", "Programme Clinical SRO",
                     Decimal("0.40"), responsible_to=cmo,
                     functions=["Care pathway transformation and innovation"])
        b.appoint(sro, b.person(["doctor", "nurse", "midwife", "doctor"][index % 4],
                                providers[index % 5]), b.ending_in(150 + 60 * index))
        for collaborative, host in (("acute", gstt), ("mental health", slam)):
            post = b.post(sel, host,
                          f"Provider Collaborative Lead ({collaborative}) — {programme}",
                          "Clinical Lead", Decimal("0.20"), responsible_to=sro,
                          spatial_level="provider_collaborative",
                          functions=["Care pathway transformation and innovation"])
            b.appoint(post, b.person("doctor" if collaborative == "acute" else "psychologist",
                                     host), b.ending_in(300 + 45 * index))
    for index, borough in enumerate(BOROUGHS):
        post = b.post(sel, icb, f"Local Care Partnership Clinical Lead — {borough}",
                      "Clinical Lead", Decimal("0.20"), responsible_to=cmo,
                      spatial_level="place",
                      functions=["Care pathway transformation and innovation",
                                 "Population health and inequalities"])
        b.appoint(post, b.person(["doctor", "nurse", "ahp", "social_worker"][index % 4],
                                 providers[index % 5]), b.ending_in(220 + 80 * index))
    for index, network in enumerate(NETWORKS):
        post = b.post(sel, providers[index % 2], f"Clinical Network Lead — {network}",
                      "Clinical Network Lead", Decimal("0.40"), responsible_to=cmo,
                      functions=["Care standards"])
        b.appoint(post, b.person("doctor" if index % 3 else "nurse", providers[index % 5]),
                  b.ending_in(400 + 30 * index))
