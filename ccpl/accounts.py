"""Accounts are invited, never signed up for: an administrator or HR creates the account (see
ccpl.services.create_account) and the person receives a link to choose their password. Here:
allauth's adapter, the invitation e-mail, and allauth's forms dressed as NHS.UK components."""

from allauth.account import forms as account_forms
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as totp_forms
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .forms import NHSFormMixin


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False


def set_password_url(user):
    """A link that lets the user choose a password; it stops working once they have."""
    path = reverse("account_reset_password_from_key", kwargs={
        "uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user),
    })
    return f"{settings.SITE_URL}{path}"


def send_invitation(user, by):
    context = {"user": user, "by": by, "url": set_password_url(user),
               "service_name": settings.CCPL_SERVICE_NAME}
    send_mail(
        subject="CCPL: you have been invited to the leadership register",
        message=render_to_string("ccpl/email/invitation.txt", context),
        html_message=render_to_string("ccpl/email/invitation.html", context),
        from_email=None,
        recipient_list=[user.email],
    )


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
