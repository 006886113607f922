"""The demo register: the five worlds with their key figures, loaded once however often it runs,
with fictional people only."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from appointments.models import (
    Appointment,
    ApprovalRequest,
    ApprovalRoute,
    Extension,
    HonoraryContract,
    Person,
)
from appraisals.models import Cycle, Rater
from ccpl.models import Notification, User
from governance import investment, plan
from governance.models import Action, Body, Framework, Seat
from roles.models import EstablishmentBudget, Post, System
from surveys import results
from surveys.models import Survey

from .factories import NOW
from .test_navigation import links

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(scope="module")
def _loaded_once(django_db_setup, django_db_blocker):
    """The demo takes seconds to load: load it once for the module, in a transaction that is
    rolled back when the module ends. Each test runs in a savepoint inside it (as a TestCase
    test does), so what a test changes is gone before the next."""
    outer = transaction.atomic()
    outer._from_testcase = True  # not a transaction of the code under test (see conftest)
    with django_db_blocker.unblock(), \
            time_machine.travel(NOW, tick=True), \
            override_settings(DEBUG=True), outer:
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(_loaded_once, settings):
    settings.DEBUG = True


def _counts():
    models = [m for m in apps.get_models() if m._meta.app_label in
              {"roles", "appointments", "appraisals", "governance", "surveys", "ccpl",
               "guardian"}]
    return {m._meta.label: m.objects.count() for m in models}


def test_the_five_worlds_are_loaded(demo):
    assert set(System.objects.values_list("short_name", flat=True)) == {
        "KHP", "NCL", "GLOS", "SEL", "HW"}


def test_cag_posts_share_a_20000_pool_at_0_3_wte(demo):
    cags = Post.objects.filter(system__short_name="KHP", title__startswith="CAG Leader")
    assert cags.count() == 8
    assert set(cags.values_list("wte", "honorarium", "honorarium_is_pool")) == {
        (Decimal("0.30"), Decimal("20000.00"), True)}
    shared = [c for c in cags if c.appointments.count() == 2]
    assert shared
    for post in shared:
        shares = post.appointments.values_list("honorarium_share", flat=True)
        assert sum(shares) == Decimal("20000.00")


def test_the_london_extension_waves(demo):
    legacy = Appointment.objects.filter(post__title__endswith="(previous model)")
    assert legacy.count() == 10
    first_wave = Extension.objects.filter(appointment__in=legacy, number=1)
    assert set(first_wave.values_list("new_end_date", flat=True)) == {D(2022, 10, 31)}
    assert first_wave.count() == 10
    # Their terms ended long ago: the register says so (term end is a state).
    assert set(legacy.filter(status="term_ended").values_list("end_date", flat=True)) == {
        D(2022, 12, 31), D(2023, 3, 31)}
    ceased = legacy.filter(status="ceased")
    assert ceased.count() == 4
    assert set(ceased.values_list("end_date", flat=True)) == {D(2022, 10, 31)}


def test_the_london_envelopes_are_the_seeds(demo):
    """Seed 001: deputy medical directors 2 WTE; clinical and care directors 2 WTE across five
    roles (one for each borough, 0.4 each: the envelope used exactly, not over); clinical leads
    5 WTE. The medicines and digital directors have no envelope in the seed, nor here."""
    budgets = {b.name: b for b in EstablishmentBudget.objects.filter(system__short_name="NCL")}
    deputies = budgets["Deputy Medical Directors"].allocation()
    assert (deputies.envelope, deputies.established) == (Decimal("2.00"), Decimal("2.00"))
    directors = budgets["Clinical and Care Directors"]
    allocation = directors.allocation()
    assert (allocation.envelope, allocation.established, allocation.allocated) == (
        Decimal("2.00"), Decimal("2.00"), Decimal("2.00"))
    assert not allocation.is_over and allocation.remaining == 0
    assert sorted(directors.posts.values_list("title", flat=True)) == [
        f"Clinical and Care Director — {borough} place" for borough in
        ["Barnet", "Camden", "Enfield", "Haringey", "Islington"]]
    assert set(directors.posts.values_list("wte", flat=True)) == {Decimal("0.40")}
    across = Post.objects.filter(system__short_name="NCL", budget=None,
                                 title__startswith="Clinical and Care Director")
    assert sorted(across.values_list("title", flat=True)) == [
        "Clinical and Care Director — Digital", "Clinical and Care Director — Medicines"]
    leads = budgets["Clinical Leads"].allocation()
    assert leads.envelope == Decimal("5.00") and not leads.is_over
    assert not any(budget.allocation().is_over for budget in budgets.values())


def test_ncl_investment_by_function_records_a_function_for_every_post(demo, client):
    """The directors of integration once showed under "No function recorded"."""
    ncl = System.objects.get(short_name="NCL")
    integration = Post.objects.filter(system=ncl, title__startswith="Director of Integration")
    assert all(post.functions.exists() for post in integration)
    client.force_login(User.objects.get(email="cmo@example.org"))
    page = client.get(reverse("governance:investment"), {"system": ncl.pk}).content.decode()
    assert "Care pathway transformation and innovation" in page
    assert investment.NO_FUNCTION not in page


def test_place_directors_are_also_accountable_to_their_boroughs_director_of_integration(
        demo, client):
    directors = Post.objects.filter(system__short_name="NCL",
                                    title__startswith="Clinical and Care Director",
                                    title__endswith=" place")
    assert directors.count() == 5
    for director in directors:
        borough = director.title.removeprefix("Clinical and Care Director — ").removesuffix(
            " place")
        assert director.responsible_to.title == "Chief Medical Officer"
        assert [p.title for p in director.also_accountable_to.all()] == [
            f"Director of Integration — {borough}"]
    integration = Post.objects.filter(title__startswith="Director of Integration")
    assert integration.count() == 5 and not integration.filter(is_published=True).exists()
    assert not Post.objects.vacant().filter(pk__in=integration).exists()
    client.force_login(User.objects.get(email="hr@example.org"))
    page = client.get(directors.get(title__contains="Camden").get_absolute_url())
    assert "Also accountable to" in page.content.decode()
    assert "Director of Integration — Camden" in page.content.decode()


def test_most_of_the_plan_is_owned_jointly_as_in_the_seed(demo, client):
    """Seed 002: "CMO / CNO" owns ten actions jointly; the directors of people own 2.3 with the
    CMO and CNO."""
    framework = Framework.objects.get(system__short_name="GLOS")
    actions = {a.reference: a for a in Action.objects.filter(priority__framework=framework)
               .prefetch_related("owner_posts", "owner_bodies")}
    joint = sorted(ref for ref, a in actions.items()
                   if a.owner_names == "Chief Medical Officer and Chief Nursing Officer")
    assert joint == ["1.1", "1.2", "1.3", "2.1", "2.4", "3.1", "3.3", "4.3", "5.2", "5.4"]
    assert actions["2.3"].owner_names == ("Chief Medical Officer, Chief Nursing Officer and "
                                          "Directors of People")
    assert actions["5.1"].owner_names == "ICS Strategic Executive"
    assert all(a.owners for a in actions.values())
    client.force_login(User.objects.get(email="admin@example.org"))
    export = client.get(reverse("governance:action-plan", args=[framework.pk]),
                        {"export": "csv"}).content.decode("utf-8-sig")
    assert "Chief Medical Officer and Chief Nursing Officer" in export


def test_the_trust_cmo_holds_a_voting_seat_on_the_board(demo, client):
    """Seed 004: an executive, voting member of the trust's board of directors."""
    cmo = Post.objects.get(system__short_name="HW", title="Chief Medical Officer")
    board = Body.objects.get(system__short_name="HW", kind="board")
    seat = Seat.objects.get(body=board, post=cmo)
    assert seat.voting and seat.role == "member"
    client.force_login(User.objects.get(email="admin@example.org"))
    assert ">Voting<" in client.get(board.get_absolute_url()).content.decode()
    holder = Appointment.objects.in_force().get(post=cmo).person
    person_page = client.get(holder.get_absolute_url()).content.decode()
    assert f"{board.name}</a> — member (voting), as Chief Medical Officer" in person_page


