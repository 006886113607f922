"""What governance adds to other apps' pages (registered with appointments.hooks)."""

from appointments.hooks import Section

from . import declarations
from .models import Seat


def person_section(person, *, user, today):
    """The boards and groups a person sits on today: seats follow the posts they hold."""
    held = person.posts_held
    seats = (Seat.objects.filter(post__in=held).select_related("body", "post")
             .order_by("body__name") if held else [])
    return Section("governance/_person_seats.html", {"seats": seats})


def declarations_section(person, *, user, today):
    """Where the person's declaration of interests stands, with a link to their declarations,
    for those who may read them (themself, HR who keep their record, an administrator: the
    page's ``can_edit``); nothing for anyone else."""
    if not (person.can_edit or person.user_id == user.pk):
        return None
    return Section("governance/_person_declarations.html", {
        "person": person, "status": declarations.status_of(person, today)})
