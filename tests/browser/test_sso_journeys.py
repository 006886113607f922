"""Single sign-on against a real OpenID Connect provider on loopback (panva/node-oidc-provider,
tests/oidc/), through the full authorisation-code flow with PKCE in headless Chromium: the
register's own pages are checked with axe-core, the provider's development sign-in form is not
ours and is only filled in. The provider's claims follow from the address typed (see
tests/oidc/provider.mjs)."""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount

from ccpl import access, oidc
from ccpl.models import User
from ccpl.services import create_account

from ..factories import SystemFactory, UserFactory, grant, totp_code, with_totp
from .conftest import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROVIDER_DIR = Path(__file__).resolve().parent.parent / "oidc"
PROVIDER_ID = "testidp"
CLIENT_ID = "ccpl-register"
CLIENT_SECRET = "loopback-only-secret"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def identity_provider(live_server):
    """The provider, started once for the session with the live server's callback address."""
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("The test identity provider is not installed: run `npm ci` in tests/oidc "
                    "(make test does).")
    port = _free_port()
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENT_ID": CLIENT_ID,
           "OIDC_CLIENT_SECRET": CLIENT_SECRET,
           "OIDC_REDIRECT_URI": f"{live_server.url}/accounts/oidc/{PROVIDER_ID}/login/callback/"}
    process = subprocess.Popen([node, "provider.mjs"], cwd=PROVIDER_DIR, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration",
                                            timeout=1) as response:
                    assert json.load(response)["issuer"] == issuer
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail("The identity provider did not start: "
                                + process.stderr.read().decode())
                time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def sso(identity_provider, settings):
    """The register configured for the provider as the environment would configure it."""
    apps = oidc.providers_from_environment({
        "OIDC_PROVIDERS": PROVIDER_ID,
        f"OIDC_{PROVIDER_ID.upper()}_ISSUER": identity_provider,
        f"OIDC_{PROVIDER_ID.upper()}_CLIENT_ID": CLIENT_ID,
        f"OIDC_{PROVIDER_ID.upper()}_SECRET": CLIENT_SECRET,
        f"OIDC_{PROVIDER_ID.upper()}_LABEL": "North NHS account",
        f"OIDC_{PROVIDER_ID.upper()}_ALLOWED_DOMAINS": "north.nhs.example",
    })
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": apps}}
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
        **directives,
        "form-action": [*directives["form-action"], *oidc.form_action_sources(apps)]}}
    return identity_provider


def sign_in_with_provider(journey: Journey, email):
    """From the register's sign-in page, through the provider's, back to the register."""
    page = journey.page
    journey.open("/accounts/login/")
    with page.expect_navigation(url=f"{journey.issuer}/**"):
        journey.press(page.get_by_role("button", name="Sign in with North NHS account"))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("anything")
    with page.expect_navigation(url=f"{journey.base_url}/**", wait_until="load"):
        page.locator("button[type=submit]").click()
    journey.check()


@pytest.fixture
def sso_journey(journey, sso):
    """A journey that may visit the provider. The provider's development pages ask for a web
    font and a favicon: answered empty here, so nothing leaves the machine."""
    journey.issuer = sso

    def offline(route):
        url = route.request.url
        if url.startswith((journey.base_url, sso)) and not url.endswith("/favicon.ico"):
            route.continue_()
        else:
            route.fulfill(status=200, body="")

    journey.page.route("**/*", offline)
    return journey


def dashboard_shown(journey):
    page = journey.page
    return (page.url == f"{journey.base_url}/"
            and page.get_by_role("heading", name="Dashboard").is_visible())


def test_an_invited_user_signs_in_for_the_first_time_with_their_organisation(sso_journey):
    admin = UserFactory(email="admin@north.nhs.example", is_staff=True, is_superuser=True)
    invited = create_account(email="new.leader@north.nhs.example", full_name="New Leader",
                             by=admin)

    sign_in_with_provider(sso_journey, "new.leader@north.nhs.example")
    assert dashboard_shown(sso_journey)
    connection = SocialAccount.objects.get(provider=PROVIDER_ID)
    assert connection.user == invited
    assert connection.uid == "new.leader@north.nhs.example"

    # Signing out and in again finds the same account by the provider's identifier.
    sso_journey.page.context.clear_cookies()
    sign_in_with_provider(sso_journey, "new.leader@north.nhs.example")
    assert dashboard_shown(sso_journey)
    assert SocialAccount.objects.count() == 1
    assert User.objects.filter(email__iendswith="north.nhs.example").count() == 2


def test_a_password_user_keeps_one_account_when_they_use_their_organisation(sso_journey):
    leader = UserFactory(email="Leader@north.nhs.example")

    sign_in_with_provider(sso_journey, "leader@north.nhs.example")
    assert dashboard_shown(sso_journey)
    assert SocialAccount.objects.get().user == leader
    leader.refresh_from_db()
    assert leader.check_password("correct-horse-battery")
    assert User.objects.count() == 1


def test_someone_without_an_invitation_is_refused_and_nothing_is_written(sso_journey):
    sign_in_with_provider(sso_journey, "stranger@north.nhs.example")
    page = sso_journey.page
    assert page.get_by_role("heading", name="You could not be signed in").is_visible()
    assert page.get_by_text("There is no account for stranger@north.nhs.example").is_visible()
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()
    # The refusal is answered 403 Forbidden, which Chromium reports on the console.
    forbidden = "console: Failed to load resource: the server responded with a status of 403"
    assert any(p.startswith(forbidden) for p in sso_journey.problems)
    sso_journey.problems = [p for p in sso_journey.problems if not p.startswith(forbidden)]
    sso_journey.open("/")
    assert page.url.startswith(f"{sso_journey.base_url}/accounts/login/")


def test_staff_whose_provider_checked_a_second_factor_go_straight_in(sso_journey):
    staff = with_totp(UserFactory(email="hr-mfa@north.nhs.example", is_staff=True))

    sign_in_with_provider(sso_journey, staff.email)
    assert dashboard_shown(sso_journey)
    sso_journey.open("/reminders/")  # a staff page: the second factor holds on every request
    assert sso_journey.page.url == f"{sso_journey.base_url}/reminders/"


def test_staff_whose_provider_did_not_check_a_second_factor_enter_their_code(sso_journey):
    system = SystemFactory(name="North Test ICS", short_name="NORTH")
    staff = with_totp(grant(UserFactory(email="hr-nomfa@north.nhs.example"), access.EDIT,
                            system))
    page = sso_journey.page

    sign_in_with_provider(sso_journey, staff.email)
    assert page.url.startswith(f"{sso_journey.base_url}/accounts/2fa/authenticate/")
    sso_journey.type_into(page.locator("#id_code"), totp_code())
    sso_journey.submit(page.get_by_role("button", name="Sign In"))
    assert dashboard_shown(sso_journey)
