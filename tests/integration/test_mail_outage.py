"""A mail server that does not answer never fails what the user did (issue 11, item 8).

The embedded default: no broker, so tasks run in the web process (eagerly), and the SMTP server
is down (a real closed port, not a mock). Opening a 360° cycle, approving its raters and loading
the demo all succeed; what they made due waits in the ledger, unsent. When the mail server is
back, the next sweep sends each e-mail once — a rater's invitation with a link that works."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from appraisals import services
from appraisals.models import Rater
from ccpl import celery_app
from ccpl.models import Notification, User
from ccpl.notifications import sweep

from ..factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory
from .smtp import Sink, free_port

pytestmark = pytest.mark.django_db
LINK = re.compile(r"/r/([\w-]+)/")


@pytest.fixture
def mail_server_down(settings):
    """Real SMTP to a local port where nothing listens; tasks in process, errors propagating
    (as on the embedded default). Returns the port, for a server to be started there later."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    yield port
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def appraisal(north_trust, hr_north):
    """A leader and their appraiser (the holder of the post the leader's is responsible to)."""
    appraiser = UserFactory(email="appraiser@example.org")
    director_post = PostFactory(host_organisation=north_trust)
    AppointmentFactory(post=director_post, start_date="2024-01-01", end_date="2028-12-31",
                       person=PersonFactory(user=appraiser))
    leader = UserFactory(email="leader@example.org")
    appointment = AppointmentFactory(
        post=PostFactory(host_organisation=north_trust, responsible_to=director_post),
        person=PersonFactory(user=leader), start_date="2024-04-01", end_date="2027-03-31")
    return appointment, leader, appraiser


def test_a_cycle_opens_and_invites_with_the_mail_server_down_and_sends_when_it_is_back(
    mail_server_down, appraisal, hr_north, django_capture_on_commit_callbacks
):
    appointment, leader, appraiser = appraisal
    with django_capture_on_commit_callbacks(execute=True):
        cycle = services.open_cycle(appointment=appointment, by=hr_north)
    for n, group in enumerate(["manager"] + ["peer", "team", "partner"] * 3):
        services.nominate(cycle=cycle, group=group, name=f"Rater {n}",
                          email=f"rater{n}@nhs.example", by=leader)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_nominations(cycle=cycle, by=leader)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_nominations(cycle=cycle, by=appraiser)

    waiting = Notification.objects.all()
    assert waiting.count() == 12  # opened, approve the raters, ten invitations
    assert set(waiting.values_list("status", "attempts")) == {("retrying", 1)}
    assert "ConnectionRefusedError" in waiting.first().last_error
    assert Rater.objects.filter(cycle=cycle, status=Rater.Status.INVITED).count() == 10

    with Sink(port=mail_server_down) as sink, django_capture_on_commit_callbacks(execute=True):
        sweep()
    assert set(waiting.values_list("status", flat=True)) == {"sent"}
    for n in range(10):
        assert sink.count(f"rater{n}@nhs.example") == 1
    assert sink.count("leader@example.org") >= 1
    assert sink.count("appraiser@example.org") == 1
    invitation = next(m for m in sink.received if m["To"] == "rater4@nhs.example")
    token = LINK.search(invitation.get_body(("plain",)).get_content()).group(1)
    assert services.rater_for_token(token) == Rater.objects.get(email="rater4@nhs.example")

    before = len(sink.messages)
    with Sink(port=mail_server_down) as sink, django_capture_on_commit_callbacks(execute=True):
        sweep()
    assert sink.messages == [] and before


def test_the_demo_loads_with_the_mail_server_down(mail_server_down, settings,
                                                  django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    unsent = Notification.objects.unsent()
    assert unsent.exists()
    assert set(unsent.values_list("status", flat=True)) == {"retrying"}
    assert not Notification.objects.filter(status="sent").exists()
    assert mail.outbox == []


def test_inviting_a_user_with_the_mail_server_down_succeeds_and_the_link_goes_when_it_is_back(
    mail_server_down, client, hr_north, north_trust, django_capture_on_commit_callbacks
):
    """The invitation was sent straight from the request: an outage answered 500 after the
    account was made. Now the page says it is done, and the set-password link is made when the
    e-mail finally goes."""
    client.force_login(hr_north)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("appointments:invite"), {
            "email": "new.hr@nhs.example", "full_name": "Robin Example", "kind": "hr",
            "organisation": north_trust.pk})
    assert response.status_code == 302
    user = User.objects.get(email="new.hr@nhs.example")
    (row,) = Notification.objects.filter(kind=Notification.Kind.ACCOUNT_INVITATION)
    assert (row.recipient, row.status) == (user, "retrying")
    assert "/accounts/password/reset/key/" not in row.body_text  # no usable link is stored

    with Sink(port=mail_server_down) as sink, django_capture_on_commit_callbacks(execute=True):
        sweep()
    (message,) = [m for m in sink.received if m["To"] == "new.hr@nhs.example"]
    body = message.get_body(("plain",)).get_content()
    assert "/accounts/password/reset/key/" in body
    assert hr_north.full_name in body
