"""A synthetic register for benchmarks: valid by construction, written in batches with history.

National scale: 42 systems, about 1,500 organisations, 20,000 posts, 45,000 people and 60,000
appointments (about a third extended, some ended early or ceased). Every post's terms follow one
another without overlapping, so every rule of the register holds without checking row by row.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from appointments.models import Appointment, EqualityProfile, Extension, Person
from ccpl.models import User

from .models import Function, Organisation, Post, RoleType, System

GENERATOR_EMAIL = "data.generator@example.org"
PREFIX = "GEN"
BATCH = 5000


@dataclass(frozen=True)
class Scale:
    systems: int
    organisations_per_system: int
    posts: int
    people: int
    appointments_per_post: float


SCALES = {
    "national": Scale(systems=42, organisations_per_system=35, posts=20000, people=45000,
                      appointments_per_post=3.0),
    "regional": Scale(systems=7, organisations_per_system=30, posts=3000, people=7000,
                      appointments_per_post=3.0),
    "small": Scale(systems=2, organisations_per_system=6, posts=60, people=150,
                   appointments_per_post=3.0),
}

KINDS = [Organisation.Kind.ACUTE] * 6 + [Organisation.Kind.MENTAL_HEALTH] * 2 + [
    Organisation.Kind.COMMUNITY, Organisation.Kind.LOCAL_AUTHORITY,
    Organisation.Kind.LOCAL_AUTHORITY, Organisation.Kind.PCN, Organisation.Kind.PCN,
    Organisation.Kind.PCN, Organisation.Kind.VCSE, Organisation.Kind.UNIVERSITY]
PROFESSIONS = (["doctor"] * 8 + ["nurse"] * 5 + ["ahp"] * 3 + ["pharmacist"] * 2
               + ["social_worker", "psychologist", "midwife", "healthcare_scientist"])
WTES = [Decimal("0.10"), Decimal("0.20"), Decimal("0.20"), Decimal("0.30"), Decimal("0.40"),
        Decimal("0.40"), Decimal("0.60"), Decimal("1.00")]
GIVEN = ["Alex", "Bea", "Cal", "Dina", "Eli", "Fay", "Gus", "Hope", "Ivo", "Jas", "Kit", "Lou",
         "Max", "Nia", "Oli", "Pam", "Raj", "Sol", "Tia", "Uma", "Vic", "Wyn", "Xan", "Zed"]
FAMILY = ["Ash", "Birch", "Cedar", "Dale", "Elm", "Fern", "Glen", "Heath", "Ives", "Juniper",
          "Kestrel", "Larch", "Moss", "North", "Oak", "Pine", "Quill", "Rowan", "Sloe", "Thorn",
          "Umber", "Vale", "Wren", "Yew"]


class AlreadyGenerated(Exception):
    pass


def generate(scale_name, *, seed=1, today=None, say=print):
    """Write a synthetic register of the given scale. Returns counts per model."""
    scale = SCALES[scale_name]
    today = today or timezone.localdate()
    if System.objects.filter(short_name__startswith=PREFIX).exists():
        raise AlreadyGenerated("Generated data is already in this database.")
    r = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    with transaction.atomic():
        by, _ = User.objects.get_or_create(
            email=GENERATOR_EMAIL, defaults={"full_name": "Data generator", "is_active": False})
        from ccpl.demo import reference

        reference.load(None)
        role_types = list(RoleType.objects.all())
        functions = list(Function.objects.all())
        systems = _systems(scale, by)
        organisations = _organisations(scale, systems, r, by)
        posts = _posts(scale, systems, organisations, role_types, functions, r, by)
        people = _people(scale, organisations, r, by)
        appointments, extensions = _appointments(scale, posts, people, r, today, by)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, or the planner guesses badly
    counts = {"systems": len(systems), "organisations": sum(map(len, organisations.values())),
              "posts": len(posts), "people": len(people), "appointments": appointments,
              "extensions": extensions}
    say(", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return counts


def _systems(scale, by):
    rows = [System(name=f"Generated Integrated Care System {n:02d}", short_name=f"{PREFIX}{n:02d}")
            for n in range(1, scale.systems + 1)]
    return bulk_create_with_history(rows, System, batch_size=BATCH, default_user=by)


def _organisations(scale, systems, r, by):
    rows, homes = [], []
    for s_index, system in enumerate(systems):
        for o in range(scale.organisations_per_system):
            kind = Organisation.Kind.ICB if o == 0 else KINDS[o % len(KINDS)]
            rows.append(Organisation(
                name=f"{system.short_name} {kind.label} {o:02d}", kind=kind,
                ods_code=f"Y{s_index:02d}{o:02d}" if kind != Organisation.Kind.VCSE else ""))
            homes.append(system)
    created = bulk_create_with_history(rows, Organisation, batch_size=BATCH, default_user=by)
    through = Organisation.systems.through
    links = [through(organisation_id=org.pk, system_id=home.pk)
             for org, home in zip(created, homes, strict=True)]
    # Some organisations are partners in a neighbouring system too.
    for index, org in enumerate(created):
        if index % 17 == 5 and len(systems) > 1:
            neighbour = systems[(systems.index(homes[index]) + 1) % len(systems)]
            links.append(through(organisation_id=org.pk, system_id=neighbour.pk))
    through.objects.bulk_create(links, batch_size=BATCH)
    by_system = {}
    for org, home in zip(created, homes, strict=True):
        by_system.setdefault(home.pk, []).append(org)
    return by_system


def _posts(scale, systems, organisations, role_types, functions, r, by):
    cmo_type = next(rt for rt in role_types if rt.name == "Chief Medical Officer")
    others = [rt for rt in role_types if not rt.is_board_level]
    cmos = bulk_create_with_history(
        [Post(title="Chief Medical Officer", role_type=cmo_type, system=s,
              host_organisation=organisations[s.pk][0], wte=Decimal("1.00"),
              default_term_months=60, created_on=datetime.date(2015, 4, 1)) for s in systems],
        Post, batch_size=BATCH, default_user=by)
    rows = []
    per_system = (scale.posts - len(systems)) // len(systems)
    for system, cmo in zip(systems, cmos, strict=True):
        for n in range(per_system):
            role_type = others[n % len(others)]
            job_share = n % 5 == 0
            pool = n % 11 == 0
            rows.append(Post(
                title=f"{role_type.name} {system.short_name}-{n:04d}", role_type=role_type,
                system=system, host_organisation=r.choice(organisations[system.pk]),
                wte=Decimal("0.40") if job_share else r.choice(WTES),
                job_share_allowed=job_share,
                honorarium=Decimal("20000") if pool else None, honorarium_is_pool=pool,
                default_term_months=36, responsible_to=cmo,
                spatial_level=r.choice(["system", "provider_collaborative", "place"]),
                created_on=datetime.date(2015, 4, 1),
            ))
    created = bulk_create_with_history(rows, Post, batch_size=BATCH, default_user=by)
    through = Post.functions.through
    through.objects.bulk_create(
        [through(post_id=p.pk, function_id=r.choice(functions).pk) for p in created],
        batch_size=BATCH)
    return cmos + created


def _people(scale, organisations, r, by):
    employers = [o for orgs in organisations.values() for o in orgs]
    rows = []
    for n in range(scale.people):
        profession = r.choice(PROFESSIONS)
        body, number = _registration(profession, n)
        rows.append(Person(
            given_name=r.choice(GIVEN), family_name=f"{r.choice(FAMILY)}-{n}",
            work_email=f"person{n}@generated.example", profession=profession,
            registration_body=body, registration_number=number,
            substantive_employer=r.choice(employers), consent_to_publish=r.random() < 0.6))
    people = bulk_create_with_history(rows, Person, batch_size=BATCH, default_user=by)
    EqualityProfile.objects.bulk_create([
        EqualityProfile(person=p, age_band=r.choice(["30_39", "40_49", "50_59", "60_plus"]),
                        sex=r.choice(["female", "male"]), ethnic_category=r.choice("ABCHJKMNRS"),
                        disability=r.choice(["yes", "no", "no", "no"]))
        for p in people if r.random() < 0.7], batch_size=BATCH)
    return people


def _registration(profession, n):
    match profession:
        case "doctor":
            return "GMC", f"{3000000 + n:07d}"
        case "nurse" | "midwife":
            return "NMC", f"{10 + n % 90:02d}A{n % 10000:04d}B"
        case "ahp" | "psychologist" | "healthcare_scientist":
            return "HCPC", f"PH{10000 + n % 90000}"
        case "pharmacist":
            return "GPhC", f"{2000000 + n:07d}"
        case "social_worker":
            return "SWE", f"SW{n}"
    return "", ""


def _appointments(scale, posts, people, r, today, by):
    """Each post's holders in turn: three-year terms, a third extended by six months, a few
    ended early or ceased; co-leads share job-share posts at half the WTE each."""
    rows, extension_specs = [], []
    person_index = 0
    target = int(len(posts) * scale.appointments_per_post)
    for post in posts:
        start = today - relativedelta(years=r.randint(6, 12), days=r.randint(0, 364))
        terms = 0
        while terms < 5 and len(rows) < target:
            holders = 2 if post.job_share_allowed and r.random() < 0.5 else 1
            end = start + relativedelta(years=3) - datetime.timedelta(days=1)
            extended = r.random() < 0.33
            closes = r.random() < 0.05
            final_end = end + relativedelta(months=6) if extended else end
            for _ in range(holders):
                person = people[person_index % len(people)]
                person_index += 1
                appointment = Appointment(
                    post=post, person=person, start_date=start, end_date=final_end,
                    wte=post.wte / holders,
                    honorarium_share=(post.honorarium / holders) if post.honorarium else 0,
                    status=Appointment.Status.ACTIVE,
                )
                if closes and final_end - datetime.timedelta(days=90) > start:
                    appointment.scheduled_end_date = final_end
                    appointment.end_date = final_end - datetime.timedelta(days=90)
                    appointment.status = r.choice([Appointment.Status.ENDED,
                                                   Appointment.Status.CEASED])
                    appointment.end_reason = "Left the role."
                    appointment.end_recorded_at = timezone.now()
                    appointment.end_recorded_by = by
                    extended_here = False
                else:
                    extended_here = extended
                rows.append(appointment)
                extension_specs.append((end, final_end) if extended_here else None)
            start = final_end + datetime.timedelta(days=1)
            terms += 1
            if start > today + relativedelta(years=1):
                break
    created = bulk_create_with_history(rows, Appointment, batch_size=BATCH, default_user=by)
    extensions = [
        Extension(appointment=a, number=1, old_end_date=spec[0], new_end_date=spec[1],
                  reason="Extended to keep work in flight.", agreed_by="CMO and partners",
                  agreed_on=spec[0] - datetime.timedelta(days=60), recorded_by=by)
        for a, spec in zip(created, extension_specs, strict=True) if spec
    ]
    bulk_create_with_history(extensions, Extension, batch_size=BATCH, default_user=by)
    return len(created), len(extensions)
