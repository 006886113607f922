"""The service name and the header navigation.

Each app puts its own pages in the header from its ``AppConfig.ready()`` (docs/adr/0002), each
with the rule its view applies to who may open it (``appointments.services.may_invite`` for
inviting users, say), so the header offers a user exactly the pages that open for them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from . import access


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    order: int  # place in the header, left to right
    shown_to: Callable  # (user) -> whether the page opens for them


NAVIGATION: list[Page] = []


def add_page(label, url_name, *, order, shown_to=access.is_signed_in):
    """Put a page in the header for the users ``shown_to`` accepts (every signed-in user unless
    said otherwise); adding the same page again replaces it."""
    pages = [page for page in NAVIGATION if page.url_name != url_name]
    pages.append(Page(label, url_name, order, shown_to))
    NAVIGATION[:] = sorted(pages, key=lambda page: page.order)


def service(request):
    """The service name and the header navigation for the signed-in user."""
    return {"service_name": settings.CCPL_SERVICE_NAME, "navigation": _navigation(request)}


def _navigation(request):
    user = getattr(request, "user", None)
    if not access.is_signed_in(user):
        return []
    path = request.path
    items = []
    for page in NAVIGATION:
        if not page.shown_to(user):
            continue
        href = reverse(page.url_name)
        items.append({"label": page.label, "href": href,
                      "current": path == href if href == "/" else path.startswith(href)})
    return items
