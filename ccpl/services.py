"""The state changes of accounts: creating an invited account, and a user's own settings."""

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction

from .accounts import invitation_context
from .models import Notification, User, new_calendar_token
from .notifications import notify_now


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
