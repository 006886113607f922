"""A rater's private link reaches that rater and nobody else (issue 11, item 1).

Every field a user writes that reaches an e-mail holds the link placeholder and other template
markers; then every kind of e-mail is made to go out — reminders from the sweep, the steps of a
360° cycle, an account invitation — and no e-mail but a rater's own invitation or chaser may carry
a rater link (``/r/<token>``), and that one only the link made for that rater. The markers arrive
as plain text: no user text is ever treated as a template."""

import datetime
import re
from contextlib import contextmanager
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisals import services
from appraisals.models import Rater
from ccpl import access
from ccpl.models import Notification
from ccpl.notifications import deliver, sweep
from ccpl.services import create_account
from roles.models import JobDescription

from .factories import (
    AppointmentFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    SystemFactory,
    UserFactory,
    grant,
)

pytestmark = pytest.mark.django_db
D = datetime.date
Kind = Notification.Kind
LINK = re.compile(r"/r/([\w-]+)")
RATER_KINDS = {Kind.RATER_INVITATION, Kind.RATER_CHASER}
MARKERS = ["[private-link]", "{{ private_link }}", "{private_link}", "%(x)s", "%s",
           "{appointment.person}", "{0}", "{% now 'Y' %}", "$private_link", "${private_link}",
           "[private-link] {{ private_link }} {private_link} %(x)s {appointment.person}"]
# Every user-written field that reaches an e-mail, by who writes it.
FIELDS = ["post_title", "director_post_title", "ended_post_title", "overdue_post_title",
          "leader_given", "leader_family", "director_given", "director_family", "ended_given",
          "ended_family", "overdue_given", "overdue_family", "leader_full_name",
          "appraiser_full_name", "hr_full_name", "digest_full_name", "cmo_full_name",
          "invited_full_name", "rater_name"]
# E-mails that say what the row is about; each must have gone out for the test to mean anything.
EXPECTED = {(Kind.TERM_ENDING, "term_ending"), (Kind.TERM_ENDED, "term_ended"),
            (Kind.APPRAISAL_DUE, "due@"), (Kind.APPRAISAL_OVERDUE, "overdue@"),
            (Kind.JD_REVIEW, "review@"), (Kind.WEEKLY_DIGEST, "week@"),
            (Kind.APPRAISAL_DUE, "opened-"), (Kind.APPRAISAL_DUE, "approve-"),
            (Kind.APPRAISAL_DUE, "closed-"), (Kind.APPRAISAL_DUE, "released-"),
            (Kind.RATER_INVITATION, "invitation"), (Kind.RATER_CHASER, "chase-")}


@contextmanager
def links_minted():
    """{token: rater id} for every private link made while the block runs."""
    minted = {}
    original = Rater.new_token

    def new_token(rater):
        token = original(rater)
        minted[token] = rater.pk
        return token

    with mock.patch.object(Rater, "new_token", new_token):
        yield minted


def assert_links_reach_only_their_raters(minted, *, no_other_link_text=True):
    """Every link made (``minted``) went to its own rater in their invitation or chaser, and
    nowhere else. Unless user text may itself spell ``/r/…``, no other ``/r/`` text either."""
    assert mail.outbox, "no e-mail went out"
    for message in mail.outbox:
        parts = [message.subject, message.body, *(c for c, _ in message.alternatives)]
        found = {token for part in parts for token in LINK.findall(part)}
        live = found & minted.keys()
        pk = message.extra_headers.get("X-CCPL-Notification")
        row = Notification.objects.get(pk=pk) if pk else None
        if row and row.object_type == "appraisals.rater" and row.kind in RATER_KINDS:
            rater = Rater.objects.get(pk=row.object_id)
            assert message.to == [rater.email]
            assert [minted[token] for token in live] == [rater.pk], \
                "a rater's e-mail lacks their link or carries another rater's"
        else:
            assert live == set(), f"{message.subject!r} to {message.to} carries a rater link"
        if no_other_link_text:
            assert found == live


def assert_every_kind_went_out():
    sent = set(Notification.objects.filter(status=Notification.Status.SENT)
               .values_list("kind", "milestone"))
    for kind, milestone in EXPECTED:
        assert any(k == kind and (m.startswith(milestone) or kind == milestone)
                   for k, m in sent), f"no {kind} {milestone} e-mail went out"


