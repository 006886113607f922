"""Single sign-on without the browser: configuration from the environment, who may sign in
through a provider, and when the provider's second factor counts. The full flow against a real
provider is tests/browser/test_sso_journeys.py."""

import pytest
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import Login
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from ccpl import oidc, sso
from ccpl.models import User

from .factories import UserFactory, with_totp

ENV = {"OIDC_PROVIDERS": "north, kings", "OIDC_NORTH_ISSUER": "https://login.example/t1/v2.0/",
       "OIDC_NORTH_CLIENT_ID": "north-app", "OIDC_NORTH_SECRET": "north-secret",
       "OIDC_NORTH_LABEL": "North NHS account",
       "OIDC_NORTH_ALLOWED_DOMAINS": "north.nhs.example, @NHS.example",
       "OIDC_KINGS_ISSUER": "https://id.kings.example", "OIDC_KINGS_CLIENT_ID": "kings-app",
       "OIDC_KINGS_ACCEPT_MFA": "0"}


class TestConfiguration:
    def test_no_providers_means_passwords_only(self):
        assert oidc.providers_from_environment({}) == []

    def test_each_named_provider_becomes_an_app(self):
        north, kings = oidc.providers_from_environment(ENV)
        assert north == {
            "provider_id": "north", "name": "North NHS account", "client_id": "north-app",
            "secret": "north-secret",
            "settings": {"server_url": "https://login.example/t1/v2.0",
                         "ccpl_allowed_domains": ["north.nhs.example", "nhs.example"],
                         "ccpl_accept_mfa": True}}
        assert kings["name"] == "Kings"
        assert kings["settings"]["ccpl_allowed_domains"] == []
        assert kings["settings"]["ccpl_accept_mfa"] is False

    def test_the_content_security_policy_lets_the_sign_in_form_reach_the_providers(self):
        apps = oidc.providers_from_environment(ENV)
        assert oidc.form_action_sources(apps) == ["https://login.example",
                                                 "https://id.kings.example"]

    @pytest.mark.parametrize(("change", "variable"), [
        ({"OIDC_NORTH_ISSUER": ""}, "OIDC_NORTH_ISSUER must be set"),
        ({"OIDC_KINGS_CLIENT_ID": " "}, "OIDC_KINGS_CLIENT_ID must be set"),
        ({"OIDC_NORTH_ISSUER": "http://login.example/t1"}, "OIDC_NORTH_ISSUER must be an https"),
        ({"OIDC_NORTH_ALLOWED_DOMAINS": "nhs.example,not a domain"}, "ALLOWED_DOMAINS"),
        ({"OIDC_KINGS_ACCEPT_MFA": "maybe"}, "OIDC_KINGS_ACCEPT_MFA must be 1 or 0"),
        ({"OIDC_PROVIDERS": "north,North-2"}, "is not a provider name"),
        ({"OIDC_PROVIDERS": "north,north"}, "names 'north' twice"),
    ])
    def test_a_bad_value_stops_the_start_naming_the_variable(self, change, variable):
        with pytest.raises(ImproperlyConfigured, match=variable):
            oidc.providers_from_environment({**ENV, **change})

    def test_a_loopback_issuer_may_use_http(self):
        [app] = oidc.providers_from_environment({
            "OIDC_PROVIDERS": "local", "OIDC_LOCAL_ISSUER": "http://127.0.0.1:9000",
            "OIDC_LOCAL_CLIENT_ID": "x"})
        assert app["settings"]["server_url"] == "http://127.0.0.1:9000"

    def test_pkce_is_on_and_nobody_signs_up_through_a_provider(self, settings):
        assert settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["OAUTH_PKCE_ENABLED"]
        assert not settings.SOCIALACCOUNT_STORE_TOKENS
        assert not settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION
        assert get_adapter().is_open_for_signup(None, None) is False


class TestVerifiedEmail:
    @pytest.mark.parametrize(("id_token", "userinfo", "expected"), [
        ({"email": "A@North.example", "email_verified": True}, {}, "a@north.example"),
        ({}, {"email": "a@north.example", "email_verified": "true"}, "a@north.example"),
        ({"email": "a@north.example", "xms_edov": True}, {}, "a@north.example"),
        ({"email": "a@north.example", "xms_edov": "1"}, {}, "a@north.example"),
        ({"email": "a@north.example"}, {}, None),
        ({"email": "a@north.example", "email_verified": False}, {}, None),
        ({"email": "a@north.example", "email_verified": "false"}, {}, None),
        ({"email": "a@north.example", "xms_edov": False}, {"email": "a@north.example"}, None),
        ({"email_verified": True}, {}, None),
        ({"email": ["a@north.example"], "email_verified": True}, {}, None),
        # The address and its verification must come from the same answer.
        ({"email": "a@north.example"}, {"email_verified": True}, None),
    ])
    def test_only_an_address_the_provider_vouches_for_counts(self, id_token, userinfo,
                                                             expected):
        assert sso.verified_email(id_token=id_token, userinfo=userinfo) == expected


