"""A whole 360° cycle in a real browser: HR opens it, the leader assesses themself and nominates,
the appraiser approves, five raters answer by private link, the appraiser closes and releases
the report, the leader reads it and its PDF, both sign off. Keyboard only, axe-core clean."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core import mail
from pypdf import PdfReader

from appraisals.models import Cycle, Statement
from ccpl import access

from ..factories import (
    AppointmentFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    SystemFactory,
    UserFactory,
    grant,
    totp_code,
    with_totp,
)
from .conftest import Journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
D = datetime.date
RATERS = [("manager", "Mo Manager"), ("peer", "Pat Peer"), ("peer", "Pip Peer"),
          ("team", "Tam Team"), ("partner", "Pem Partner")]


def sign_in(journey, email, mfa=False):
    page = journey.page
    journey.open("/accounts/login/")
    journey.type_into(page.locator("#id_login"), email)
    journey.type_into(page.locator("#id_password"), PASSWORD)
    journey.submit(page.get_by_role("button", name="Sign in"))
    if mfa:
        journey.type_into(page.locator("#id_code"), totp_code())
        journey.submit(page.get_by_role("button", name="Sign In"))


def sign_out(journey):
    journey.submit(journey.page.get_by_role("button", name="Sign out"))


def answer_everything(journey, cycle, steps):
    """Tab to each statement's first option and move along the scale with the arrow keys."""
    for statement in Statement.objects.filter(dimension__version=cycle.template_version):
        journey.choose(f"id_s{statement.pk}", steps)


def test_a_whole_cycle(journey, browser, live_server):
    system = SystemFactory(short_name="NORTH")
    trust = OrganisationFactory(name="North Acute Trust", systems=[system])
    hr = with_totp(grant(UserFactory(email="hr.360@example.org"), access.EDIT, system))
    director = UserFactory(email="appraiser.360@example.org", full_name="Dana Director")
    director_post = PostFactory(host_organisation=trust, system=system, title="Clinical Director")
    AppointmentFactory(post=director_post, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31),
                       person=PersonFactory(user=director, work_email="dana@nhs.example"))
    leader = UserFactory(email="leader.360@example.org", full_name="Lee Leader")
    appointment = AppointmentFactory(
        post=PostFactory(host_organisation=trust, system=system, responsible_to=director_post,
                         title="Clinical Lead for Stroke"),
        person=PersonFactory(user=leader, given_name="Lee", family_name="Leader",
                             work_email="lee@nhs.example"),
        start_date=D(2024, 4, 1), end_date=D(2027, 3, 31))
    page = journey.page

    # HR opens the cycle from the appointment page.
    sign_in(journey, hr.email, mfa=True)
    journey.open(appointment.get_absolute_url())
    journey.submit(page.get_by_role("link", name="Start a 360° appraisal"))
    journey.submit(page.get_by_role("button", name="Start the appraisal"))
    assert page.get_by_text("The 360° appraisal has started").is_visible(), page.content()[:3000]
    cycle = Cycle.objects.get()
    assert cycle.appraiser == director
    # An administrator set this cycle's minimums to one per group, five in all.
    Cycle.objects.filter(pk=cycle.pk).update(min_peer=1, min_team=1, min_partner=1,
                                             min_total=5)
    sign_out(journey)

    # The leader assesses themself and nominates five raters.
    sign_in(journey, leader.email)
    journey.open(cycle.get_absolute_url())
    journey.submit(page.get_by_role("link", name="Complete your self-assessment"))
    answer_everything(journey, cycle, steps=3)  # Exemplary throughout
    journey.type_into(page.locator("#id_keep_doing"), "Bringing partners together")
    journey.submit(page.get_by_role("button", name="Submit", exact=True))
    groups = ["manager", "peer", "team", "partner"]
    for n, (group, name) in enumerate(RATERS):
        journey.choose("id_group", groups.index(group))
        journey.type_into(page.locator("#id_name"), name)
        journey.type_into(page.locator("#id_email"), f"rater{n}@nhs.example")
        journey.submit(page.get_by_role("button", name="Add the rater"))
    journey.submit(page.get_by_role("button", name="Send my nominations to my appraiser"))
    sign_out(journey)

    # The appraiser approves: each rater gets an e-mail with a private link.
    mail.outbox.clear()
    sign_in(journey, director.email)
    journey.open(cycle.get_absolute_url())
    journey.submit(page.get_by_role("button",
                                    name="Approve the raters and send the invitations"))
    links = {m.to[0]: re.search(r"(/r/[\w-]+/)", m.body).group(1) for m in mail.outbox
             if "/r/" in m.body}
    assert len(links) == 5

    # Five raters answer, each in their own browser with no account.
    for n, (email, path) in enumerate(sorted(links.items())):
        context = browser.new_context()
        rater_page = context.new_page()
        rater = Journey(rater_page, live_server.url)
        rater.open(path)
        answer_everything(rater, cycle, steps=1)  # Proficient throughout
        rater.type_into(rater_page.locator("#id_keep_doing"), f"Comment number {n}")
        rater.submit(rater_page.get_by_role("button", name="Submit my feedback"))
        assert rater_page.get_by_text("Thank you for your feedback").is_visible()
        context.close()
        rater.assert_clean()

    # The appraiser closes, reads and releases the report.
    journey.open(cycle.get_absolute_url())
    journey.submit(page.get_by_role("button", name="Close the appraisal now"))
    journey.submit(page.get_by_role("link", name="Read the 360° report"))
    assert page.get_by_text("Line manager (not anonymous) (1)").is_visible()
    assert page.get_by_text("Other raters (4)").is_visible()
    journey.open(cycle.get_absolute_url())
    journey.submit(page.get_by_role("button", name="Release the report to Lee Leader"))
    sign_out(journey)

    # The leader reads the report and its PDF: the same figures.
    sign_in(journey, leader.email)
    journey.open(cycle.get_absolute_url())
    journey.submit(page.get_by_role("link", name="Read the 360° report"))
    body = page.locator("main").inner_text()
    assert "you rated yourself 4, your raters 2" in body
    with page.expect_download() as download:
        journey.press(page.get_by_role("link", name="Download as a PDF"))
    pdf_text = " ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(Path(download.value.path()).read_bytes())).pages)
    assert "you rated yourself 4, your raters 2" in pdf_text.replace("\n", " ")
    assert "Other raters (4)" in pdf_text
    sign_out(journey)

    # The appraiser records the outcome; both sign off.
    sign_in(journey, director.email)
    journey.open(cycle.get_absolute_url())
    for part, value in (("day", 20), ("month", 11), ("year", 2026)):
        journey.type_into(page.locator(f"#id_meeting_on_{part}"), value)
    journey.choose("id_outcome", 0)
    journey.type_into(page.locator("#id_objectives"), "Lead the stroke network review")
    journey.submit(page.get_by_role("button", name="Record the outcome"))
    journey.submit(page.get_by_role("button", name="Sign off the appraisal"))
    sign_out(journey)
    sign_in(journey, leader.email)
    journey.open(cycle.get_absolute_url())
    journey.submit(page.get_by_role("button", name="Sign off the appraisal"))
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.outcome) == ("signed_off", "satisfactory")
