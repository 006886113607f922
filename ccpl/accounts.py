"""Accounts are invited, never signed up for: an administrator or HR creates the account (see
ccpl.services.create_account) and the person receives a link to choose their password, made when
the e-mail is sent (through the notification ledger, so a mail outage delays it and fails
nothing). Here: allauth's adapter, that e-mail's link, and allauth's forms dressed as NHS.UK
components."""

from allauth.account import forms as account_forms
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as totp_forms
from django.conf import settings
from django.urls import reverse

from .forms import NHSFormMixin
from .models import User


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def get_login_stages(self):
        """allauth's stages, with its second-factor step taught to accept a second factor
        already checked by an organisation's identity provider (ccpl.sso)."""
        return ["ccpl.sso.AuthenticateStage" if stage == "allauth.mfa.stages.AuthenticateStage"
                else stage for stage in super().get_login_stages()]


def set_password_url(user):
    """A link that lets the user choose a password; it stops working once they have."""
    path = reverse("account_reset_password_from_key", kwargs={
        "uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user),
    })
    return f"{settings.SITE_URL}{path}"


def invitation_with_link(user_id, kind):
    """The context of an account invitation with a set-password link made now (registered with
    the notification ledger for this kind of row). None once the account has a password or has
    been switched off: the invitation has nothing left to do."""
    user = User.objects.select_related("invited_by").filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password():
        return None
    return {**invitation_context(user), "private_link": set_password_url(user)}


def invitation_context(user):
    return {"user": user, "template": "invitation",
            "subject": "CCPL: you have been invited to the leadership register"}


# --- allauth's forms, dressed as NHS.UK components -------------------------------------------

class LoginForm(NHSFormMixin, account_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "E-mail address"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""
        self.fields.pop("remember", None)


class ResetPasswordForm(NHSFormMixin, account_forms.ResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail address"
        self.fields["email"].widget.attrs.pop("placeholder", None)


class ResetPasswordKeyForm(NHSFormMixin, account_forms.ResetPasswordKeyForm):
    pass


class ChangePasswordForm(NHSFormMixin, account_forms.ChangePasswordForm):
    pass


class ReauthenticateForm(NHSFormMixin, account_forms.ReauthenticateForm):
    pass


class AuthenticateForm(NHSFormMixin, mfa_base_forms.AuthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code from your authenticator app"
        self.fields["code"].widget.attrs.pop("placeholder", None)


class ActivateTOTPForm(NHSFormMixin, totp_forms.ActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code from your authenticator app"
        self.fields["code"].widget.attrs.pop("placeholder", None)