class TestSecondFactorClaim:
    @pytest.mark.parametrize("amr", [["pwd", "mfa"], ["mfa"], ["ngcmfa"], ["pwd", "otp"],
                                     ["hwk", "pin"], ["swk", "fpt"], ["face", "sc"]])
    def test_several_factors_count(self, amr):
        assert sso.provider_checked_second_factor(amr)

    @pytest.mark.parametrize("amr", [None, [], ["pwd"], ["otp"], ["hwk"], ["pwd", "pin"],
                                     ["wiaormfa"], ["fed"], "mfa", [["mfa"]], ["pwd", "sms"],
                                     {"mfa": True}])
    def test_one_factor_or_a_malformed_claim_does_not(self, amr):
        assert not sso.provider_checked_second_factor(amr)


@pytest.mark.django_db
class TestWhoMaySignIn:
    def account(self, email, verified=True, domains=()):
        return sso.account_for(id_token={"email": email, "email_verified": verified},
                               userinfo={}, allowed_domains=list(domains))

    def test_an_invited_account_is_found_by_its_verified_address(self, leader):
        assert self.account("LEADER@example.org") == leader

    def test_an_unverified_address_is_refused(self, leader):
        with pytest.raises(sso.Refused, match="did not confirm your e-mail address"):
            self.account("leader@example.org", verified=False)

    def test_someone_without_an_account_is_refused(self, leader):
        with pytest.raises(sso.Refused, match="There is no account for stranger@example.org"):
            self.account("stranger@example.org")

    def test_a_switched_off_account_is_refused(self, leader):
        leader.is_active = False
        leader.save()
        with pytest.raises(sso.Refused, match="There is no account"):
            self.account("leader@example.org")

    def test_a_provider_signs_in_only_its_own_domains(self, leader):
        assert self.account("leader@example.org", domains=["example.org"]) == leader
        with pytest.raises(sso.Refused, match="not used for example.org addresses"):
            self.account("leader@example.org", domains=["north.nhs.example"])
        # The exact domain: a subdomain or a look-alike is another organisation.
        UserFactory(email="x@evil-example.org")
        with pytest.raises(sso.Refused, match="not used for evil-example.org"):
            self.account("x@evil-example.org", domains=["example.org"])


def provider_app(settings, **policy):
    apps = oidc.providers_from_environment({
        "OIDC_PROVIDERS": "north", "OIDC_NORTH_ISSUER": "https://login.example/t1/v2.0",
        "OIDC_NORTH_CLIENT_ID": "north-app", **policy})
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True,
                                                           "APPS": apps}}


def a_request(user=None):
    request = RequestFactory().get("/accounts/oidc/north/login/callback/")
    request.session = SessionStore()
    request.user = user or AnonymousUser()
    return request


def social_login(request, email, *, verified=True, amr=("pwd",), uid="subject-1"):
    provider = get_adapter().get_provider(request, "north")
    claims = {"sub": uid, "email": email, "email_verified": verified, "amr": list(amr)}
    return provider.sociallogin_from_response(request, {"id_token": claims, "userinfo": {}})


