"""The state changes of accounts: creating an invited account, and a user's own settings."""

import datetime
import hashlib
import logging
import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import access
from .accounts import invitation_context
from .models import AccessToken, AccessTokenUse, Notification, User, new_calendar_token
from .notifications import notify_now

log = logging.getLogger(__name__)
FORGET_BATCH = 5000  # token uses deleted at a time


@transaction.atomic
def create_account(*, email, full_name, by):
    """Create an account with no usable password and e-mail its owner a link to choose one (made
    as the e-mail is sent, once the caller's transaction commits). What the account may see is
    granted by the caller (see appointments.services.invite)."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this e-mail address already exists."})
    user = User(email=email, full_name=full_name.strip(), invited_by=by)
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    notify_now(kind=Notification.Kind.ACCOUNT_INVITATION, milestone="invitation", obj=user,
               email=email, user=user, context=invitation_context(user))
    return user


def update_account(*, user, full_name, weekly_digest):
    """The user's own name and whether they want one weekly summary instead of single
    reminders."""
    user.full_name = full_name.strip()
    user.weekly_digest = weekly_digest
    user.save(update_fields=["full_name", "weekly_digest"])
    return user


def new_calendar_address(*, user):
    """Give the user's calendar feed a new secret address; the old one stops working."""
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    return user


# --- Personal access tokens for the API --------------------------------------------------------

TOKEN_PREFIX = "ccpl_pat_"
MAX_TOKEN_DAYS = 365


def token_digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_access_token(*, name, scope, days, second_factor, by):
    """Make a personal access token for ``by`` and return ``(token, secret)``. The secret is
    never stored: show it once. A staff role (administrator, HR, CMO/CNO office) makes a token
    only in a session that passed the second factor, since the token then opens the API without
    one."""
    errors = {}
    if access.needs_mfa(by) and not second_factor:
        errors["__all__"] = ("Your role needs a second step at sign-in: sign in with the code "
                             "from your authenticator app before making a token.")
    if not name.strip():
        errors["name"] = "Enter what the token is for."
    if scope not in AccessToken.Scope.values:
        errors["scope"] = "Select what the token may do."
    if not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = f"A token lasts between 1 and {MAX_TOKEN_DAYS} days."
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = AccessToken.objects.create(
        user=by, name=name.strip(), scope=scope, digest=token_digest(secret),
        hint=secret[:len(TOKEN_PREFIX) + 4], created_at=now,
        expires_at=now + datetime.timedelta(days=days))
    return token, secret


@transaction.atomic
def revoke_access_token(*, token, by):
    """Stop the token working, for good. Revoking a revoked token changes nothing."""
    token = AccessToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def record_token_use(*, token, method, path, ip_address):
    """Record one request made with the token, and when it was last used."""
    now = timezone.now()
    AccessTokenUse.objects.create(token=token, at=now, method=method[:10], path=path[:300],
                                  ip_address=ip_address)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def forget_old_token_uses(*, now=None, days=None):
    """Delete the record of every request made with a token more than ``days`` (default
    ACCESS_TOKEN_USE_DAYS) ago: each API request writes one, and an address and a path are
    personal data kept no longer than an auditor needs them. When each token was last used is
    kept on the token. Deletes in batches, so no long lock is held on a table the API writes to
    on every request. Returns how many were deleted."""
    days = settings.ACCESS_TOKEN_USE_DAYS if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted = 0
    while True:
        batch = list(AccessTokenUse.objects.filter(at__lt=cutoff).order_by()
                     .values_list("pk", flat=True)[:FORGET_BATCH])
        if not batch:
            break
        deleted += AccessTokenUse.objects.filter(pk__in=batch).delete()[0]
    if deleted:
        log.info("Forgot %d uses of access tokens older than %d days", deleted, days)
    return deleted
