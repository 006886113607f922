"""The catalogue every world draws on: role types, the ten system-leadership functions, and
statutory duties."""

from decimal import Decimal

from roles.models import Function, RoleType, StatutoryDuty

# name: (statutory, board level, default WTE, term in months, default honorarium, extension cap)
ROLE_TYPES = {
    "Chief Medical Officer": (True, True, "1.00", 60, None, None),
    "Chief Nursing Officer": (True, True, "1.00", 60, None, None),
    "Chief Executive": (True, True, "1.00", 60, None, None),
    "Executive Director": (False, True, "1.00", 60, None, None),
    "Deputy Medical Director": (False, False, "1.00", 36, None, 2),
    "Clinical and Care Director": (False, False, "0.40", 36, None, 2),
    "Clinical Lead": (False, False, "0.40", 36, None, 2),
    "Clinical and Care Professional Lead": (False, False, "0.20", 24, None, 2),
    "CAG Leader": (False, False, "0.30", 36, "20000.00", 1),
    "Clinical Network Lead": (False, False, "0.40", 36, None, 2),
    "Programme Clinical SRO": (False, False, "0.40", 36, None, 2),
    "Council Chair": (False, False, "0.20", 36, None, 1),
}

FUNCTIONS = [
    ("Population health and inequalities",
     "Using information well so that resources go where they narrow gaps in outcomes."),
    ("Care pathway transformation and innovation",
     "Designing new models of care with commissioners, managers and the people who use them."),
    ("System-wide clinical and care strategy",
     "Setting out how the system will achieve the best outcomes, and saying so clearly."),
    ("Clinical and care workforce resilience",
     "Conditions in which colleagues across the system can thrive, grow and stay."),
    ("Quality assurance and safety",
     "Continuously improving safety and quality, with assurance for boards and regulators."),
    ("Patient and public engagement",
     "Making sure what patients and the public say shapes how services change."),
    ("Continuous improvement and innovation",
     "A shared method for improving care processes and outcomes, again and again."),
    ("Professional leadership support and development",
     "Equipping colleagues with the skills, perspective and agency to lead change."),
    ("Research and evidence",
     "A culture that creates, tests and spreads evidence across the system."),
    ("Care standards",
     "Agreed standards of care, benchmarked and monitored to reduce unwarranted variation."),
]

DUTIES = ["Caldicott Guardian", "Responsible Officer",
          "Director of Infection Prevention and Control", "Safeguarding lead",
          "Controlled Drugs Accountable Officer"]


def load(builder):
    for name, (statutory, board, wte, months, honorarium, cap) in ROLE_TYPES.items():
        RoleType.objects.get_or_create(name=name, defaults={
            "is_statutory": statutory, "is_board_level": board, "default_wte": Decimal(wte),
            "default_term_months": months,
            "default_honorarium": Decimal(honorarium) if honorarium else None,
            "max_extensions": cap,
        })
    for order, (name, description) in enumerate(FUNCTIONS, start=1):
        Function.objects.get_or_create(name=name, defaults={"description": description,
                                                            "order": order})
    for name in DUTIES:
        StatutoryDuty.objects.get_or_create(name=name)
