"""What governance adds to other apps' pages (registered with appointments.hooks)."""

from appointments.hooks import Section

from .models import Seat


def person_section(person, *, user, today):
    """The boards and groups a person sits on today: seats follow the posts they hold."""
    held = person.posts_held
    seats = (Seat.objects.filter(post__in=held).select_related("body", "post")
             .order_by("body__name") if held else [])
    return Section("governance/_person_seats.html", {"seats": seats})