def test_chief_officers_have_declared_interests_and_some_are_published(demo, client):
    """Seeds 003 and 004: the chief officers' returns, with their history; only what they
    agreed to publish reaches the public register of interests."""
    sel_cmo = Appointment.objects.in_force().get(post__system__short_name="SEL",
                                                 post__title="Chief Medical Officer").person
    assert sel_cmo.declaration_returns.count() == 2
    page = client.get(reverse("governance:register-interests", args=["SEL"])).content.decode()
    assert "royal college" in page and "Riverside Hospice" not in page
    client.force_login(User.objects.get(email="admin@example.org"))
    hw_board = Body.objects.get(system__short_name="HW", kind="board")
    interests = reverse("governance:body-interests", args=[hw_board.pk])
    assert "Meridian Medical Supplies" in client.get(interests).content.decode()


def test_the_trust_board_has_met_twice_and_once_without_a_quorum(demo, client):
    board = Body.objects.get(system__short_name="HW", kind="board")
    assert board.meetings.count() == 2
    assert board.seats.filter(post__isnull=True, voting=True).count() == 3
    client.force_login(User.objects.get(email="admin@example.org"))
    page = client.get(board.get_absolute_url()).content.decode()
    assert page.count(">Quorate<") == 1
    assert "Not quorate: needs 1 more voting member and 1 more clinician" in page