@pytest.mark.django_db
class TestAdapter:
    def test_the_first_sign_in_connects_the_identity_to_the_invited_account(self, settings,
                                                                             leader):
        provider_app(settings)
        request = a_request()
        login = social_login(request, "leader@example.org")
        get_adapter().pre_social_login(request, login)
        account = SocialAccount.objects.get()
        assert (account.user, account.provider, account.uid) == (leader, "north", "subject-1")
        assert login.is_existing

    def test_a_refusal_is_a_page_and_writes_nothing(self, settings, leader):
        provider_app(settings, OIDC_NORTH_ALLOWED_DOMAINS="north.nhs.example")
        for email, verified, reason in [
                ("leader@example.org", True, "not used for example.org addresses"),
                ("someone@north.nhs.example", True, "There is no account"),
                ("leader@example.org", False, "did not confirm your e-mail address")]:
            request = a_request()
            login = social_login(request, email, verified=verified)
            with pytest.raises(ImmediateHttpResponse) as refused:
                get_adapter().pre_social_login(request, login)
            assert refused.value.response.status_code == 403
            assert reason in refused.value.response.content.decode()
        assert not SocialAccount.objects.exists()
        assert User.objects.count() == 1

    def test_connecting_from_the_account_page_must_be_the_same_person(self, settings, leader):
        provider_app(settings)
        UserFactory(email="other@example.org")
        request = a_request(user=leader)
        login = social_login(request, "other@example.org")
        login.state["process"] = "connect"
        with pytest.raises(ImmediateHttpResponse):
            get_adapter().pre_social_login(request, login)
        assert not SocialAccount.objects.exists()

    def test_an_unreachable_provider_is_a_page_not_a_server_error(self, settings, client):
        provider_app(settings, OIDC_NORTH_ISSUER="http://127.0.0.1:9")
        response = client.post(reverse("openid_connect_login", args=["north"]))
        assert response.status_code == 502
        assert "could not be reached" in response.content.decode()

    @pytest.mark.parametrize("query", [{"code": "made-up", "state": "made-up"}, {},
                                       {"error": "access_denied", "state": "made-up"}])
    def test_a_callback_that_did_not_come_from_our_request_is_a_page(self, settings, client,
                                                                    query):
        provider_app(settings)
        response = client.get(reverse("openid_connect_callback", args=["north"]), query)
        assert response.status_code == 401
        assert "did not complete" in response.content.decode()
        assert not SocialAccount.objects.exists()

    def test_an_unknown_provider_is_not_found(self, settings, client):
        provider_app(settings)
        response = client.post(reverse("openid_connect_login", args=["south"]))
        assert response.status_code == 404


@pytest.mark.django_db
class TestSecondFactorStage:
    def run_stage(self, settings, user, amr, **policy):
        provider_app(settings, **policy)
        request = a_request()
        sociallogin = social_login(request, user.email, amr=amr)
        sociallogin.user = user
        login = Login(user=user, signal_kwargs={"sociallogin": sociallogin})
        stage = sso.AuthenticateStage(controller=None, request=request, login=login)
        response, carry_on = stage.handle()
        methods = [r["method"] for r in get_authentication_records(request, user)]
        return response, methods

    def test_the_providers_second_factor_is_recorded_as_the_registers_own(self, settings):
        staff = with_totp(UserFactory(is_staff=True))
        response, methods = self.run_stage(settings, staff, ["pwd", "mfa"])
        assert response is None
        assert methods == ["mfa"]

    def test_without_it_staff_are_asked_for_their_code(self, settings):
        staff = with_totp(UserFactory(is_staff=True))
        response, methods = self.run_stage(settings, staff, ["pwd"])
        assert response.url == reverse("mfa_authenticate")
        assert methods == []

    def test_a_provider_whose_claim_is_not_trusted_does_not_count(self, settings):
        staff = with_totp(UserFactory(is_staff=True))
        response, methods = self.run_stage(settings, staff, ["pwd", "mfa"],
                                           OIDC_NORTH_ACCEPT_MFA="0")
        assert response.url == reverse("mfa_authenticate")
        assert methods == []


@pytest.mark.django_db
class TestSignInPage:
    def test_without_providers_the_page_offers_passwords_only(self, settings, client):
        settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
        page = client.get(reverse("account_login")).content.decode()
        assert "organisation's account" not in page
        assert "/accounts/oidc/" not in page

    def test_each_provider_has_a_button_posting_with_csrf(self, settings, client):
        settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": oidc.providers_from_environment(ENV)}}
        page = client.get(reverse("account_login") + "?next=/people/").content.decode()
        for provider_id, label in (("north", "North NHS account"), ("kings", "Kings")):
            # The address keeps where the user was going.
            action = f"/accounts/oidc/{provider_id}/login/?process=login&amp;next=%2Fpeople%2F"
            form = page.split(f'<form method="post" action="{action}">')[1].split("</form>")[0]
            assert 'name="csrfmiddlewaretoken"' in form
            assert f"Sign in with {label}</button>" in form
        assert page.count('method="post" action="/accounts/oidc/') == 2

    def test_opening_a_providers_address_asks_before_leaving_the_register(self, settings,
                                                                          client):
        provider_app(settings, OIDC_NORTH_LABEL="North NHS account")
        page = client.get(reverse("openid_connect_login", args=["north"])).content.decode()
        assert "<h1>Sign in with North NHS account</h1>" in page
        assert 'name="csrfmiddlewaretoken"' in page
