"""360° raters stay anonymous whatever order and time they answer in (issue 11, item 4).

Response ids follow the order of submission. They named the comments in the appraiser's
redaction links, and the cycle page showed which named rater had answered as it happened, so a
small group's only comment could be tied to a name. Here raters answer in known orders at known
times, and everything the appraiser, HR and the leader can open is read: the cycle page, the
report and its PDF, the redaction links and pages, the reminders list and the appointment."""

import datetime
import io
import re
import string
from types import SimpleNamespace

import django.test
import pytest
import time_machine
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from appraisals import report, services
from appraisals.models import Answer, Cycle, Rater, Redaction, Response, Statement
from ccpl.models import Notification
from ccpl.notifications import sweep

from .conftest import Client
from .factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db
DT = datetime.datetime
OPENED = DT(2026, 11, 23, 9, 0)
SWEEP = DT(2026, 12, 1, 7, 0)  # the first chasers go out
CLOSED = DT(2026, 12, 28, 10, 0)
RELEASED = DT(2026, 12, 29, 10, 0)
GROUPS = ["manager", "peer", "peer", "peer", "team", "team", "team", "partner", "partner",
          "partner"]
URLSAFE = string.ascii_letters + string.digits + "-_"


@pytest.fixture
def base(north_trust, leader, hr_north):
    """A cycle collecting answers from ten named raters, each holding a working link, with the
    leader's self-assessment in. Response and answer ids start at numbers found nowhere else on
    a page, so a page that showed one would be caught."""
    appraiser = UserFactory(email="appraiser@example.org", full_name="Avery Appraiser")
    appointment = AppointmentFactory(
        post=PostFactory(host_organisation=north_trust), person=PersonFactory(user=leader),
        start_date=datetime.date(2024, 4, 1), end_date=datetime.date(2027, 3, 31))
    with time_machine.travel(OPENED, tick=False):
        cycle = services.open_cycle(appointment=appointment, by=hr_north, appraiser=appraiser)
        statements = list(Statement.objects.filter(dimension__version=cycle.template_version)
                          .values_list("pk", flat=True))
        _ids_that_stand_out(cycle, statements[0])
        services.save_self_assessment(cycle=cycle, answers=dict.fromkeys(statements, 3),
                                      keep_doing="My own view", submit=True, by=leader)
        for n, group in enumerate(GROUPS):
            services.nominate(cycle=cycle, group=group, name=f"Rater {n}",
                              email=f"rater{n}@nhs.example", by=leader)
        services.submit_nominations(cycle=cycle, by=leader)
        services.approve_nominations(cycle=cycle, by=appraiser)
    raters = sorted(cycle.raters.all(), key=lambda r: int(r.name.split()[1]))
    tokens = []
    for rater in raters:
        tokens.append(rater.new_token())
        rater.save(update_fields=["token_hash"])
    return SimpleNamespace(cycle=cycle, appointment=appointment, appraiser=appraiser,
                           leader=leader, hr=hr_north, raters=raters, tokens=tokens,
                           statements=statements)


def _ids_that_stand_out(cycle, statement):
    dummy = Response.objects.create(id=910_000, cycle=cycle, group="peer")
    Answer.objects.create(id=9_100_000, response=dummy, statement_id=statement)
    with connection.cursor() as cursor:  # PostgreSQL's sequences; SQLite carries on by itself
        for sql in connection.ops.sequence_reset_sql(no_style(), [Response, Answer]):
            cursor.execute(sql)
    dummy.delete()


def rater_acts(base, n, action, keep="", different=""):
    """Rater ``n`` answers (with the comments given), declines, or does nothing, by their link."""
    if action == "silent":
        return
    url = reverse("appraisals:rater", args=[base.tokens[n]])
    if action == "decline":
        data = {"decline": "1"}
    else:
        value = str(1 + n % 4)
        data = {**{f"s{pk}": value for pk in base.statements}, "keep_doing": keep,
                "do_differently": different, "submit": "1"}
    response = django.test.Client().post(url, data)
    assert response.status_code == 200, response.content.decode()[:2000]


def signed_in(base, clients=None):
    """The appraiser, HR and the leader, each signed in afresh (sessions expire as time
    passes), reusing ``clients`` if given."""
    clients = clients or {who: Client() for who in ("appraiser", "hr", "leader")}
    for who, client in clients.items():
        client.logout()
        client.force_login(getattr(base, who))
    return clients


PROGRESS = re.compile(r'<table class="nhsuk-table">\s*<caption class="nhsuk-table__caption">'
                      r"Answers so far</caption>.*?</table>", re.S)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
REDACT_LINK = re.compile(r'href="(/appraisals/\d+/report/comments/([\w-]+)/remove/)"')


