"""A trust's Chief Medical Officer: an executive, voting board member who is also the Caldicott
Guardian and the Responsible Officer, reporting to the Chief Executive. Both hold permanent
posts."""

import datetime

from appointments.models import Appointment
from roles.models import Criterion, JobDescription, Organisation

PERMANENT = Appointment.ContractType.PERMANENT

NAME = "Herefordshire and Worcestershire ICS"
SHORT_NAME = "HW"

RESPONSIBILITIES = "\n".join([
    "Lead the medical workforce, with executive accountability for quality, patient safety, "
    "medicines safety and clinical governance.",
    'Act as the Caldicott Guardian and the Responsible Officer for the revalidation of doctors.',
    'Sit on the board as a voting executive director and advise it on clinical risk.',
    'Co-chair the clinical governance committee and give the board assurance on it.',
    'Lead medical education, undergraduate and postgraduate.',
    'Work with the Chief Nursing Officer on the quality and safety strategy.',
])

CRITERIA = [
    ("qualifications", "Full registration with a licence to practise", "essential", "AP"),
    ("qualifications", "A senior leadership qualification or equivalent experience",
     "desirable", "AP"),
    ("experience", "Credible medical leadership at or close to board level", "essential",
     "AP,I,R"),
    ("experience", "Leading clinical governance and patient safety improvement", "essential",
     "AP,I"),
    ("knowledge", "The duties of a Responsible Officer and a Caldicott Guardian", "essential",
     "I"),
    ("personal", "Works across professional and organisational boundaries", "essential",
     "I,P,R"),
]


def load(b):
    hw = b.system(NAME, SHORT_NAME)
    b.organisation("NHS Herefordshire and Worcestershire Integrated Care Board",
                   Organisation.Kind.ICB, "QGH", systems=[hw])
    trust = b.organisation("Wye Valley NHS Trust", Organisation.Kind.ACUTE, "RLQ", systems=[hw])
    chief_executive = b.post(hw, trust, "Chief Executive", "Chief Executive", 1,
                             spatial_level="organisation", is_published=False)
    cmo = b.post(hw, trust, "Chief Medical Officer", "Chief Medical Officer", 1,
                 spatial_level="organisation", responsible_to=chief_executive,
                 duties=["Caldicott Guardian", "Responsible Officer"],
                 functions=["Quality assurance and safety"])
    # Executive directors hold permanent posts: no end date, reviewed every year.
    b.appoint(chief_executive, b.person("nurse", trust), datetime.date(2021, 6, 1),
              contract_type=PERMANENT)
    b.appoint(cmo, b.person("doctor", trust), datetime.date(2023, 9, 4), contract_type=PERMANENT,
              agreement_parties="Appointee and the trust board")

    jd = JobDescription(post=cmo, version=1, reviewed_on=b.today - datetime.timedelta(days=350),
                        summary="The trust's most senior doctor: leads the medical workforce and "
                                "the clinical governance of the trust, and is an executive "
                                "member of the board.",
                        responsibilities=RESPONSIBILITIES, created_by=b.loader)
    b._save(jd)
    for order, (category, text, requirement, codes) in enumerate(CRITERIA):
        codes = codes.split(",")
        Criterion.objects.create(
            job_description=jd, category=category, text=text, requirement=requirement,
            by_application="AP" in codes, by_interview="I" in codes,
            by_presentation="P" in codes, by_references="R" in codes, order=order)