def test_terms_end_soon_and_posts_stand_vacant(demo):
    for days in (30, 90, 180):
        assert Appointment.objects.ending_within(days).exists()
    assert Post.objects.vacant().exists()
    overdue = Appointment.objects.lapsed(D(2026, 11, 23), within_days=60)
    assert overdue.exists()
    assert not Appointment.objects.due_to_end(D(2026, 11, 23)).exists()


def test_the_trust_cmo_holds_a_permanent_post_still_reviewed_every_year(demo):
    """Seed 004: the CMO is a permanent executive director, with no end date; nothing says the
    term is ending, and the annual appraisal still falls on the anniversary of the start."""
    cmo = Appointment.objects.get(post__system__short_name="HW",
                                  post__title="Chief Medical Officer")
    assert cmo.contract_type == "permanent" and cmo.end_date is None
    assert cmo.is_in_force() and cmo.status_tag == ("Active", "green")
    assert not Appointment.objects.ending_within(3650).filter(pk=cmo.pk).exists()
    assert set(Appointment.objects.filter(post__system__short_name="NCL",
                                          post__title__startswith="Chief ")
               .exclude(contract_type="cover").values_list("contract_type", flat=True)) == {
        "permanent"}


def test_a_chief_nurse_on_leave_is_covered_by_an_acting_chief_nurse(demo):
    cover = Appointment.objects.get(contract_type="cover")
    covered = cover.covers
    assert covered.post == cover.post and not cover.post.job_share_allowed
    assert covered.is_in_force() and cover.is_in_force()
    assert covered.start_date <= cover.start_date and cover.end_date
    assert set(Appointment.objects.in_force().filter(post=cover.post)) == {cover, covered}


