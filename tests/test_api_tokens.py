"""Personal access tokens: made on the account page, shown once, stored hashed, scoped, expiring,
revocable, every use recorded."""

import datetime
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import django.test
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ccpl import access, services
from ccpl.models import AccessToken, AccessTokenUse

from .factories import UserFactory, grant, with_totp
from .pages import Client

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def make(user, scope="read", days=30):
    return services.create_access_token(name="BI extract", scope=scope, days=days,
                                        second_factor=True, by=user)


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_token_is_stored_hashed_and_shown_once(client, hr_north):
    client.force_login(hr_north)
    response = client.post(reverse("account-token-create"),
                           {"name": "Nightly extract", "scope": "read", "days": "90"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("ccpl_pat_") and len(secret) > 40
    token = AccessToken.objects.get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.digest, token.hint, token.name}
    assert token.expires_at - token.created_at == datetime.timedelta(days=90)
    account = client.get(reverse("account")).content.decode()
    assert "Nightly extract" in account and secret not in account


def test_staff_make_tokens_only_in_a_session_that_passed_the_second_factor(hr_north):
    with pytest.raises(services.ValidationError, match="second step"):
        services.create_access_token(name="x", scope="read", days=30, second_factor=False,
                                     by=hr_north)
    assert not AccessToken.objects.exists()


def test_a_leader_needs_no_second_factor_for_a_token(leader):
    token, _ = services.create_access_token(name="x", scope="read", days=30,
                                            second_factor=False, by=leader)
    assert token.user == leader


@pytest.mark.parametrize("days", [0, 366, -1])
def test_a_token_lasts_at_most_a_year(leader, days):
    with pytest.raises(services.ValidationError, match="between 1 and 365"):
        services.create_access_token(name="x", scope="read", days=days,
                                     second_factor=True, by=leader)


def test_the_form_refuses_a_lifetime_it_does_not_offer(client, leader):
    client.force_login(leader)
    response = client.post(reverse("account-token-create"),
                           {"name": "x", "scope": "read", "days": "3650"})
    assert response.status_code == 200 and response.context["form"].errors["days"]
    assert not AccessToken.objects.exists()


def test_every_use_is_recorded(client, hr_north):
    token, secret = make(hr_north)
    assert client.get("/api/v1/systems/", **bearer(secret)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    use = AccessTokenUse.objects.get()
    assert (use.token, use.method, use.path) == (token, "GET", "/api/v1/systems/")


def test_an_expired_token_is_refused(client, hr_north):
    _, secret = make(hr_north, days=7)
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 10), tick=False):
        response = client.get("/api/v1/systems/", **bearer(secret))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_for_good(client, hr_north):
    client.force_login(hr_north)
    token, secret = make(hr_north)
    assert client.post(reverse("account-token-revoke", args=[token.pk])).status_code == 302
    client.logout()
    assert client.get("/api/v1/systems/", **bearer(secret)).status_code == 401
    token.refresh_from_db()
    assert token.revoked_by == hr_north and not AccessTokenUse.objects.exists()