def build_register(text):
    """A small register whose user-written fields all hold ``text[field]``: a leader ending in
    March 2027 with an appraisal due and a job description to review, responsible to a director
    (their appraiser); a term that ended last week with no decision; an appraisal overdue; HR,
    a CMO office and an HR user who chose the weekly summary."""
    north = SystemFactory()
    trust = OrganisationFactory(systems=[north])
    hr = grant(UserFactory(full_name=text["hr_full_name"]), access.EDIT, trust)
    grant(UserFactory(full_name=text["digest_full_name"], weekly_digest=True), access.EDIT,
          trust)
    grant(UserFactory(full_name=text["cmo_full_name"]), access.APPROVE, north)
    appraiser = UserFactory(full_name=text["appraiser_full_name"])
    director_post = PostFactory(host_organisation=trust, title=text["director_post_title"])
    AppointmentFactory(post=director_post, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31),
                       person=PersonFactory(user=appraiser, given_name=text["director_given"],
                                            family_name=text["director_family"]))
    post = PostFactory(host_organisation=trust, title=text["post_title"],
                       responsible_to=director_post)
    leader = UserFactory(full_name=text["leader_full_name"])
    appointment = AppointmentFactory(
        post=post, start_date=D(2023, 12, 10), end_date=D(2027, 3, 31),
        person=PersonFactory(user=leader, given_name=text["leader_given"],
                             family_name=text["leader_family"]))
    AppointmentFactory(post=PostFactory(host_organisation=trust, title=text["ended_post_title"]),
                       start_date=D(2023, 11, 21), end_date=D(2026, 11, 20),
                       person=PersonFactory(given_name=text["ended_given"],
                                            family_name=text["ended_family"]))
    AppointmentFactory(post=PostFactory(host_organisation=trust,
                                        title=text["overdue_post_title"]),
                       start_date=D(2023, 11, 1), end_date=D(2027, 10, 31),
                       person=PersonFactory(given_name=text["overdue_given"],
                                            family_name=text["overdue_family"]))
    JobDescription.objects.create(post=post, summary="s", reviewed_on=D(2025, 12, 10))
    return appointment, hr, appraiser


def send_every_kind_of_email(text, capture):
    """Every e-mail the register sends, each about objects whose text is ``text``."""
    appointment, hr, appraiser = build_register(text)
    leader = appointment.person.user
    with capture(execute=True):
        create_account(email="new.lead@example.org", full_name=text["invited_full_name"], by=hr)
    with capture(execute=True):
        cycle = services.open_cycle(appointment=appointment, by=hr)
    for n, group in enumerate(["manager"] + ["peer", "team", "partner"] * 3):
        services.nominate(cycle=cycle, group=group, name=f"{text['rater_name']} {n}",
                          email=f"rater{n}@nhs.example", by=leader)
    with capture(execute=True):
        services.submit_nominations(cycle=cycle, by=leader)
    with capture(execute=True):
        services.approve_nominations(cycle=cycle, by=appraiser)
    for day in (D(2026, 11, 23), D(2026, 11, 30)):  # two Mondays: reminders, then chasers
        with time_machine.travel(datetime.datetime.combine(day, datetime.time(6, 30)),
                                 tick=False), capture(execute=True):
            sweep(today=day)
    with capture(execute=True):
        services.close_cycle(cycle=cycle, by=appraiser)
    with capture(execute=True):
        services.release_report(cycle=cycle, by=appraiser)
    return cycle


@pytest.mark.parametrize("marker", MARKERS)
def test_no_email_but_a_raters_own_carries_a_rater_link(marker,
                                                        django_capture_on_commit_callbacks):
    text = {name: f"{name.replace('_', ' ').title()} {marker}" for name in FIELDS}
    with links_minted() as minted:
        send_every_kind_of_email(text, django_capture_on_commit_callbacks)
    assert_links_reach_only_their_raters(minted)
    assert_every_kind_went_out()


@pytest.mark.parametrize("marker", MARKERS)
def test_markers_in_user_text_arrive_as_plain_text(marker, django_capture_on_commit_callbacks):
    text = {name: f"{name.replace('_', ' ').title()} {marker}" for name in FIELDS}
    send_every_kind_of_email(text, django_capture_on_commit_callbacks)
    about_the_leader = [m for m in mail.outbox
                        if m.subject.startswith(("Term ending", "Annual appraisal due"))]
    assert about_the_leader
    for message in about_the_leader:
        assert text["leader_given"] in message.subject  # (the subject is cut at 200)
        assert text["post_title"] in message.body
        assert f"{text['leader_given']} {text['leader_family']}" in message.body
    opened = next(m for m in mail.outbox if m.subject.startswith("Your 360° appraisal has"))
    assert text["appraiser_full_name"] in opened.body
    invitations = [m for m in mail.outbox if m.subject.startswith("Please give feedback")]
    assert len(invitations) == 10
    assert all(text["rater_name"] in m.body for m in invitations)


