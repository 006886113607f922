"""The questionnaires every installation starts with (loaded by a data migration; change them
by publishing a new version in the admin)."""

HLM = {
    "name": "NHS Healthcare Leadership Model",
    "description": "Nine dimensions of leadership behaviour, each rated on four levels.",
    "scale": [[1, "Essential"], [2, "Proficient"], [3, "Strong"], [4, "Exemplary"]],
    "dimensions": [
        ("Inspiring shared purpose", [
            "Acts on the values of the service, even when it is hard to do so",
            "Helps people see how their work serves patients and the public",
            "Takes considered risks to improve care for people",
        ]),
        ("Leading with care", [
            "Notices how others are feeling and responds to it",
            "Looks after their own wellbeing so they can support others",
            "Creates a safe place for people to raise concerns",
        ]),
        ("Evaluating information", [
            "Seeks out information from many sources before deciding",
            "Uses evidence to question how things are done",
            "Encourages new ideas and tests them fairly",
        ]),
        ("Connecting our service", [
            "Understands how the wider system fits together",
            "Builds links across organisations and professions",
            "Adapts their approach to different cultures and settings",
        ]),
        ("Sharing the vision", [
            "Describes a clear and compelling picture of the future",
            "Communicates in ways that suit different audiences",
            "Is open and honest about what can and cannot be achieved",
        ]),
        ("Engaging the team", [
            "Involves people in decisions that affect them",
            "Values the contributions of people from every background",
            "Builds a team that works well together",
        ]),
        ("Holding to account", [
            "Sets clear expectations and agrees goals",
            "Gives balanced feedback on performance",
            "Addresses poor performance promptly and fairly",
        ]),
        ("Developing capability", [
            "Makes time to help others grow",
            "Creates opportunities for people to stretch themselves",
            "Plans for the leaders the service will need",
        ]),
        ("Influencing for results", [
            "Understands what matters to the people they need to persuade",
            "Builds agreement across different interests",
            "Shows how changes will benefit patients and partners",
        ]),
    ],
}

LCF = {
    "name": "Leadership Competency Framework for board members",
    "description": "Six competency domains for board-level leaders.",
    "scale": [[1, "Developing"], [2, "Competent"], [3, "Strong"], [4, "Role model"]],
    "dimensions": [
        ("Driving high-quality and sustainable outcomes", [
            "Keeps the board focused on quality, safety and patients' experience",
            "Balances quality with financial and environmental sustainability",
        ]),
        ("Setting strategy and delivering long-term transformation", [
            "Shapes a strategy that responds to population need",
            "Leads change through to lasting results",
        ]),
        ("Promoting equality and inclusion, and reducing inequalities", [
            "Acts to narrow inequalities in health and in the workforce",
            "Models inclusive behaviour and challenges exclusion",
        ]),
        ("Providing robust governance and assurance", [
            "Asks searching questions and tests the assurance offered",
            "Manages risk with a clear view of its effect on patients",
        ]),
        ("Creating a compassionate, just and positive culture", [
            "Treats people with compassion and fairness",
            "Makes it safe to speak up and learns from what is heard",
        ]),
        ("Building trusted relationships with partners and communities", [
            "Works openly with partners across the system",
            "Listens to communities and acts on what they say",
        ]),
    ],
}

ALL = [HLM, LCF]


def install(apps):
    """Create version 1 of each questionnaire that is not there yet."""
    Template = apps.get_model("appraisals", "QuestionnaireTemplate")
    Version = apps.get_model("appraisals", "TemplateVersion")
    Dimension = apps.get_model("appraisals", "Dimension")
    Statement = apps.get_model("appraisals", "Statement")
    for spec in ALL:
        template, created = Template.objects.get_or_create(
            name=spec["name"], defaults={"description": spec["description"]})
        if not created:
            continue
        version = Version.objects.create(template=template, number=1, scale=spec["scale"],
                                         is_published=True)
        for order, (name, statements) in enumerate(spec["dimensions"], start=1):
            dimension = Dimension.objects.create(version=version, order=order, name=name)
            for n, text in enumerate(statements, start=1):
                Statement.objects.create(dimension=dimension, order=n, text=text)
