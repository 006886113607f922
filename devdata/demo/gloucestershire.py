"""A county ICS with a framework for clinical and care professional leadership: leaders of
professional networks, of population health in localities, and of transformation programmes,
mostly on sessional time alongside their own jobs, and a council that oversees the action plan."""

import datetime
from decimal import Decimal

from roles.models import Organisation

NAME = "Gloucestershire ICS"
SHORT_NAME = "GLOS"
D = datetime.date

NETWORKS = [("Allied health professions", "ahp"), ("Nursing and midwifery", "nurse"),
            ("Community pharmacy", "pharmacist"), ("Adult social care", "social_worker"),
            ("Psychological professions", "psychologist")]
LOCALITIES = ["Cheltenham", "Gloucester City", "Forest of Dean", "Stroud and Berkeley Vale",
              "Cotswolds", "Tewkesbury"]
# Clinical leads of the county's primary care networks, who sit in the locality partnerships;
# with the rest they are the leads the yearly temperature check asks (seed 002, action 2.1).
PCNS = ["Cheltenham Central", "Cheltenham Peripheral", "St Paul's", "Gloucester City",
        "Gloucester Inner City", "Aspen and Hucclecote", "Severn Health", "Forest of Dean",
        "Stroud Cotswold", "Stroud Severn", "Berkeley Vale", "North Cotswolds",
        "South Cotswolds", "Tewkesbury, Newent and Staunton", "Rosebank Health"]
PROGRAMMES = [("Cancer", "doctor"), ("Musculoskeletal", "ahp"), ("Respiratory", "nurse"),
              ("Diabetes", "doctor"), ("Mental health", "psychologist"),
              ("Children and young people", "nurse")]


def load(b):
    glos = b.system(NAME, SHORT_NAME)
    icb = b.organisation("NHS Gloucestershire Integrated Care Board", Organisation.Kind.ICB,
                         "QR1", systems=[glos])
    hospitals = b.organisation("Gloucestershire Hospitals NHS Foundation Trust",
                               Organisation.Kind.ACUTE, "RTE", systems=[glos])
    health_care = b.organisation("Gloucestershire Health and Care NHS Foundation Trust",
                                 Organisation.Kind.MENTAL_HEALTH, "RTQ", systems=[glos])
    council = b.organisation("Gloucestershire County Council", Organisation.Kind.LOCAL_AUTHORITY,
                             systems=[glos])
    b.organisation("Gloucestershire VCSE Alliance", Organisation.Kind.VCSE, systems=[glos],
                   is_employer=False)
    employers = [hospitals, health_care, council, icb]

    chair = b.post(glos, icb, "Chair, Clinical and Care Professional Council", "Council Chair",
                   Decimal("0.20"), functions=["Professional leadership support and development"])
    b.appoint(chair, b.person("ahp", health_care), b.ending_in(130))

    for index, (network, profession) in enumerate(NETWORKS):
        post = b.post(glos, icb, f"Professional Network Lead — {network}",
                      "Clinical and Care Professional Lead", Decimal("0.10"),
                      responsible_to=chair,
                      functions=["Professional leadership support and development"])
        b.appoint(post, b.person(profession, employers[index % 3]), b.ending_in(60 + index * 90,
                                                                                years=2))
    for index, locality in enumerate(LOCALITIES):
        post = b.post(glos, icb, f"Integrated Locality Partnership Lead — {locality}",
                      "Clinical and Care Professional Lead", Decimal("0.20"),
                      spatial_level="place", responsible_to=chair,
                      functions=["Population health and inequalities"])
        if index == 5:
            continue  # recruiting
        profession = ["doctor", "nurse", "social_worker", "doctor", "ahp"][index]
        b.appoint(post, b.person(profession, employers[index % 4]),
                  b.ending_in(200 + index * 40, years=2))
    for index, (programme, profession) in enumerate(PROGRAMMES):
        post = b.post(glos, icb, f"Clinical Programme Group Lead — {programme}",
                      "Programme Clinical SRO", Decimal("0.20"), responsible_to=chair,
                      functions=["Care pathway transformation and innovation"])
        b.appoint(post, b.person(profession, employers[index % 2]),
                  b.ending_in(15 + index * 120))
    for index, pcn in enumerate(PCNS):
        post = b.post(glos, icb, f"Primary Care Network Clinical Lead — {pcn}", "Clinical Lead",
                      Decimal("0.05"), spatial_level="place", responsible_to=chair,
                      functions=["Population health and inequalities"])
        profession = ["doctor", "doctor", "nurse", "pharmacist", "doctor", "ahp"][index % 6]
        b.appoint(post, b.person(profession, icb), b.ending_in(90 + index * 45, years=3))
