"""Session limits and the multi-factor rule for staff roles."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.shortcuts import redirect
from django.urls import reverse

from . import access


class SessionLimitsMiddleware:
    """Sign out after SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE after
    signing in whatever happens. (A deactivated user is already signed out at their next request:
    the authentication backends refuse inactive users.)"""

    # Record activity at most once a minute, so most requests do not write the session.
    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and SESSION_KEY in request.session:
            # The account was deactivated (or deleted) since the session began: end it.
            request.session.flush()
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            signed_in_at = session.setdefault("signed_in_at", now)
            last_seen = session.get("last_seen", now)
            idle = now - last_seen > settings.SESSION_IDLE_SECONDS
            expired = now - signed_in_at > settings.SESSION_COOKIE_AGE
            if idle or expired:
                logout(request)
                messages.info(request, "You were signed out to keep the register safe. "
                                       "Sign in again to carry on.")
                return redirect(f"{reverse('account_login')}?next={request.path}")
            if now - last_seen >= self.TOUCH_EVERY or "last_seen" not in session:
                session["last_seen"] = now
        return self.get_response(request)


class RequireMFAMiddleware:
    """Staff roles (administrators, HR, CMO/CNO offices) must set up an authenticator app before
    they can use the register. Leaders and appraisers may choose to."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/r/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MFA_REQUIRED_FOR_STAFF
            and request.user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not request.session.get("mfa_ok")
        ):
            if access.needs_mfa(request.user) and not access.has_totp(request.user):
                messages.warning(request, "Set up an authenticator app to keep using the "
                                          "register: your role needs a second step at sign-in.")
                return redirect(reverse("mfa_activate_totp"))
            request.session["mfa_ok"] = True
        return self.get_response(request)