hostile = st.builds(
    lambda before, marker, after: f"{before}{marker}{after}",
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
    | st.sampled_from(["\n", "\r\n", "\t", " "]),
    st.sampled_from(MARKERS) | st.text(alphabet="[]{}%()$<>/r-_ private link", min_size=1,
                                       max_size=24),
    # Any character a form accepts: forms refuse NUL (and PostgreSQL cannot store it).
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
            max_size=12),
)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.fixed_dictionaries(dict.fromkeys(FIELDS, hostile)))
def test_any_user_text_leaves_rater_links_with_their_raters(text,
                                                           django_capture_on_commit_callbacks):
    with transaction.atomic():
        mail.outbox.clear()
        cache.clear()
        with links_minted() as minted:
            send_every_kind_of_email(text, django_capture_on_commit_callbacks)
        assert_links_reach_only_their_raters(minted, no_other_link_text=False)
        assert_every_kind_went_out()
        transaction.set_rollback(True)


def test_a_cycle_numbered_like_an_invited_rater_gets_no_link(people_and_raters,
                                                             django_capture_on_commit_callbacks):
    """The original attack: HR puts the placeholder in a post title, then opens cycles until one
    has the id of an invited rater. The "cycle opened" e-mail must not carry that rater's link,
    and the rater's own link must keep working."""
    links, north_trust, hr, appraiser = people_and_raters
    post = PostFactory(host_organisation=north_trust,
                       title="Lead [private-link] {{ private_link }}")
    leader = UserFactory(email="second.leader@example.org")
    appointment = AppointmentFactory(post=post, person=PersonFactory(user=leader),
                                     start_date=D(2024, 4, 1), end_date=D(2027, 3, 31))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cycle = services.open_cycle(appointment=appointment, by=hr, appraiser=appraiser)
    # Make sure an invited rater has the new cycle's id (it usually has one already).
    rater = Rater.objects.filter(pk=cycle.pk).first()
    if rater is None:
        first = Rater.objects.get(email="rater0@nhs.example")
        rater = Rater.objects.create(pk=cycle.pk, cycle=first.cycle, group="peer",
                                     name="Extra rater", email="extra.rater@nhs.example",
                                     status=Rater.Status.INVITED, invited_at=first.invited_at)
        links[rater.email] = None
    assert rater.status == Rater.Status.INVITED and rater.cycle.is_open_to_raters
    token_hash = rater.token_hash
    with links_minted() as minted:
        for callback in callbacks:
            callback()
    [opened] = mail.outbox
    assert opened.to == ["second.leader@example.org"]
    assert "[private-link] {{ private_link }}" in opened.body
    assert not LINK.search(opened.body + opened.alternatives[0][0])
    assert minted == {}
    rater.refresh_from_db()
    assert rater.token_hash == token_hash  # the rater's own link still works
    if links[rater.email]:
        assert services.rater_for_token(links[rater.email]) == rater


@pytest.fixture
def people_and_raters(north_trust, hr_north, django_capture_on_commit_callbacks):
    """An open 360° cycle whose ten raters have been invited; returns their links by e-mail."""
    appraiser = UserFactory(email="appraiser@example.org")
    director_post = PostFactory(host_organisation=north_trust)
    AppointmentFactory(post=director_post, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31),
                       person=PersonFactory(user=appraiser))
    leader = UserFactory(email="first.leader@example.org")
    appointment = AppointmentFactory(
        post=PostFactory(host_organisation=north_trust, responsible_to=director_post),
        person=PersonFactory(user=leader), start_date=D(2024, 4, 1), end_date=D(2027, 3, 31))
    with django_capture_on_commit_callbacks(execute=True):
        cycle = services.open_cycle(appointment=appointment, by=hr_north)
    for n, group in enumerate(["manager"] + ["peer", "team", "partner"] * 3):
        services.nominate(cycle=cycle, group=group, name=f"Rater {n}",
                          email=f"rater{n}@nhs.example", by=leader)
    services.submit_nominations(cycle=cycle, by=leader)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_nominations(cycle=cycle, by=appraiser)
    links = {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}
    assert len(links) == 10
    return links, north_trust, hr_north, appraiser


def test_a_row_about_a_rater_of_another_kind_is_sent_as_stored(people_and_raters):
    """The link is bound to the rater kinds: any other row about a rater gets none."""
    links, *_ = people_and_raters
    rater = Rater.objects.get(email="rater3@nhs.example")
    row = Notification.objects.create(
        kind=Kind.APPRAISAL_DUE, milestone="x", object_type="appraisals.rater",
        object_id=rater.pk, recipient_email="someone@example.org", subject="s",
        body_text="Here: [private-link] {{ private_link }}")
    mail.outbox.clear()
    assert deliver(row.pk) == "sent"
    assert mail.outbox[0].body == "Here: [private-link] {{ private_link }}"
    assert services.rater_for_token(links["rater3@nhs.example"]) == rater