def test_khp_leaders_hold_honorary_status_and_academics_nhs_honorary_contracts(demo):
    """Seed 000: the partnership employs nobody. Every CAG leader holds its honorary status;
    each university co-lead holds an NHS honorary contract with the trust hosting their CAG."""
    leaders = Person.objects.filter(appointments__post__title__startswith="CAG Leader")
    khp = System.objects.get(short_name="KHP")
    assert leaders.count() == 12
    for person in leaders:
        assert person.honorary_contracts.filter(partnership=khp).exists(), person
    academics = leaders.filter(substantive_employer__name="King's College London")
    assert academics.exists()
    for person in academics:
        host = person.appointments.get().post.host_organisation
        assert person.honorary_contracts.filter(organisation=host).exists(), person
    counts = {name: n for name, n, _ in
              HonoraryContract.objects.in_force().counts_by_partner()}
    assert counts["King's Health Partners"] == 12
    assert sum(n for name, n in counts.items() if name != "King's Health Partners") == \
        academics.count() + 1  # and the executive director, employed by the university


def test_running_it_twice_changes_nothing(demo):
    before = _counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == before


def test_every_change_has_history_with_the_loader(demo):
    appointment = Appointment.objects.filter(extensions__isnull=False).first()
    assert appointment.history.count() >= 2
    assert appointment.history.first().history_user.email == "demo.loader@example.org"


def test_demo_people_use_example_addresses_only(demo):
    emails = list(Person.objects.values_list("work_email", flat=True)) + list(
        User.objects.values_list("email", flat=True))
    assert emails
    assert all(e.endswith(("@nhs.example", "@example.org")) for e in emails if e)


def test_one_account_per_kind_of_user(demo):
    assert set(User.objects.filter(is_active=True).values_list("email", flat=True)) == {
        "admin@example.org", "hr@example.org", "cmo@example.org", "cno@example.org",
        "leader@example.org", "appraiser@example.org", "chair@example.org"}
    leader = User.objects.get(email="leader@example.org")
    assert leader.person.appointments.exists()


def test_the_demo_reproduces_the_twenty_action_plan(demo):
    framework = Framework.objects.get(system__short_name="GLOS")
    rows, total = plan.summary(framework)
    assert [row.counts for row in rows] == [[2, 3, 0], [1, 1, 2], [0, 3, 0], [0, 3, 1],
                                            [0, 2, 2]]
    assert total.counts == [3, 12, 5] and total.total == 20
    sel = Body.objects.get(system__short_name="SEL",
                           name="Clinical and Care Professional Leadership Group")
    assert sel.seats.filter(role="co_chair").count() == 2


def test_the_demo_leader_reads_last_years_report_beside_this_years_appraisal(demo, client):
    leader = User.objects.get(email="leader@example.org")
    last_year, this_year = Cycle.objects.filter(
        appointment__person__user=leader).order_by("opened_on")
    assert this_year.is_in_progress and this_year.opened_on == D(2026, 11, 23)
    assert last_year.stage == Cycle.Stage.SIGNED_OFF
    assert last_year.outcome == Cycle.Outcome.SATISFACTORY
    assert last_year.opened_on == D(2025, 11, 23) and last_year.closes_on == D(2026, 1, 4)
    assert last_year.appraiser == this_year.appraiser
    # Its history tells when each step happened and who took it, in order, all last year or
    # early this year; and nobody is e-mailed today about it (nor was, whatever the ledger).
    history = list(last_year.history.order_by("history_date", "history_id"))
    days = [h.history_date.date() for h in history]
    assert days == sorted(days) and days[0] == D(2025, 11, 23) and days[-1] < D(2026, 3, 1)
    assert [h.stage for h in history][-1] == Cycle.Stage.SIGNED_OFF
    assert {h.history_user for h in history} >= {leader, last_year.appraiser}
    assert last_year.self_submitted_at < last_year.nominations_approved_at \
        < last_year.closed_at < last_year.released_at < last_year.appraiser_signed_at
    raters = Rater.objects.filter(cycle=last_year)
    ledger = Notification.objects.filter(
        object_type="appraisals.cycle", object_id=last_year.pk) | Notification.objects.filter(
        object_type="appraisals.rater", object_id__in=raters.values("pk"))
    assert ledger.count() >= 10
    assert set(ledger.values_list("status", flat=True)) == {"cancelled"}
    assert all(n.created_at.date() < D(2026, 3, 1) for n in ledger)
    # The leader finds the report from their appointment and reads it, and its PDF.
    client.force_login(leader)
    appointment = client.get(last_year.appointment.get_absolute_url()).content.decode()
    assert last_year.get_absolute_url() in appointment
    cycle_page = client.get(last_year.get_absolute_url()).content.decode()
    assert reverse("appraisals:report", args=[last_year.pk]) in cycle_page
    report = client.get(reverse("appraisals:report", args=[last_year.pk]))
    assert report.status_code == 200
    assert "Listens before deciding" in report.content.decode()
    document = client.get(reverse("appraisals:report-pdf", args=[last_year.pk]))
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    # This year's has no report yet.
    assert client.get(reverse("appraisals:report", args=[this_year.pk])).status_code == 404


