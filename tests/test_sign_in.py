"""Sign-in: invited accounts only, a second factor for staff roles, rate limits, sessions that
end, and nothing that tells a stranger whether an address has an account."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from ccpl.models import User
from ccpl.services import create_account

from .factories import UserFactory, totp_code, with_totp

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


class TestSignUp:
    def test_there_is_no_open_sign_up(self, client):
        response = client.post(reverse("account_signup"), {
            "email": "stranger@example.org", "password1": "a-Long-passw0rd!", "password2":
            "a-Long-passw0rd!"})
        assert not User.objects.filter(email="stranger@example.org").exists()
        assert response.status_code == 200
        assert "closed" in response.content.decode().lower()


class TestSignIn:
    def test_a_leader_signs_in_with_email_and_password(self, client, leader):
        response = sign_in(client, "LEADER@example.org")
        assert response.status_code == 302
        assert client.session.get("_auth_user_id") == str(leader.pk)

    def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(self, client, leader):
        wrong = sign_in(client, "leader@example.org", "not-the-password")
        unknown = sign_in(client, "nobody@example.org", "not-the-password")
        assert wrong.status_code == unknown.status_code == 200
        message = "The email address and/or password you specified are not correct."
        assert message in wrong.content.decode()
        assert message in unknown.content.decode()

    def test_failed_sign_ins_are_rate_limited(self, client, leader):
        for _ in range(5):
            sign_in(client, "leader@example.org", "wrong")
        response = sign_in(client, "leader@example.org")
        assert "_auth_user_id" not in client.session
        assert response.status_code in (200, 429)
        assert "Too many failed login attempts" in response.content.decode()

    def test_staff_sign_in_asks_for_the_authenticator_code(self, client, hr_north):
        response = sign_in(client, "hr.north@example.org")
        assert response.status_code == 302
        assert response.url == reverse("mfa_authenticate")
        assert "_auth_user_id" not in client.session
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
        assert response.status_code == 302
        assert client.session.get("_auth_user_id") == str(hr_north.pk)


class TestSecondFactor:
    def test_staff_without_an_authenticator_must_set_one_up(self, client, north):
        from ccpl import access

        from .factories import grant

        hr = grant(UserFactory(), access.EDIT, north)
        client.force_login(hr)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response.url == reverse("mfa_activate_totp")

    def test_a_leader_given_a_staff_role_while_signed_in_is_asked_at_the_next_request(
        self, client, leader, north, north_appointment
    ):
        """The second factor is checked on every request, not once per session."""
        from ccpl import access

        from .factories import grant

        assert sign_in(client, "leader@example.org").status_code == 302
        assert client.get(reverse("appointments:dashboard")).status_code == 200
        grant(leader, access.EDIT, north)
        for url in (reverse("appointments:dashboard"), reverse("appointments:post-list"),
                    reverse("appointments:appointment-list")):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url == reverse("mfa_activate_totp")
        response = client.post(reverse("appointments:appointment-end",
                                       args=[north_appointment.pk]), {})
        assert response.status_code == 302
        assert response.url == reverse("mfa_activate_totp")
        north_appointment.refresh_from_db()
        assert north_appointment.status == "active"

    def test_a_staff_session_without_the_code_must_enter_it(self, client, leader, north):
        """A leader with an authenticator app who signed in with their password only, then was
        made HR: they enter a code before anything else, and then carry on."""
        from ccpl import access

        from .factories import grant

        with_totp(leader)
        sign_in(client, "leader@example.org")  # asks for the code: not entered
        client.force_login(leader)
        session = client.session
        session["account_authentication_methods"] = [{"method": "password", "at": 1}]
        session.save()
        grant(leader, access.EDIT, north)
        response = client.get(reverse("appointments:post-list"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("mfa_reauthenticate"))
        response = client.post(reverse("mfa_reauthenticate"), {"code": totp_code()})
        assert response.status_code == 302
        assert client.get(reverse("appointments:post-list")).status_code == 200

    def test_a_leader_is_not_made_to(self, client, leader):
        from ccpl.access import needs_mfa

        assert not needs_mfa(leader)

    def test_an_administrator_is(self, admin_user):
        from ccpl.access import needs_mfa

        assert needs_mfa(admin_user)


class TestAdminSignIn:
    def test_the_admin_signs_in_through_allauth(self, client):
        response = client.get(reverse("admin:login"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))

    def test_the_admin_refuses_signed_in_non_staff(self, client, leader):
        client.force_login(leader)
        assert client.get(reverse("admin:login")).status_code == 403


class TestPasswordReset:
    def test_the_answer_is_the_same_whether_or_not_the_address_exists(self, client, leader):
        known = client.post(reverse("account_reset_password"), {"email": "leader@example.org"})
        unknown = client.post(reverse("account_reset_password"), {"email": "no@example.org"})
        assert known.status_code == unknown.status_code == 302
        assert known.url == unknown.url
        reset_mails = [m for m in mail.outbox if "leader@example.org" in m.to]
        assert len(reset_mails) == 1


class TestInvitation:
    def test_an_invited_user_chooses_a_password_and_signs_in(
        self, client, admin_user, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            user = create_account(email="New.Lead@Example.org", full_name="Robin Example",
                                  by=admin_user)
        assert not user.has_usable_password()
        (message,) = mail.outbox
        assert message.to == ["new.lead@example.org"]
        link = re.search(r"http://\S+/accounts/password/reset/key/\S+", message.body).group(0)
        path = link.split("8000", 1)[1]
        response = client.get(path)
        assert response.status_code == 302  # allauth moves the key into the session
        response = client.post(response.url, {"password1": "a-Long-passw0rd!",
                                               "password2": "a-Long-passw0rd!"})
        assert response.status_code == 302
        assert sign_in(client, "new.lead@example.org", "a-Long-passw0rd!").status_code == 302
        assert client.session.get("_auth_user_id") == str(user.pk)

    def test_an_address_that_already_has_an_account_is_refused(self, admin_user, leader):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError, match="already exists"):
            create_account(email="Leader@example.org", full_name="Again", by=admin_user)


class TestSessions:
    def test_idle_sessions_end(self, client, admin_user):
        client.force_login(admin_user)
        assert client.get(reverse("admin:index")).status_code == 200
        with time_machine.travel(datetime.timedelta(minutes=31)):
            response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))

    def test_sessions_end_after_ten_hours_however_busy(self, client, admin_user):
        client.force_login(admin_user)
        client.get(reverse("admin:index"))
        for step in range(1, 32):  # a request every 20 minutes for over 10 hours
            with time_machine.travel(datetime.timedelta(minutes=20 * step)):
                response = client.get(reverse("admin:index"))
        assert response.status_code == 302

    def test_a_deactivated_user_is_signed_out_at_their_next_request(self, client, admin_user):
        client.force_login(admin_user)
        assert client.get(reverse("admin:index")).status_code == 200
        User.objects.filter(pk=admin_user.pk).update(is_active=False)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session


class TestHeaders:
    def test_pages_carry_a_content_security_policy_and_security_headers(self, client):
        response = client.get(reverse("account_login"))
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"

    def test_cookies_are_http_only_and_same_site(self, client, leader):
        response = sign_in(client, "leader@example.org")
        cookie = response.cookies["sessionid"]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"


def test_with_totp_helper_enrols(admin_user):
    from ccpl.access import has_totp

    assert has_totp(admin_user)
    assert has_totp(with_totp(UserFactory()))
