"""The published register: who holds the published leadership roles of a system, where they sit
in decision-making, and a diversity summary that cannot identify anyone.

Names appear only with the person's consent to publication. Equality data is used here only as
aggregate counts, through ``governance.disclosure``; people who object are left out of them."""

from collections import Counter

from django.db.models import Prefetch
from django.utils import timezone

from appointments.models import Appointment, EqualityProfile, Person, Profession
from ccpl.pdf import render_pdf
from roles.models import System

from .disclosure import protect
from .models import Seat

UNNAMED = "Held — name not published"

P = Profession
PROFESSION_GROUPS = [
    ("Medical and dental", {P.DOCTOR.value, P.DENTIST.value}),
    ("Nursing and midwifery", {P.NURSE.value, P.MIDWIFE.value}),
    ("Allied health professions", {P.AHP.value}),
    ("Pharmacy", {P.PHARMACIST.value}),
    ("Psychological professions", {P.PSYCHOLOGIST.value}),
    ("Healthcare science", {P.HEALTHCARE_SCIENTIST.value}),
    ("Social work", {P.SOCIAL_WORKER.value}),
    ("Other professions", {P.PHYSICIAN_ASSOCIATE.value, P.OPTOMETRIST.value,
                           P.PUBLIC_HEALTH.value, P.ACADEMIC.value, P.OTHER.value}),
]
NOT_STATED = "Not stated or not known"
# The five broad ethnic groups of the NHS Data Dictionary.
ETHNIC_GROUPS = [
    ("White", set("ABC")),
    ("Mixed", set("DEFG")),
    ("Asian or Asian British", set("HJKL")),
    ("Black or Black British", set("MNP")),
    ("Other ethnic group", set("RS")),
]
SEXES = [("Female", {"female"}), ("Male", {"male"}),
         ("Describes themself another way", {"other"})]
AGE_BANDS = [(label, {value}) for value, label in EqualityProfile.AgeBand.choices
             if value != EqualityProfile.AgeBand.NOT_STATED.value]


def published_systems():
    """Systems with at least one published post, for the register's front page."""
    return System.objects.filter(posts__is_published=True,
                                 posts__disestablished_on__isnull=True).distinct()


def holdings(system, on=None):
    """Appointments in force on published posts of ``system``: the rows of the register."""
    on = on or timezone.localdate()
    seats = Seat.objects.select_related("body").order_by("body__name")
    return (
        Appointment.objects.in_force(on)
        .filter(post__system=system, post__is_published=True,
                post__disestablished_on__isnull=True)
        .select_related("person", "post__role_type", "post__host_organisation")
        .prefetch_related(Prefetch("post__seats", queryset=seats, to_attr="published_seats"))
        .order_by("post__title", "post_id", "person__family_name", "pk")
    )


def holder_name(appointment):
    person = appointment.person
    return person.full_name if person.consent_to_publish else UNNAMED


def register_rows(appointments):
    """The register as plain rows, the same on the page and in the CSV."""
    return [
        {
            "role": a.post.title,
            "role_type": a.post.role_type.name,
            "organisation": a.post.host_organisation.name,
            "name": holder_name(a),
            "named": a.person.consent_to_publish,
            "bodies": [f"{seat.body.name} ({seat.get_role_display().lower()})"
                       for seat in a.post.published_seats],
            "term_ends": a.end_date,
        }
        for a in appointments
    ]


def _group(value, groups):
    for label, members in groups:
        if value in members:
            return label
    return NOT_STATED


def diversity_counts(system, on=None):
    """True counts of the people holding the published roles, by profession group, sex, ethnic
    group and age band; each person once, however many roles they hold; objectors left out."""
    people = (
        Person.objects.filter(pk__in=holdings(system, on).values("person"))
        .exclude(equality__objects_to_statistics=True)
        .values_list("profession", "equality__sex", "equality__ethnic_category",
                     "equality__age_band")
    )
    tallies = [Counter(), Counter(), Counter(), Counter()]
    for profession, sex, ethnic, age in people:
        tallies[0][_group(profession, PROFESSION_GROUPS)] += 1
        tallies[1][_group(sex, SEXES)] += 1
        tallies[2][_group(ethnic, ETHNIC_GROUPS)] += 1
        tallies[3][_group(age, AGE_BANDS)] += 1
    dimensions = [("Profession group", PROFESSION_GROUPS), ("Sex", SEXES),
                  ("Ethnic group", ETHNIC_GROUPS), ("Age band", AGE_BANDS)]
    tables = []
    for (title, groups), tally in zip(dimensions, tallies, strict=True):
        rows = [(label, tally[label]) for label, _ in groups]
        if groups is not PROFESSION_GROUPS:  # everyone has a profession
            rows.append((NOT_STATED, tally[NOT_STATED]))
        tables.append((title, rows))
    return tables


def diversity_summary(counts):
    """The published tables, from true counts (``diversity_counts`` or any table of the same
    shape)."""
    return [protect(title, rows) for title, rows in counts]


def diversity_csv_rows(summary):
    """The summary as the page shows it, a table that is not published included, with why."""
    rows = []
    for table in summary:
        if not table.is_published:
            rows.append([table.title, "All groups", table.not_published])
            continue
        rows += [[table.title, cell.label, cell.shown] for cell in table.cells]
        rows.append([table.title, "Total", table.total])
    return rows


def diversity_pdf(system, summary):
    return render_pdf("governance/diversity_pdf.html", {
        "system": system, "summary": summary, "today": timezone.localdate()})