def test_every_front_page_link_opens_for_every_demo_account(demo, client):
    """The header, the dashboard and the governance page of the demo as each of its accounts
    sees them: every link opens."""
    failures = []
    for email in ["admin@example.org", "hr@example.org", "cmo@example.org", "cno@example.org",
                  "leader@example.org", "appraiser@example.org", "chair@example.org"]:
        client.force_login(User.objects.get(email=email))
        followed = set()
        for start in (reverse("appointments:dashboard"), reverse("governance:index")):
            for href in sorted(links(client.get(start).content.decode()) - followed):
                followed.add(href)
                status = client.get(href).status_code
                if status != 200:
                    failures.append(f"{href} (linked from {start}) as {email}: {status}")
    assert not failures, "\n".join(failures)


def test_ncl_agrees_jointly_and_khp_with_its_partners_and_the_appointee(demo, client):
    """Seeds 001/002: the CMO and the CNO agree jointly in North Central London; seed 000: an
    extension is agreed by the appointee, the partnership's Executive Group and the partners,
    subject to a satisfactory annual appraisal."""
    cmo = User.objects.get(email="cmo@example.org")
    cno = User.objects.get(email="cno@example.org")
    officers = ["Chief Medical Officer", "Chief Nursing Officer"]
    ncl = ApprovalRoute.objects.filter(system__short_name="NCL")
    assert {route.subject: route.party_names() for route in ncl} == {
        "recruitment": officers, "appointment": officers, "extension": officers}
    for route in ncl:
        assert [list(p.users.all()) for p in route.parties.all()] == [[cmo], [cno]]
    khp = ApprovalRoute.objects.get(system__short_name="KHP", subject="extension")
    assert khp.party_names() == [
        "KHP Executive Group", "Guy's and St Thomas'", "King's College Hospital",
        "South London and Maudsley", "King's College London", "The appointee"]
    assert khp.allows_outside_agreement and khp.appraisal_gate
    # North Central London's waiting extension: each officer finds their own decision on the
    # dashboard; once both agree, the term is extended.
    asked = ApprovalRequest.objects.get(route__system__short_name="NCL", subject="extension")
    end = asked.appointment.end_date
    for user, party in ((cmo, officers[0]), (cno, officers[1])):
        client.force_login(user)
        rows = client.get(reverse("appointments:dashboard")).context["awaiting"]
        mine = [d for d, can in rows if can]
        assert [d.name for d in mine] == [party]
        assert client.post(mine[0].get_absolute_url(), {"decision": "agree"}).status_code == 302
    asked.refresh_from_db()
    assert asked.status == "agreed" and asked.extension.old_end_date == end
    # The partnership's waits for all six, and its page says the appraisal is missing.
    waiting = ApprovalRequest.objects.get(route__system__short_name="KHP")
    assert waiting.is_pending and len(waiting.decisions.all()) == 6
    client.force_login(User.objects.get(email="admin@example.org"))
    page = client.get(waiting.get_absolute_url()).content.decode()
    assert "No satisfactory appraisal has been signed off" in page
    # The vacancy waiting for approval to recruit is asked of both officers.
    vacancy = ApprovalRequest.objects.get(route__system__short_name="NCL", subject="recruitment")
    assert vacancy.waiting_for == officers


