"""Session limits and the multi-factor rule for staff roles."""

import time
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import JsonResponse
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


def mfa_exempt(view):
    """Mark a view that never asks for the second factor: it is authorised by a secret in its
    own address (a rater's private link), not by the user's session."""
    view.mfa_exempt = True
    return view


class RequireMFAMiddleware:
    """Staff roles (administrators, HR, CMO/CNO offices) use the register only in a session that
    passed the second factor. Checked on every request, not once per session, so a user given a
    staff role while signed in is asked for it at their next request (docs/adr/0006). Costs no
    query in a verified session beyond the user's grants, which the page fetches anyway.
    Leaders and appraisers may choose to use an authenticator app.

    The API is for programs: a session without the second factor is refused there with a JSON
    403 that says what to do, never redirected to a page a program cannot fill in."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/")
    API_PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, view_args, view_kwargs):
        user = request.user
        if (
            not settings.MFA_REQUIRED_FOR_STAFF
            or not user.is_authenticated
            or getattr(view, "mfa_exempt", False)
            or request.path.startswith(self.ALLOWED_PREFIXES)
            or not access.needs_mfa(user)
            or passed_second_factor(request)
        ):
            return None
        if request.path.startswith(self.API_PREFIX):
            return JsonResponse({"detail": (
                "Your role needs a second step at sign-in: sign in again and enter the code "
                "from your authenticator app, or call the API with a personal access token."
                if access.has_totp(user) else
                "Your role needs a second step at sign-in: set up an authenticator app on the "
                "register first, or call the API with a personal access token.")}, status=403)
        if not access.has_totp(user):
            messages.warning(request, "Set up an authenticator app to keep using the "
                                      "register: your role needs a second step at sign-in.")
            return redirect(reverse("mfa_activate_totp"))
        messages.info(request, "Your role needs a second step: enter the code from your "
                               "authenticator app to carry on.")
        return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.path})}")


def passed_second_factor(request):
    """Whether this session signed in with the second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)
