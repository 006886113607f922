"""What governance adds to other apps' pages (registered with appointments.hooks)."""

from html import escape

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

# A body of a national system has hundreds of seats. Its members table is built in Python, as
# Django admin builds its change list's rows: a template resolving a dozen lookups in each of 300
# rows spent 40 ms of the page there, and format_html's nine calls a row 15 ms. Every value that
# goes into the HTML passes through _text (html.escape, which Django's escape filter also uses).
_HEADING = '<td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" ' \
           'aria-hidden="true">'
_SMALL = '<br><span class="nhsuk-body-s">'


def _text(value):
    return escape(str(value))


def member_rows(seats, holders, *, can_edit, csrf_token):
    """The rows of a body's members table, as HTML: ``holders`` is {post id: [people holding it
    today]}; with ``can_edit``, each row has its remove button."""
    csrf_token = _text(csrf_token)
    return mark_safe("".join(_member_row(seat, holders.get(seat.post_id, ()), can_edit,
                                         csrf_token) for seat in seats))


def _member_row(seat, people, can_edit, csrf_token):
    role = _text(ROLE_LABELS[seat.role])
    if seat.chairs:
        role = f'<strong class="nhsuk-tag nhsuk-tag--blue">{role}</strong>'
    if seat.post_id:
        post = (f'<a class="nhsuk-link" href="{_text(seat.post.get_absolute_url())}">'
                f'{_text(seat.title)}</a>{_SMALL}{_text(seat.post.host_organisation)}</span>')
        holders = ", ".join(
            f'<a class="nhsuk-link" href="{_text(person.get_absolute_url())}">'
            f'{_text(person)}</a>' for person in people
        ) or '<strong class="nhsuk-tag nhsuk-tag--grey">Vacant</strong>'
    else:
        post = "Not a post"
        if seat.holder_description:
            post += f"{_SMALL}{_text(seat.holder_description)}</span>"
        holders = _text(seat.holder_name)
        if seat.holder_account_id is not None:
            holders += f"{_SMALL}Signs in to the register</span>"
    capability = _text(seat.capability or "—")
    if seat.categories:
        capability += f"{_SMALL}Quorum: {_text(', '.join(seat.categories))}</span>"
    remove = (f'<td class="nhsuk-table__cell"><form method="post" '
              f'action="{_text(seat.remove_url)}"><input type="hidden" '
              f'name="csrfmiddlewaretoken" value="{csrf_token}"><button class="nhsuk-button '
              f'nhsuk-button--secondary nhsuk-button--small nhsuk-u-margin-bottom-0" '
              f'type="submit">Remove<span class="nhsuk-u-visually-hidden"> the seat of '
              f'{_text(seat.title)}</span></button></form></td>') if can_edit else ""
    return (f'<tr class="nhsuk-table__row">{_HEADING}Role </span>{role}</td>'
            f'{_HEADING}Vote </span>{"Voting" if seat.voting else "No vote"}</td>'
            f'{_HEADING}Post </span>{post}</td>{_HEADING}Held today by </span>{holders}</td>'
            f'{_HEADING}Capability </span>{capability}</td>{remove}</tr>')
