"""What governance adds to other apps' pages (registered with appointments.hooks)."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

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


ROLE_LABELS = dict(Seat.Role.choices)

# A body of a national system has hundreds of seats. Its members table is built row by row in
# Python, as Django admin builds its change list's rows: a template resolving a dozen lookups in
# each of 300 rows spent 40 ms there, this 5. Every value is escaped by format_html.
_CELL = ('<td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" '
         'aria-hidden="true">{} </span>{}</td>')
_REMOVE = ('<td class="nhsuk-table__cell"><form method="post" action="{}">'
           '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
           '<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small '
           'nhsuk-u-margin-bottom-0" type="submit">Remove<span class="nhsuk-u-visually-hidden">'
           ' the seat of {}</span></button></form></td>')


def member_rows(seats, *, can_edit, csrf_token):
    """The rows of a body's members table, as HTML (``seats`` with ``post.holders``
    prefetched, as the body page reads them); with ``can_edit``, each with its remove button."""
    return [_member_row(seat, can_edit, csrf_token) for seat in seats]


def _member_row(seat, can_edit, csrf_token):
    role = ROLE_LABELS[seat.role]
    if seat.chairs:
        role = format_html('<strong class="nhsuk-tag nhsuk-tag--blue">{}</strong>', role)
    if seat.post_id:
        post = format_html('<a class="nhsuk-link" href="{}">{}</a><br>'
                           '<span class="nhsuk-body-s">{}</span>', seat.post.get_absolute_url(),
                           seat.title, seat.post.host_organisation)
        holders = format_html_join(", ", '<a class="nhsuk-link" href="{}">{}</a>', (
            (holder.person.get_absolute_url(), holder.person) for holder in seat.post.holders
        )) or mark_safe('<strong class="nhsuk-tag nhsuk-tag--grey">Vacant</strong>')
    else:
        post = "Not a post"
        if seat.holder_description:
            post = format_html('{}<br><span class="nhsuk-body-s">{}</span>', post,
                               seat.holder_description)
        holders = seat.holder_name
        if seat.holder_account_id is not None:
            holders = format_html('{}<br><span class="nhsuk-body-s">Signs in to the register'
                                  '</span>', holders)
    capability = seat.capability or "—"
    if seat.categories:
        capability = format_html('{}<br><span class="nhsuk-body-s">Quorum: {}</span>',
                                 capability, ", ".join(seat.categories))
    cells = [format_html(_CELL, "Role", role),
             format_html(_CELL, "Vote", "Voting" if seat.voting else "No vote"),
             format_html(_CELL, "Post", post),
             format_html(_CELL, "Held today by", holders),
             format_html(_CELL, "Capability", capability)]
    if can_edit:
        cells.append(format_html(_REMOVE, seat.remove_url, csrf_token, seat.title))
    return format_html('<tr class="nhsuk-table__row">{}</tr>', mark_safe("".join(cells)))