def test_nobody_revokes_another_users_token(client, hr_north, leader):
    token, _ = make(hr_north)
    client.force_login(leader)
    assert client.post(reverse("account-token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_deactivated_users_token_is_refused(client, leader):
    _, secret = make(leader)
    leader.is_active = False
    leader.save()
    assert client.get("/api/v1/systems/", **bearer(secret)).status_code == 401


@pytest.mark.parametrize("header", ["Bearer ccpl_pat_nope", "Bearer", "Bearer a b",
                                    "Bearer " + "ccpl_pat_" + "a" * 200, "Bearer not-a-token"])
def test_a_made_up_token_is_refused(client, header):
    assert client.get("/api/v1/systems/", HTTP_AUTHORIZATION=header).status_code == 401


def test_without_a_token_the_api_asks_for_one(client):
    response = client.get("/api/v1/appointments/")
    assert response.status_code == 401


def test_a_read_token_reads_but_never_writes(client, hr_north):
    _, secret = make(hr_north, scope="read")
    response = client.post("/api/v1/systems/", {}, content_type="application/json",
                           **bearer(secret))
    assert response.status_code == 403


def test_tokens_of_one_user_never_show_on_anothers_page(client, hr_north):
    make(hr_north)
    other = UserFactory()
    client.force_login(other)
    assert "BI extract" not in client.get(reverse("account")).content.decode()


def test_a_user_beyond_the_rate_limit_is_told_to_wait(client, hr_north, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/minute",
                                                               "anon": "1/minute"})
    _, secret = make(hr_north)
    statuses = [client.get("/api/v1/systems/", **bearer(secret)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/api/v1/systems/", **bearer(secret))["Retry-After"]
    assert [client.get("/api/v1/register/").status_code for _ in range(2)] == [200, 429]


def test_the_rates_come_from_the_environment():
    from django.conf import settings

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert set(rates) == {"user", "anon"}


def test_the_page_refuses_a_token_to_staff_who_skipped_the_second_factor(client, hr_north,
                                                                          settings):
    settings.MFA_REQUIRED_FOR_STAFF = False  # or the middleware would ask for it first
    plain = django.test.Client()
    plain.force_login(hr_north)  # a session without the second factor
    response = plain.post(reverse("account-token-create"),
                                  {"name": "x", "scope": "read", "days": "30"})
    assert response.status_code == 200
    assert "second step" in response.content.decode()
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("enrolled", [True, False], ids=["with-app", "without-app"])
def test_staff_calling_the_api_in_a_session_without_the_second_factor_get_a_json_403(
        north, north_appointment, enrolled):
    """A program cannot fill in the code page: the API refuses in JSON, saying what to do,
    where a page would redirect; nothing is changed."""
    hr = grant(UserFactory(), access.EDIT, north)
    if enrolled:
        with_totp(hr)
    plain = django.test.Client()
    plain.force_login(hr)  # a session that did not pass the second factor
    for response in (
        plain.get("/api/v1/appointments/"),
        plain.get(f"/api/v1/appointments/{north_appointment.pk}/"),
        plain.post(f"/api/v1/appointments/{north_appointment.pk}/end/",
                   {"how": "end", "on": "2026-12-31", "reason": "r"},
                   content_type="application/json"),
    ):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert "second step" in response.json()["detail"]
        assert "Location" not in response
    north_appointment.refresh_from_db()
    assert north_appointment.status == "active"
    # The pages still take the user to the code (or to setting up the app).
    assert plain.get(reverse("appointments:appointment-list")).status_code == 302
    # The same user with the second factor, or with a token, reads the API.
    browser = Client()
    browser.force_login(hr)
    expected = 200 if enrolled else 302
    assert browser.get(reverse("appointments:appointment-list")).status_code == expected
    if enrolled:
        assert browser.get("/api/v1/appointments/").status_code == 200
    _, secret = make(hr)
    assert django.test.Client().get("/api/v1/appointments/", **bearer(secret)).status_code == 200


def test_uses_older_than_the_retention_are_forgotten_and_the_last_use_is_kept(hr_north,
                                                                               settings):
    settings.ACCESS_TOKEN_USE_DAYS = 90
    token, _ = make(hr_north)
    now = timezone.now()
    for days in (400, 91, 89, 0):
        AccessTokenUse.objects.create(token=token, at=now - datetime.timedelta(days=days),
                                      method="GET", path=f"/api/v1/posts/?age={days}")
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    assert services.forget_old_token_uses(now=now) == 2
    assert sorted(token.uses.values_list("path", flat=True)) == [
        "/api/v1/posts/?age=0", "/api/v1/posts/?age=89"]
    token.refresh_from_db()
    assert token.last_used_at == now
    assert services.forget_old_token_uses(now=now) == 0  # again: nothing more to do


def test_retention_runs_daily_in_beat_and_by_command(hr_north, settings):
    from django.core.management import call_command

    from ccpl import tasks

    tasks_run = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "ccpl.tasks.forget_old_token_uses" in tasks_run
    token, _ = make(hr_north)
    now = timezone.now()
    for days in (120, 40, 1):
        AccessTokenUse.objects.create(token=token, at=now - datetime.timedelta(days=days),
                                      method="GET", path="/api/v1/posts/")
    assert tasks.forget_old_token_uses.delay().get() == 1  # the default, 90 days
    out = io.StringIO()
    call_command("forget_token_uses", "--days", "30", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 uses of access tokens."
    assert token.uses.count() == 1


def test_a_retention_of_no_days_fails_loudly():
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, timeout=120,
                            env={**environment, "DEBUG": "1", "ACCESS_TOKEN_USE_DAYS": "0"},
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "ACCESS_TOKEN_USE_DAYS must be a whole number of days" in result.stderr


def test_a_session_change_needs_the_csrf_token(hr_north, north_appointment):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(hr_north)
    url = f"/api/v1/appointments/{north_appointment.pk}/end/"
    body = {"how": "end", "on": "2026-12-31", "reason": "r"}
    response = browser.post(url, body, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_an_administrator_revokes_a_token_in_the_admin(client, admin_user, leader):
    token, secret = make(leader)
    client.force_login(admin_user)
    response = client.post(reverse("admin:ccpl_accesstoken_changelist"),
                           {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == admin_user
    client.logout()
    assert client.get("/api/v1/systems/", **bearer(secret)).status_code == 401
