from django.conf import settings
from django.urls import reverse

from . import access


def service(request):
    """The service name and the header navigation for the signed-in user."""
    return {"service_name": settings.CCPL_SERVICE_NAME, "navigation": _navigation(request)}


def _navigation(request):
    user = getattr(request, "user", None)
    if not access.is_signed_in(user):
        return []
    items = [("Dashboard", reverse("appointments:dashboard")),
             ("Posts", reverse("appointments:post-list")),
             ("People", reverse("appointments:person-list")),
             ("Appointments", reverse("appointments:appointment-list")),
             ("Recruitment", reverse("appointments:vacancy-list")),
             ("Governance", reverse("governance:index"))]
    if user.is_superuser or access.holds_any_grant(user):
        items.append(("Reminders", reverse("notification-list")))
        items.append(("Invite", reverse("appointments:invite")))
    if user.is_staff:
        items.append(("Admin", reverse("admin:index")))
    path = request.path
    return [
        {"label": label, "href": href,
         "current": path == href if href == "/" else path.startswith(href)}
        for label, href in items
    ]