def readable(response):
    """A page as its reader gets it: the HTML (without the per-request CSRF token), or a PDF's
    text and metadata."""
    assert response.status_code in (200, 404), response  # never sent to sign in
    if response["Content-Type"] == "application/pdf":
        document = PdfReader(io.BytesIO(response.content))
        return (response.status_code, dict(document.metadata),
                " ".join(page.extract_text() for page in document.pages))
    return response.status_code, CSRF.sub("", response.content.decode())


def everything_seen(base, clients, phase):
    """Every page about the cycle that the appraiser, HR and the leader can open now."""
    cycle = base.cycle
    urls = {"cycle": cycle.get_absolute_url(), "appointment": base.appointment.get_absolute_url(),
            "reminders": reverse("notification-list"),
            "report": reverse("appraisals:report", args=[cycle.pk])}
    seen = {(phase, who, page): readable(client.get(url))
            for who, client in clients.items() for page, url in urls.items()}
    for who, client in clients.items():
        if seen[phase, who, "report"][0] == 200 and phase in ("closed", "released"):
            pdf_url = reverse("appraisals:report-pdf", args=[cycle.pk])
            seen[phase, who, "pdf"] = readable(client.get(pdf_url))
    for url, key in REDACT_LINK.findall(seen[phase, "appraiser", "report"][1]):
        seen[phase, "appraiser", f"remove {key}"] = readable(clients["appraiser"].get(url))
    return seen


def cycle_page_without_progress(clients, cycle):
    return {who: PROGRESS.sub("", readable(client.get(cycle.get_absolute_url()))[1])
            for who, client in clients.items()}


def live(base, clients, life, order, times):
    """Raters act in ``order`` at ``times`` (the chasers going out between the first ``half``
    and the rest); then the appraiser closes the cycle, removes the first comment and releases
    the report. Returns everything seen after each step, and the ids of every response and
    answer. Runs in a savepoint that is rolled back, so it can be lived again in another order.
    """
    with transaction.atomic():
        before = cycle_page_without_progress(signed_in(base, clients), base.cycle)
        known = set()
        for step, n in enumerate(order):
            when = SWEEP + times[step] if step >= life.half else OPENED + times[step]
            if step == life.half:
                with time_machine.travel(SWEEP, tick=False):
                    sweep(today=SWEEP.date())
            with time_machine.travel(when, tick=False):
                rater_acts(base, n, life.actions[n], *life.comments[n])
            # Each comment gets the key it has in the other life. Keys are otherwise drawn at
            # random on submission (tested below), so what is compared is all but that draw.
            new = Response.objects.filter(cycle=base.cycle, is_self=False).exclude(pk__in=known)
            for response in new:
                response.keep_doing_key, response.do_differently_key = life.keys[n]
                response.save(update_fields=["keep_doing_key", "do_differently_key"])
                known.add(response.pk)
            # While raters answer, the cycle page changes only in its count of answers.
            with time_machine.travel(when, tick=False):
                now = cycle_page_without_progress(signed_in(base, clients), base.cycle)
                assert now == before
        if life.half >= len(order):
            with time_machine.travel(SWEEP, tick=False):
                sweep(today=SWEEP.date())
        with time_machine.travel(CLOSED, tick=False):
            signed_in(base, clients)
            seen = everything_seen(base, clients, "collecting")
            clients["appraiser"].post(reverse("appraisals:close", args=[base.cycle.pk]))
            assert stage(base) == Cycle.Stage.CLOSED
            seen |= everything_seen(base, clients, "closed")
            first = next((key for n in range(len(GROUPS)) for key, text in
                          zip(life.keys[n], life.comments[n], strict=True)
                          if text and life.actions[n] == "submit"), None)
            if first:
                url = reverse("appraisals:redact", args=[base.cycle.pk, first])
                response = clients["appraiser"].post(url, {"reason": "Names a colleague"})
                assert response.status_code == 302
                seen |= everything_seen(base, clients, "redacted")
        with time_machine.travel(RELEASED, tick=False):
            signed_in(base, clients)
            clients["appraiser"].post(reverse("appraisals:release", args=[base.cycle.pk]))
            assert stage(base) == Cycle.Stage.RELEASED
            seen |= everything_seen(base, clients, "released")
        ids = {str(pk) for model in (Response, Answer)
               for pk in model.objects.values_list("pk", flat=True)}
        transaction.set_rollback(True)
    return seen, ids


def stage(base):
    return Cycle.objects.values_list("stage", flat=True).get(pk=base.cycle.pk)


