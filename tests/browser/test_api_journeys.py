"""The API in a real browser: HR makes a token on their account page with the keyboard alone
(axe-core on every page), it is shown once, it reads the API; and the API reference page works
under the Content-Security-Policy, with everything served from this server."""

import json
import urllib.request

import pytest

from ccpl import access
from ccpl.models import AccessToken

from ..factories import AppointmentFactory, PostFactory, UserFactory, grant, with_totp
from .test_journeys import north, sign_in  # noqa: F401 (north is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_makes_a_token_sees_it_once_and_reads_the_api_with_it(journey, north,  # noqa: F811
                                                                   live_server):
    system, trust = north
    hr = with_totp(grant(UserFactory(email="hr.api@example.org"), access.EDIT, system))
    appointment = AppointmentFactory(post=PostFactory(host_organisation=trust, system=system))
    page = journey.page

    sign_in(journey, hr.email)
    journey.open("/account/")
    journey.submit(page.get_by_role("link", name="Make an API token"))
    journey.type_into(page.locator("#id_name"), "BI nightly extract")
    journey.choose("id_scope", 0)  # read only
    journey.choose("id_days", 2)  # 90 days
    journey.submit(page.get_by_role("button", name="Make the token"))
    secret = page.locator("#token-secret").inner_text().strip()
    assert secret.startswith("ccpl_pat_")
    journey.submit(page.get_by_role("link", name="Back to your account"))
    assert secret not in page.content()
    assert page.get_by_role("cell", name="BI nightly extract ccpl_pat_").is_visible()
    assert page.get_by_role("button", name="Revoke").is_visible()

    request = urllib.request.Request(f"{live_server.url}/api/v1/appointments/",
                                     headers={"Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(request) as response:  # noqa: S310 (the live server)
        rows = json.load(response)["results"]
    assert [row["id"] for row in rows] == [appointment.pk]
    assert AccessToken.objects.get().last_used_at is not None


def test_the_api_reference_works_under_the_content_security_policy(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    problems, requests = [], []
    page.on("console", lambda message: message.type == "error" and problems.append(
        message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/api/docs/")
    page.get_by_text("/api/v1/appointments/", exact=True).first.wait_for(timeout=15000)
    context.close()
    assert not problems, problems
    assert all(url.startswith(live_server.url) for url in requests), requests
