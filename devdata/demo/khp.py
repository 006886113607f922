"""An academic health partnership of four partners. The partnership employs nobody: CAG
leaders keep their substantive employer and hold the partnership's honorary status; university
staff work in the trusts on NHS honorary contracts. Each Clinical Academic Group
has one leadership post of 0.3 WTE on a three-year term with a £20,000 honorarium shared by its
leadership team; some are held by one leader, some by co-leads sharing it."""

import datetime
from decimal import Decimal

from appointments import services
from appointments.models import HonoraryContract
from roles.models import Criterion, JobDescription, Organisation, System

NAME = "King's Health Partners"
SHORT_NAME = "KHP"

CAGS = [
    # (CAG, co-leads?, days until the current term ends)
    ("Cardiovascular", True, 75),
    ("Cancer", False, 400),
    ("Psychological medicine and integrated care", True, 160),
    ("Women and children's health", False, 25),
    ("Neurosciences", True, 540),
    ("Dental", False, 300),
    ("Renal, urology and transplantation", False, 200),
    ("Haematology", True, 620),
]


def load(b):
    khp = b.system(NAME, SHORT_NAME, kind=System.Kind.AHP)
    kcl = b.organisation("King's College London", Organisation.Kind.UNIVERSITY, systems=[khp])
    gstt = b.organisation("Guy's and St Thomas' NHS Foundation Trust", Organisation.Kind.ACUTE,
                          "RJ1", systems=[khp])
    kch = b.organisation("King's College Hospital NHS Foundation Trust",
                         Organisation.Kind.ACUTE, "RJZ", systems=[khp])
    slam = b.organisation("South London and Maudsley NHS Foundation Trust",
                          Organisation.Kind.MENTAL_HEALTH, "RV5", systems=[khp])
    partners = [gstt, kch, slam, kcl]

    director = b.post(khp, gstt, "Executive Director, King's Health Partners",
                      "Executive Director", 1, spatial_level="system",
                      functions=["Research and evidence"], default_term_months=60)
    executive = b.person("doctor", kcl)
    b.appoint(director, executive, datetime.date(2022, 9, 1),
              agreement_parties="Appointee and the partnership board")
    # Employed by the university, the director works in the NHS on an honorary contract.
    _honorary(b, executive, gstt, datetime.date(2022, 9, 1),
              "Honorary consultant contract, to lead the partnership across the trusts")

    for index, (cag, co_leads, days) in enumerate(CAGS):
        host = partners[index % 3]
        post = b.post(
            khp, host, f"CAG Leader — {cag}", "CAG Leader", Decimal("0.30"),
            honorarium=Decimal("20000"), honorarium_is_pool=True, job_share_allowed=True,
            responsible_to=director, spatial_level="provider_collaborative",
            functions=["Research and evidence", "Care pathway transformation and innovation"],
        )
        _job_description(b, post)
        start = b.ending_in(days)
        parties = "Appointee, partnership executive group and employing partner"
        if co_leads:
            clinician = b.person("doctor", host)
            academic = b.person("academic" if index % 2 else "nurse", kcl)
            leaders = [clinician, academic]
            for person in leaders:
                b.appoint(post, person, start, wte=Decimal("0.15"),
                          honorarium_share=Decimal("10000"), agreement_parties=parties)
            # The university's co-lead works in the host trust on an NHS honorary contract.
            _honorary(b, academic, host, start, f"NHS honorary contract, to co-lead the {cag} "
                                                "clinical academic group in the trust")
        else:
            leaders = [b.person("doctor", host)]
            b.appoint(post, leaders[0], start, wte=Decimal("0.30"),
                      honorarium_share=Decimal("20000"), agreement_parties=parties)
        # The partnership employs nobody: each leader holds its honorary status (a passport to
        # work across the partners) for the term.
        for person in leaders:
            _honorary(b, person, khp, start, f"Honorary passport, to lead the {cag} clinical "
                                             "academic group across the partners",
                      end=services.default_end_date(post, start))


def _honorary(b, person, partner, start, purpose, end=None):
    """An honorary contract with a partner organisation, or honorary status with the
    partnership (a System), written with the loader in its history."""
    with_system = isinstance(partner, System)
    b._save(HonoraryContract(
        person=person, partnership=partner if with_system else None,
        organisation=None if with_system else partner, start_date=start, end_date=end,
        reference=f"{'HP' if with_system else 'HC'}-{person.pk:05d}", purpose=purpose))


SUMMARY = ("Leads a Clinical Academic Group, bringing clinical services, research and education "
           "together across the partners, with an executive team and shared metrics.")
RESPONSIBILITIES = "\n".join([
    "Set and deliver the group's strategy across clinical care, research and education.",
    "Report on the group's outcome measures to the partnership board.",
    "Work with the partners' chief operating officers and medical directors on decisions that "
    "affect the group.",
    "Build networks with other groups, universities and national bodies.",
    "Take part in talent development and appraisal within the group.",
])
CRITERIA = [
    ("qualifications", "A degree in a health-related subject or equivalent", "essential", "AP"),
    ("qualifications", "A doctorate or equivalent (essential for academic applicants)",
     "desirable", "AP"),
    ("qualifications", "Full professional registration (clinical applicants)", "essential", "AP"),
    ("knowledge", "Strong leadership and management skills", "essential", "AP,I"),
    ("knowledge", "Understanding of higher education and of the NHS", "essential", "AP,I"),
    ("experience", "Strategic leadership that integrates research, practice and teaching",
     "essential", "AP,I,R"),
    ("experience", "Leading teams across professions and organisations", "essential", "AP,I,R"),
    ("personal", "Works collaboratively with academic, clinical and managerial colleagues",
     "essential", "AP,I,R"),
]


def _job_description(b, post):
    jd = JobDescription(post=post, version=1, summary=SUMMARY, responsibilities=RESPONSIBILITIES,
                        reviewed_on=datetime.date(2025, 12, 1), created_by=b.loader)
    b._save(jd)
    for order, (category, text, requirement, codes) in enumerate(CRITERIA):
        codes = codes.split(",")
        Criterion.objects.create(
            job_description=jd, category=category, text=text, requirement=requirement,
            by_application="AP" in codes, by_interview="I" in codes,
            by_presentation="P" in codes, by_references="R" in codes, order=order)
