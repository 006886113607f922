"""Reading declarations of interest: where each person stands, what a body's chair sees of its
members, and the published register.

Who reads what (the writes are in ``services``):
- the person reads their own; HR who keep their record read theirs (``declarants``);
- a body's page shows its members' declared interests to its chair — whoever holds a post with
  a chair or co-chair seat on it today — to HR of the body's system and to administrators. The
  CMO/CNO office, a member or a visitor of the page see no one's interests there;
- the public register shows only interests the person agreed to publish, of people who hold a
  published post of the system today, held now or ended less than six months ago."""

from django.db.models import Max, OuterRef, Subquery

from appointments.models import Appointment, Person
from ccpl import access

from .models import Body, DeclarationReturn, Interest, declaration_status


def status_of(person, today):
    """(words, colour) of where the person's declaration stands today."""
    last = person.declaration_returns.aggregate(last=Max("made_on"))["last"]
    started = (Appointment.objects.in_force(today).filter(person=person)
               .aggregate(latest=Max("start_date"))["latest"])
    return declaration_status(last_made_on=last, latest_start=started, today=today)


def people_keeping(user, today):
    """The people holding a post today whose declarations ``user`` keeps (HR: their system's
    and organisation's; everyone for an administrator), with their last return and the start
    of their latest term, for the list page."""
    if not (access.is_admin(user) or access.granted_systems(user, access.EDIT)
            or access.granted_organisations(user, access.EDIT)):
        return None
    in_force = Appointment.objects.in_force(today).filter(person=OuterRef("pk"))
    last = DeclarationReturn.objects.filter(person=OuterRef("pk")).order_by("-made_on")
    return (Person.objects.editable_by(user)
            .filter(pk__in=Appointment.objects.in_force(today).values("person"))
            .annotate(latest_start=Subquery(in_force.order_by("-start_date")
                                            .values("start_date")[:1]),
                      last_made_on=Subquery(last.values("made_on")[:1]))
            .order_by("family_name", "given_name", "pk"))


def with_status(people, today):
    for person in people:
        person.declaration_status = declaration_status(
            last_made_on=person.last_made_on, latest_start=person.latest_start, today=today)
    return people


def may_read_members_interests(user, body, today):
    """The chair (or a co-chair) of the body today, HR of its system, or an administrator."""
    if not access.is_signed_in(user):
        return False
    if user.is_superuser or body.system_id in access.granted_systems(user, access.EDIT):
        return True
    return Body.objects.chaired_by(user, today).filter(pk=body.pk).exists()


def members_interests(body, today):
    """[(person, their latest return or None, [its interests] or None when they never made a
    return)] for the people who hold a seat of the body through their post today, in three
    queries."""
    holders = Appointment.objects.in_force(today).filter(post__seats__body=body)
    return interests_of(Person.objects.filter(pk__in=holders.values("person")))


def attendees_interests(attendances):
    """The same for the members recorded at a meeting (a seat held by a named person has no
    declarations here), in two queries."""
    people = {}
    for attendance in attendances:
        if attendance.person_id:
            people.setdefault(attendance.person_id, attendance.person)
    return interests_of(people.values())


def interests_of(people):
    """[(person, latest return or None, [its interests] or None)] by name, in two queries."""
    people = list(people)
    latest = {r.person_id: r for r in DeclarationReturn.objects.latest_per_person()
              .filter(person__in=[p.pk for p in people]).prefetch_related("interests")}
    rows = []
    for person in sorted(people, key=lambda p: (p.family_name, p.given_name, p.pk)):
        last = latest.get(person.pk)
        rows.append((person, last, list(last.interests.all()) if last else None))
    return rows


# --- the published register ------------------------------------------------------------------

PUBLISHED_HEADER = ["Name", "Roles", "Type of interest", "Organisation or party",
                    "Description", "Held from", "Held until", "How it is managed"]


def published_interests(system, today):
    """The interests of people holding a published post of ``system`` today that they agreed to
    publish (held now or ended less than six months ago), from their latest return."""
    holders = Appointment.objects.in_force(today).filter(
        post__system=system, post__is_published=True, post__disestablished_on__isnull=True)
    return (Interest.objects.current().published(today)
            .filter(declaration_return__person__in=holders.values("person"))
            .select_related("declaration_return__person")
            .order_by("declaration_return__person__family_name",
                      "declaration_return__person__given_name", "declaration_return__person",
                      "from_date", "pk"))


def published_rows(interests, system, today):
    """The rows of the published register, the same on the page and in the CSV (one query for
    the roles of the people on them)."""
    interests = list(interests)
    roles = {}
    for person_id, title in (Appointment.objects.in_force(today)
                             .filter(post__system=system, post__is_published=True,
                                     person__in={i.declaration_return.person_id
                                                 for i in interests})
                             .order_by("post__title").values_list("person_id", "post__title")):
        roles.setdefault(person_id, []).append(title)
    return [{"name": i.declaration_return.person.full_name,
             "roles": roles.get(i.declaration_return.person_id, []),
             "kind": i.get_kind_display(), "organisation": i.organisation,
             "description": i.description, "from_date": i.from_date, "to_date": i.to_date,
             "action_taken": i.action_taken} for i in interests]