@st.composite
def lives(draw):
    """Who answers (and with which comments), declines or stays silent, each comment's key,
    and two orders and sets of times to do it in."""
    n = len(GROUPS)
    actions = draw(st.lists(st.sampled_from(["submit", "submit", "decline", "silent"]),
                            min_size=n, max_size=n))
    wrote = draw(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=n, max_size=n))
    keys = draw(st.lists(st.text(URLSAFE, min_size=1, max_size=22), min_size=2 * n,
                         max_size=2 * n, unique=True))
    half = draw(st.integers(min_value=0, max_value=n))
    minutes = st.lists(st.integers(min_value=1, max_value=11_000), min_size=n, max_size=n,
                       unique=True).map(sorted)
    life = SimpleNamespace(
        actions=actions, half=half,
        comments=[(f"Keeps us calm {i}" if keep else "", f"Could delegate {i}" if change else "")
                  for i, (keep, change) in enumerate(wrote)],
        keys=[(keys[2 * i], keys[2 * i + 1]) for i in range(n)])
    orders = [draw(st.permutations(range(n))) for _ in range(2)]
    times = [[datetime.timedelta(minutes=m) for m in draw(minutes)] for _ in range(2)]
    return life, orders, times


def test_nobody_can_tell_the_order_or_time_of_answering(base):
    """Two lives of one cycle: the same raters give the same answers in two orders at two sets
    of times (with the chasers in between). The response ids differ, and so do the times; the
    appraiser, HR and the leader see exactly the same pages, PDFs and links in both, and no id
    of a response or an answer appears anywhere."""
    clients = {who: Client() for who in ("appraiser", "hr", "leader")}

    @settings(max_examples=4, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(lives())
    def check(drawn):
        life, orders, times = drawn
        seen_first, ids_first = live(base, clients, life, orders[0], times[0])
        seen_second, ids_second = live(base, clients, life, orders[1], times[1])
        assert seen_first.keys() == seen_second.keys()
        for page, content in seen_first.items():
            assert content == seen_second[page], page
        for seen, ids in ((seen_first, ids_first), (seen_second, ids_second)):
            for page, content in seen.items():
                assert not set(re.findall(r"\d+", str(content))) & ids, page

    check()


def test_the_keys_in_the_redaction_links_do_not_follow_the_order_of_answering(
    base, client
):
    """With the real random keys: sixty raters answer one after another, and neither the order
    of the appraiser's links nor that of either list of comments goes with theirs (a rank
    correlation near 0; ids in the links gave 1). One rater's two comments are not paired."""
    cycle, n = base.cycle, 60
    raters = [Rater.objects.create(cycle=cycle, group="peer", name=f"Extra {i}",
                                   email=f"extra{i}@nhs.example", status=Rater.Status.INVITED)
              for i in range(n)]
    answers = dict.fromkeys(base.statements, 2)
    for i, rater in enumerate(raters):
        services.save_rater_answers(rater=rater, answers=answers, keep_doing=f"keep {i}",
                                    do_differently=f"change {i}", submit=True)
    services.close_cycle(cycle=cycle, by=base.appraiser)
    client.force_login(base.appraiser)
    page = client.get(reverse("appraisals:report", args=[cycle.pk])).content.decode()
    links = [key for _, key in REDACT_LINK.findall(page)]
    responses = {r.key_of(f): r for r in cycle.responses.all() for f in
                 Response.COMMENT_FIELDS}
    keep_links = [int(responses[k].keep_doing.split()[1]) for k in links
                  if responses[k].keep_doing_key == k]
    built = report.build(cycle)
    keep_order = [int(text.split()[1]) for text in built.keep_doing]
    change_order = [int(text.split()[1]) for text in built.do_differently]
    assert keep_links == keep_order and sorted(keep_order) == list(range(n))
    assert abs(kendall_tau(keep_order)) < 0.4
    assert abs(kendall_tau(change_order)) < 0.4
    assert abs(kendall_tau([keep_order.index(i) for i in change_order])) < 0.4


def kendall_tau(sequence):
    """Rank correlation of ``sequence`` with 0, 1, 2…: 1 in order, -1 reversed, about 0 (with a
    standard deviation of 0.09 for 60 items) when unrelated."""
    n = len(sequence)
    pairs = [(a, b) for i, a in enumerate(sequence) for b in sequence[i + 1:]]
    return sum(1 if a < b else -1 for a, b in pairs) / (n * (n - 1) / 2)


def test_comment_keys_are_fresh_draws_from_the_operating_system(base, monkeypatch):
    drawn = []

    def token_urlsafe(nbytes):
        drawn.append(nbytes)
        return f"k{len(drawn)}"

    monkeypatch.setattr("ccpl.private_links.secrets.token_urlsafe", token_urlsafe)
    rater_acts(base, 1, "submit", "Calm", "Delegate")
    response = Response.objects.get(cycle=base.cycle, is_self=False)
    assert {response.keep_doing_key, response.do_differently_key} == {"k1", "k2"}
    assert drawn == [16, 16]  # 128 bits each: two comments never share a key


def test_answering_writes_nothing_but_the_response_and_the_link(base):
    """No time, no audit event, no history row, no ledger entry is written when a rater
    answers: the rater's row changes only its status and its (now dead) link."""
    with CaptureQueriesContext(connection) as queries:
        rater_acts(base, 2, "submit", "Calm", "Delegate")
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    tables = {re.search(r'(?:INTO|UPDATE|FROM) "?(\w+)"?', sql).group(1) for sql in writes}
    assert tables == {"appraisals_response", "appraisals_answer", "appraisals_rater"}
    rater_update = next(sql for sql in writes if sql.startswith('UPDATE "appraisals_rater"'))
    assert set(re.findall(r'"(\w+)" = ', rater_update.split(" WHERE ")[0])) == {
        "status", "draft", "token_hash"}


def test_the_ledger_of_invitations_and_chasers_is_for_administrators_only(base):
    """Chasers go only to raters who have not answered, so the ledger dates who answered
    before each chaser: nobody but an administrator reads those rows."""
    rater_acts(base, 1, "submit")
    with time_machine.travel(SWEEP, tick=False):
        sweep(today=SWEEP.date())
    about_raters = Notification.objects.filter(
        kind__in=[Notification.Kind.RATER_INVITATION, Notification.Kind.RATER_CHASER])
    assert about_raters.filter(kind=Notification.Kind.RATER_CHASER).count() == len(GROUPS) - 1
    for user in (base.appraiser, base.hr, base.leader):
        assert not about_raters & Notification.objects.visible_to(user)


def test_withdrawing_a_link_looks_the_same_whatever_the_rater_did(base):
    """Were an answered link refused, or its answer taken out of the count, withdrawing would
    tell HR and the appraiser who has answered."""
    seen = {}
    for action in ("submit", "decline", "silent"):
        with transaction.atomic():
            rater_acts(base, 4, action, "Calm")
            counts = services.progress(base.cycle)
            clients = signed_in(base)
            url = reverse("appraisals:revoke", args=[base.cycle.pk, base.raters[4].pk])
            response = clients["hr"].post(url, follow=True)
            assert services.progress(base.cycle) == counts
            assert Rater.objects.get(pk=base.raters[4].pk).status == Rater.Status.REVOKED
            seen[action] = (PROGRESS.sub("", readable(response)[1]),
                            cycle_page_without_progress(clients, base.cycle))
            transaction.set_rollback(True)
    assert "Rater 4&#x27;s link has been withdrawn." in seen["submit"][0]
    assert seen["submit"] == seen["decline"] == seen["silent"]


def test_links_cannot_be_withdrawn_after_closing(base):
    """Afterwards a refusal for answered links only would tell who answered, at no cost."""
    rater_acts(base, 4, "submit")
    services.close_cycle(cycle=base.cycle, by=base.appraiser)
    for n in (4, 5):
        with pytest.raises(ValidationError, match="only while raters are answering"):
            services.revoke_rater(rater=base.raters[n], by=base.appraiser)


def test_the_appraiser_and_hr_see_every_sent_link_as_invited(base):
    for n, action in ((1, "submit"), (2, "decline")):
        rater_acts(base, n, action, "Calm")
    page = readable(signed_in(base)["appraiser"].get(base.cycle.get_absolute_url()))[1]
    assert ">Answered<" not in page and ">Declined<" not in page
    assert page.count(">Invited<") == len(GROUPS)
    assert page.count("Withdraw link") == len(GROUPS)


def test_a_comment_can_be_removed_once(base):
    rater_acts(base, 1, "submit", "Calm", "Names Sam")
    services.close_cycle(cycle=base.cycle, by=base.appraiser)
    response = Response.objects.get(cycle=base.cycle, is_self=False)
    services.redact(response=response, field="do_differently", reason="Names someone",
                    by=base.appraiser)
    with pytest.raises(ValidationError, match="already been removed"):
        services.redact(response=response, field="do_differently", reason="Again",
                        by=base.appraiser)
    client = Client()
    client.force_login(base.appraiser)
    page = client.get(reverse("appraisals:report", args=[base.cycle.pk])).content.decode()
    assert [key for _, key in REDACT_LINK.findall(page)] == [response.keep_doing_key]


def test_a_key_from_another_cycle_or_the_self_assessment_opens_nothing(base, client):
    services.close_cycle(cycle=base.cycle, by=base.appraiser)
    own = Response.objects.get(cycle=base.cycle, is_self=True)
    client.force_login(base.appraiser)
    for key in (own.keep_doing_key, "no-such-key"):
        url = reverse("appraisals:redact", args=[base.cycle.pk, key])
        assert client.get(url).status_code == 404


def test_answers_are_not_in_the_admin():
    """Raters' answers are read through the report and its anonymity rules only; a list of
    responses would show them one by one, in the order of their ids."""
    assert Response not in admin.site._registry and Answer not in admin.site._registry
    assert not any(hasattr(model, "history") for model in (Response, Answer, Rater, Redaction))