def test_the_icb_board_has_met_twice_and_once_without_a_clinician(demo, client):
    """Seed 003: the ICB board's CMO and CNO sit beside members named on their seats; the
    meeting both chief officers missed was not quorate."""
    board = Body.objects.get(system__short_name="SEL", name="Integrated Care Board")
    assert board.meetings.count() == 2
    assert all(m.attendances.count() == 7 for m in board.meetings.all())
    client.force_login(User.objects.get(email="admin@example.org"))
    page = client.get(board.get_absolute_url()).content.decode()
    assert page.count(">Quorate<") == 1
    assert "Not quorate: needs 1 more clinician" in page
    sel_cno = Appointment.objects.in_force().get(post__system__short_name="SEL",
                                                 post__title="Chief Nursing Officer").person
    assert sel_cno.declaration_returns.exists()


def test_seed_002s_survey_has_two_years_of_results_with_a_trend(demo, client):
    last, this = Survey.objects.filter(system__short_name="GLOS").order_by("year")
    assert this.year == last.year + 1 and last.is_closed and this.is_closed
    built = results.build(this)
    assert built.previous == last
    assert [p.trend for p in built.priorities] == [
        "Up 10 points", "Up 3 points", "Up 10 points", "Up 3 points", "Down 7 points"]
    assert this.invitations.count() == 34 and this.responses.count() == 31
    client.force_login(User.objects.get(email="admin@example.org"))
    page = client.get(reverse("surveys:results", args=[this.pk])).content.decode()
    assert "Up 10 points" in page and "The practitioner forum has helped" in page


@pytest.mark.parametrize("system, title", [("HW", "Chief Medical Officer"),
                                           ("SEL", "Chief Medical Officer"),
                                           ("SEL", "Chief Nursing Officer")])
def test_chief_officers_have_a_complete_fppt_year_and_one_overdue_check(demo, client, system,
                                                                         title):
    """Seeds 003 and 004: last year signed off by the chair of the board; this year overdue with
    one check still to record, on the dashboard."""
    holder = Appointment.objects.in_force().get(post__system__short_name=system,
                                                post__title=title)
    last, this = holder.fppt_assessments.order_by("due_on")
    assert last.is_complete and last.outcome == "fit" and last.checks.count() == 10
    assert last.signed_off_as.startswith("Chair, ") and last.attested_by.person == holder.person
    assert this.signed_off_at is None and this.checks.count() == 9
    client.force_login(User.objects.get(email="admin@example.org"))
    page = client.get(reverse("governance:fppt")).content.decode()
    overdue = page.split("<h2>Due</h2>")[0]
    assert f'href="/fppt/{this.pk}/"' in overdue and "Social media" in overdue


def test_the_demo_trusts_named_chair_reads_the_board_and_signs_off_its_members(demo, client):
    """Seed 004: the trust's non-executive chair holds no post; their seat, held by name, is
    linked to chair@example.org, the account that signed off last year's test, who reads the
    board and may sign off this year's once it is complete."""
    chair = User.objects.get(email="chair@example.org")
    seat = Seat.objects.get(holder_account=chair)
    assert seat.post is None and seat.role == "chair" and seat.body.system.short_name == "HW"
    holder = Appointment.objects.in_force().get(post__system__short_name="HW",
                                                post__title="Chief Medical Officer")
    last, this = holder.fppt_assessments.order_by("due_on")
    assert last.signed_off_by == chair and last.signed_off_as == f"Chair, {seat.body}"
    client.force_login(chair)
    assert client.get(seat.body.get_absolute_url()).status_code == 200
    detail = client.get(reverse("governance:fppt-detail", args=[this.pk]))
    assert detail.status_code == 200
    other = Body.objects.filter(system__short_name="SEL", kind="board").first()
    assert client.get(other.get_absolute_url()).status_code == 404
