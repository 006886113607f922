"""Small helpers the demo worlds share: every write goes through the models' rules and the
services, with the demo loader as the acting user, so the demo has a full history."""

import datetime
import random
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from appointments import services
from appointments.models import EqualityProfile, Person
from ccpl.models import User
from roles.models import (
    EstablishmentBudget,
    Function,
    Organisation,
    Post,
    RoleType,
    StatutoryDuty,
    System,
)

LOADER_EMAIL = "demo.loader@example.org"

GIVEN = ["Aisha", "Ben", "Chloe", "Dev", "Eleanor", "Femi", "Grace", "Hamid", "Isla", "Jonah",
         "Kiran", "Laura", "Mateo", "Nadia", "Owen", "Priya", "Quentin", "Rosa", "Sanjay",
         "Tamsin", "Uchenna", "Vera", "Wes", "Ximena", "Yusuf", "Zara", "Amara", "Callum",
         "Delyth", "Emeka", "Fiona", "Gareth", "Hana", "Imran", "Joy", "Keir", "Leila", "Marcus",
         "Niamh", "Olu", "Petra", "Rhys", "Selin", "Tobias", "Una", "Vikram", "Wendy", "Yara"]
FAMILY = ["Adeyemi", "Brennan", "Chowdhury", "Dlamini", "Ellery", "Fairweather", "Garside",
          "Hollins", "Iqbal", "Jessop", "Kaur", "Lindqvist", "Mensah", "Nakamura", "Okonkwo",
          "Pemberton", "Quayle", "Rahman", "Sutcliffe", "Thornbury", "Umeadi", "Varga",
          "Whitlock", "Yardley", "Zielinski", "Ashdown", "Bellamy", "Castellano", "Danvers",
          "Everett", "Farrant", "Goodall", "Hargreaves", "Ilori", "Jarvis", "Kettering",
          "Lomax", "Marchetti", "Northcott", "Oyelaran", "Penhaligon", "Rowntree", "Stainer",
          "Tennant", "Underhill", "Vasquez", "Wilde", "Youngman"]

REGISTRATION = {
    "doctor": ("GMC", lambda r: f"{r.randint(2000000, 7999999)}"),
    "nurse": ("NMC", lambda r: f"{r.randint(10, 99)}{r.choice('ABCDEFGHJ')}"
                               f"{r.randint(1000, 9999)}{r.choice('ABCDEFGHJ')}"),
    "midwife": ("NMC", lambda r: f"{r.randint(10, 99)}{r.choice('ABCDEFGHJ')}"
                                 f"{r.randint(1000, 9999)}{r.choice('ABCDEFGHJ')}"),
    "ahp": ("HCPC", lambda r: f"{r.choice(['PH', 'OT', 'SL', 'DT', 'PA'])}"
                              f"{r.randint(10000, 99999)}"),
    "psychologist": ("HCPC", lambda r: f"PY{r.randint(10000, 99999)}"),
    "healthcare_scientist": ("HCPC", lambda r: f"CS{r.randint(10000, 99999)}"),
    "pharmacist": ("GPhC", lambda r: f"{r.randint(2000000, 2099999)}"),
    "dentist": ("GDC", lambda r: f"{r.randint(50000, 299999)}"),
    "optometrist": ("GOC", lambda r: f"01-{r.randint(10000, 39999)}"),
    "social_worker": ("SWE", lambda r: f"SW{r.randint(1000, 99999)}"),
}


class Builder:
    def __init__(self):
        self.today = timezone.localdate()
        self.random = random.Random(20221031)  # noqa: S311 - the same people every time
        self.loader, _ = User.objects.get_or_create(
            email=LOADER_EMAIL, defaults={"full_name": "Demo data loader", "is_active": False})
        self._names = set(Person.objects.values_list("given_name", "family_name"))

    # --- reference data --------------------------------------------------------------------

    def role_type(self, name):
        return RoleType.objects.get(name=name)

    def function(self, name):
        return Function.objects.get(name=name)

    def duty(self, name):
        return StatutoryDuty.objects.get(name=name)

    def world_exists(self, short_name):
        return System.objects.filter(short_name=short_name).exists()

    # --- the establishment -----------------------------------------------------------------

    def _save(self, obj):
        obj._history_user = self.loader
        obj.full_clean()
        obj.save()
        return obj

    def system(self, name, short_name, kind=System.Kind.ICS):
        return self._save(System(name=name, short_name=short_name, kind=kind))

    def organisation(self, name, kind, ods="", systems=(), is_employer=True):
        existing = (Organisation.objects.filter(ods_code=ods).first() if ods
                    else Organisation.objects.filter(name=name).first())
        org = existing or self._save(Organisation(name=name, kind=kind, ods_code=ods,
                                                  is_employer=is_employer))
        for system in systems:
            if not org.systems.filter(pk=system.pk).exists():
                org.systems.add(system)
        return org

    def budget(self, system, name, wte, honorarium=None):
        return self._save(EstablishmentBudget(system=system, name=name,
                                              wte_envelope=Decimal(str(wte)),
                                              honorarium_envelope=honorarium))

    def post(self, system, host, title, role_type, wte, *, functions=(), duties=(), **fields):
        role_type = self.role_type(role_type) if isinstance(role_type, str) else role_type
        fields.setdefault("default_term_months", role_type.default_term_months)
        fields.setdefault("created_on", datetime.date(2019, 4, 1))
        post = Post(system=system, host_organisation=host, title=title, role_type=role_type,
                    wte=Decimal(str(wte)), **fields)
        self._save(post)
        if functions:
            post.functions.set([self.function(f) for f in functions])
        if duties:
            post.statutory_duties.set([self.duty(d) for d in duties])
        return post

    # --- people and their terms ------------------------------------------------------------

    def person(self, profession, employer, *, consent=True, equality=True, name=None):
        given, family = name or self._new_name()
        body, number = REGISTRATION.get(profession, ("", None))
        person = Person(
            given_name=given, family_name=family,
            work_email=f"{given}.{family}@nhs.example".lower(),
            profession=profession, registration_body=body,
            registration_number=number(self.random) if number else "",
            substantive_employer=employer, consent_to_publish=consent,
            # Doctors are licensed and revalidate through their employer.
            licence_to_practise=profession == "doctor",
            designated_body=employer if profession == "doctor" else None,
        )
        self._save(person)
        if equality:
            self._equality(person)
        return person

    def _new_name(self):
        while True:
            name = (self.random.choice(GIVEN), self.random.choice(FAMILY))
            if name not in self._names:
                self._names.add(name)
                return name

    def _equality(self, person):
        r = self.random
        EqualityProfile.objects.create(
            person=person,
            age_band=r.choice(["30_39", "40_49", "40_49", "50_59", "50_59", "60_plus",
                               "not_stated"]),
            sex=r.choice(["female", "female", "male", "male", "not_stated"]),
            ethnic_category=r.choice(["A", "A", "A", "B", "C", "H", "J", "K", "M", "N", "R",
                                      "F", "S", "Z"]),
            disability=r.choice(["no", "no", "no", "yes", "not_stated"]),
            objects_to_statistics=r.random() < 0.03,
        )

    def appoint(self, post, person, start, end=None, **fields):
        return services.appoint(post=post, person=person, start_date=start, end_date=end,
                                by=self.loader, **fields)

    def ending_in(self, days, years=3):
        """A start date whose default term of ``years`` ends ``days`` from today."""
        end = self.today + datetime.timedelta(days=days)
        return end + datetime.timedelta(days=1) - relativedelta(years=years)
