"""Signing in through an organisation's identity provider (OpenID Connect, through allauth).

The rules, whatever the provider:

- Only invited accounts sign in. The provider's identity is matched to an active account by an
  e-mail address the provider says it has verified: ``email_verified`` true in the ID token or
  the userinfo answer, or Microsoft Entra ID's ``xms_edov`` (the e-mail's domain is verified by
  the tenant that owns it). An address without either is refused: Entra lets a tenant's
  administrators type any address into a user's ``email``, so an unverified one proves nothing.
- Where ``OIDC_<NAME>_ALLOWED_DOMAINS`` is set, that provider signs in only addresses of those
  domains (the exact domain after the ``@``): an organisation's provider speaks for its own
  people, not for another organisation's.
- No account is ever created by signing in. Invitation stays the one way in: an account made by
  a provider would have no grants and no record to see, and would stand in the way of the
  invitation HR sends later. (Allauth's own sign-up is closed for the same reason.)
- The first sign-in connects the provider's identity to the account, so one person keeps one
  account whether they use their password or their organisation's sign-in; later sign-ins find
  it by the provider's subject identifier.
- Refused sign-ins see a page saying why (403) and write nothing.
- Staff roles still need a second factor (docs/adr/0006). The ID token's ``amr`` claim counts
  as one when it says the provider used several factors (``mfa``, Entra's ``ngcmfa``), or names
  a possession factor (``otp``, ``hwk``, ``swk``, ``sc``) beside a knowledge or biometric one
  (``pwd``, ``pin``, ``kba``, ``fpt``, ``face``, ``iris``, ``retina``, ``vbm``) (RFC 8176). The
  session then records it as allauth's own TOTP step does; otherwise the register asks for its
  own code, as after a password.
"""

import requests
from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa import stages as mfa_stages
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, _build_apps_from_settings
from allauth.socialaccount.providers.base import AuthProcess
from django.shortcuts import render

from .models import User

MULTI_FACTOR = frozenset({"mfa", "ngcmfa"})
POSSESSION = frozenset({"otp", "hwk", "swk", "sc"})
KNOWLEDGE_OR_INHERENCE = frozenset({"pwd", "pin", "kba", "fpt", "face", "iris", "retina",
                                    "vbm"})


class Refused(Exception):
    """A sign-in through a provider that the register does not accept, with the reason to show."""


def _true(value):
    return value is True or value == 1 or (isinstance(value, str) and value.lower() in
                                           ("true", "1"))


def verified_email(*, id_token, userinfo):
    """The e-mail address the provider vouches for, lower-cased, or None."""
    for claims in (id_token or {}, userinfo or {}):
        email = claims.get("email")
        if (isinstance(email, str) and "@" in email
                and (_true(claims.get("email_verified")) or _true(claims.get("xms_edov")))):
            return email.strip().lower()
    return None


def provider_checked_second_factor(amr):
    """Whether an ``amr`` claim (a list of method names) shows more than one factor."""
    if not isinstance(amr, list):
        return False
    methods = {m for m in amr if isinstance(m, str)}
    return bool(methods & MULTI_FACTOR) or bool(
        methods & POSSESSION and methods & KNOWLEDGE_OR_INHERENCE)


def account_for(*, id_token, userinfo, allowed_domains):
    """The active account this identity belongs to, or Refused saying why."""
    email = verified_email(id_token=id_token, userinfo=userinfo)
    if email is None:
        raise Refused("Your organisation's sign-in did not confirm your e-mail address, so the "
                      "register cannot tell which account is yours.")
    domain = email.rpartition("@")[2]
    if allowed_domains and domain not in allowed_domains:
        raise Refused(f"This organisation's sign-in is not used for {domain} addresses. Sign in "
                      "with your password, or with your own organisation's sign-in.")
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        raise Refused(f"There is no account for {email}. Accounts are given by your HR team or "
                      "an administrator: ask them to invite you.")
    return user


def _claims(sociallogin):
    data = sociallogin.account.extra_data or {}
    return data.get("id_token") or {}, data.get("userinfo") or {}


def _app_settings(sociallogin):
    return sociallogin.provider.app.settings


def second_factor_at_provider(sociallogin):
    """Whether this sign-in passed several factors at a provider whose ``amr`` we accept."""
    if not _app_settings(sociallogin).get("ccpl_accept_mfa", False):
        return False
    id_token, _ = _claims(sociallogin)
    return provider_checked_second_factor(id_token.get("amr"))


def _refuse(request, message, status=403):
    return ImmediateHttpResponse(render(request, "ccpl/sso_refused.html",
                                        {"message": message}, status=status))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return False

    def list_apps(self, request, provider=None, client_id=None):
        """Providers come from the environment only (ccpl.oidc), never from database rows made
        in the admin, which would bypass the rules set beside them (and cost the sign-in page a
        query)."""
        apps = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for provider_apps in apps.values() for app in provider_apps]

    def pre_social_login(self, request, sociallogin):
        """Find the invited account for a first sign-in and connect the identity to it, or
        refuse; an identity already connected signs in to its account."""
        if sociallogin.is_existing:
            return
        id_token, userinfo = _claims(sociallogin)
        try:
            user = account_for(
                id_token=id_token, userinfo=userinfo,
                allowed_domains=_app_settings(sociallogin).get("ccpl_allowed_domains", []))
        except Refused as refused:
            raise _refuse(request, str(refused)) from None
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            if user != request.user:
                raise _refuse(request, "That sign-in belongs to another account.")
            return  # allauth connects it to the signed-in user
        sociallogin.connect(request, user)

    def get_requests_session(self):
        """Calls to the provider (discovery, keys, tokens) that fail show a page saying the
        provider could not be reached, not a server error."""
        session = super().get_requests_session()
        send = session.request

        def request(*args, **kwargs):
            try:
                return send(*args, **kwargs)
            except requests.RequestException:
                raise _refuse(context.request, "Your organisation's sign-in could not be "
                              "reached. Try again in a few minutes, or sign in with your "
                              "password.", status=502) from None

        session.request = request
        return session


class AuthenticateStage(mfa_stages.AuthenticateStage):
    """allauth's second-factor step, skipped when the provider has already checked a second
    factor: the session then records it as the register's own TOTP step would, which is what
    ccpl.middleware.RequireMFAMiddleware looks for."""

    def handle(self):
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if sociallogin is not None and second_factor_at_provider(sociallogin):
            id_token, _ = _claims(sociallogin)
            record_authentication(self.request, self.login.user, "mfa", type="provider",
                                  provider=sociallogin.account.provider,
                                  amr=[m for m in id_token["amr"] if isinstance(m, str)])
            return None, True
        return super().handle()
