"""Who may hold a statutory duty, and who holds each one today.

A post carries its duties to whoever holds it (``roles.StatutoryDuty``). Two of them ask
something of the holder in law, and the register refuses a holder who does not meet it:

- the Responsible Officer must be a licensed medical practitioner (GMC registration and a
  licence to practise) with a prescribed connection to the organisation, its designated body
  (The Medical Profession (Responsible Officers) Regulations 2010);
- the Caldicott Guardian must be a senior health or social care professional (the UK Caldicott
  Guardian Council): here, a health or care profession with its professional registration; the
  post carrying the duty says the seniority.

The rule is checked wherever it can be broken: appointing to the post (``terms.appoint``, so a
request for agreement is checked too), giving a post a duty its holder does not meet
(``roles.services.save_post``, through the check registered in ``AppConfig.ready``), and
changing a holder's profession, registration or licence (``people.save_person``).
"""

from dataclasses import dataclass

from django.db.models import Prefetch

from roles.models import Post, StatutoryDuty

from .models import Appointment, Person, Profession
from .registration import RegistrationBody

Eligibility = StatutoryDuty.Eligibility
NOT_CARE_PROFESSIONS = {Profession.ACADEMIC, Profession.OTHER}


def shortfalls(person, duty, organisation_id):
    """What ``person`` lacks to hold ``duty`` at organisation ``organisation_id`` ([]: none)."""
    missing = []
    if duty.eligibility == Eligibility.LICENSED_DOCTOR:
        if person.profession != Profession.DOCTOR or person.registration_body != \
                RegistrationBody.GMC:
            missing.append("is not a doctor registered with the GMC")
        elif not person.licence_to_practise:
            missing.append("holds no licence to practise")
        if person.designated_body_id != organisation_id:
            missing.append("has no prescribed connection to the organisation")
    elif duty.eligibility == Eligibility.SENIOR_PROFESSIONAL and (
            person.profession in NOT_CARE_PROFESSIONS or not person.registration_body):
        missing.append("is not a registered health or social care professional")
    return missing


def refusals(person, post, duties=None):
    """Why ``person`` may not hold ``post`` for the duties it carries (``duties``: the ones it
    is about to carry), one message per duty; [] when they may."""
    duties = post.statutory_duties.all() if duties is None else duties
    messages = []
    for duty in duties:
        missing = shortfalls(person, duty, post.host_organisation_id)
        if missing:
            who = duty.get_eligibility_display()
            messages.append(
                f"{person} cannot hold the {duty} duty of {post.title}: it must be held by "
                f"{who[0].lower()}{who[1:]}, and {person.given_name} {' and '.join(missing)}.")
    return messages


def holders_refused(post, duties):
    """For a change of ``post``'s duties: why its current holders may not hold them."""
    held = Appointment.objects.filter(post=post).live().select_related("person")
    return [message for appointment in held
            for message in refusals(appointment.person, post, duties)]


def person_refused(person):
    """For a change of ``person``: why they may no longer hold the duties of their posts."""
    if not person.pk:
        return []
    held = (Appointment.objects.filter(person_id=person.pk).live()
            .select_related("post").prefetch_related("post__statutory_duties"))
    return [message for appointment in held
            for message in refusals(person, appointment.post)]


@dataclass(frozen=True)
class Holding:
    """One duty of one organisation today: the post carrying it, who holds it (None: vacant)
    and what they lack, if the holder was recorded before the rule ([] when they meet it)."""

    duty: StatutoryDuty
    post: Post
    holder: Person | None
    missing: list


def register(user):
    """Who holds each statutory duty in each organisation the user can see, today, as
    [(organisation, [Holding])], by organisation name then duty. Three queries."""
    current = Appointment.objects.in_force().select_related("person")
    posts = (Post.objects.visible_to(user).filter(statutory_duties__isnull=False).distinct()
             .select_related("host_organisation")
             .prefetch_related("statutory_duties",
                               Prefetch("appointments", queryset=current, to_attr="holders")))
    by_organisation = {}
    for post in posts:
        for duty in post.statutory_duties.all():
            for holder in [a.person for a in post.holders] or [None]:
                missing = shortfalls(holder, duty, post.host_organisation_id) if holder else []
                by_organisation.setdefault(post.host_organisation, []).append(
                    Holding(duty, post, holder, missing))
    return [(organisation, sorted(rows, key=lambda h: (h.duty.name, h.post.title)))
            for organisation, rows in sorted(by_organisation.items(),
                                             key=lambda item: item[0].name)]


def check_post_duties(post, duties):
    """The check ``roles.services.save_post`` runs before a post's duties change."""
    return holders_refused(post, duties) if post.pk else []

