"""What governance adds to other apps' pages (registered with appointments.hooks)."""

from dataclasses import dataclass

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


@dataclass(slots=True)
class SeatRow:
    """One row of a body's members table, every value worked out once: a body of 300 seats
    spent most of its page resolving chained lookups and filters row by row."""

    title: str
    role: str
    chairs: bool
    vote: str
    post_url: str | None
    organisation: str
    holder_name: str
    holder_description: str
    has_account: bool  # a named holder who signs in (a named chair)
    holders: list  # [(name, address of their page)]
    capability: str
    quorum: str
    remove_url: str


ROLE_LABELS = dict(Seat.Role.choices)


def seat_rows(seats):
    """The rows of ``seats`` (with ``post.holders`` prefetched, as the body page reads them)."""
    return [SeatRow(
        title=seat.title, role=ROLE_LABELS[seat.role], chairs=seat.chairs,
        vote="Voting" if seat.voting else "No vote",
        post_url=seat.post.get_absolute_url() if seat.post_id else None,
        organisation=str(seat.post.host_organisation) if seat.post_id else "",
        holder_name=seat.holder_name, holder_description=seat.holder_description,
        has_account=seat.holder_account_id is not None,
        holders=[(str(a.person), a.person.get_absolute_url()) for a in seat.post.holders]
        if seat.post_id else [],
        capability=seat.capability or "—", quorum=", ".join(seat.categories),
        remove_url=seat.remove_url,
    ) for seat in seats]
