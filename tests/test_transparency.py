"""The published register: no sign-in, names only with consent, and a diversity summary from
which nobody's group can be worked out, even by a reader who knows the named register (so how
many people are counted) and their own group, and which shows no count of 1 to 7, on the page,
in the CSV or in the PDF."""

import csv
import datetime
import io
import itertools
import math
import re
from collections import defaultdict

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from appointments.models import EqualityProfile
from governance import disclosure, transparency
from governance.models import Body, Seat

from .factories import AppointmentFactory, PersonFactory, PostFactory

D = datetime.date
SUPPRESSED = disclosure.SUPPRESSED


# --- the rules of disclosure control -------------------------------------------------------

@pytest.mark.parametrize("true, shown", [(0, 0), (1, SUPPRESSED), (7, SUPPRESSED), (8, 10),
                                         (12, 10), (13, 15), (17, 15), (18, 20), (100, 100)])
def test_counts_are_suppressed_or_rounded(true, shown):
    assert disclosure.publish_count(true) == shown


def test_the_total_comes_from_the_true_figures_then_is_rounded():
    # Shown cells 10 + 10 + 10 would suggest 30; the true total 8 + 8 + 8 = 24 rounds to 25.
    table = disclosure.protect("t", [("a", 8), ("b", 8), ("c", 8)])
    assert [c.shown for c in table.cells] == [10, 10, 10]
    assert table.total == 25


def test_a_lone_suppressed_cell_takes_the_next_smallest_with_it():
    table = disclosure.protect("t", [("a", 40), ("b", 3), ("c", 12), ("d", 0)])
    assert [c.shown for c in table.cells] == [40, SUPPRESSED, SUPPRESSED, 0]
    assert table.total == 55


def test_two_suppressed_cells_holding_10_or_more_need_no_more():
    table = disclosure.protect("t", [("a", 40), ("b", 6), ("c", 5)])
    assert [c.shown for c in table.cells] == [40, SUPPRESSED, SUPPRESSED]


def test_hidden_cells_holding_fewer_than_10_take_the_next_smallest_with_them():
    # 45 people and 40 shown as 40 (38 to 42) would leave 3 to 7 for the two hidden cells.
    table = disclosure.protect("t", [("a", 40), ("b", 3), ("c", 2), ("d", 0)])
    assert [c.shown for c in table.cells] == [SUPPRESSED, SUPPRESSED, SUPPRESSED, 0]
    assert table.total == 45
    # 11 people, 8 of them in one group: otherwise 3 hidden cells could only hold one each.
    table = disclosure.protect("t", [("a", 8), ("b", 1), ("c", 1), ("d", 1)])
    assert [c.shown for c in table.cells] == [SUPPRESSED] * 4


def test_a_table_of_fewer_than_10_people_is_not_published():
    for counts in ([4, 2, 0], [1, 0, 0], [3, 3, 3]):
        table = disclosure.protect("t", list(zip("abc", counts, strict=True)))
        assert not table.is_published
        assert table.cells == () and table.total is None
        assert table.not_published == "Fewer than 10 people: not published"


def test_a_table_with_fewer_than_3_people_outside_its_largest_group_is_not_published():
    # The zeros would say that all, or all but one or two, share a group.
    for counts in ([40, 0, 0], [38, 1, 1], [10, 2, 0]):
        table = disclosure.protect("t", list(zip("abc", counts, strict=True)))
        assert table.not_published == ("Fewer than 3 people outside the largest group: "
                                        "not published")
        assert table.cells == ()
    assert disclosure.protect("t", [("a", 7), ("b", 3), ("c", 0)]).is_published


# --- property: nothing from 1 to 7 is ever published ------------------------------------------

LABELS = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"]
TITLES = "WXYZ"  # no digits in any label, so every number in a document is a count
counts_table = st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=6)
tables = st.lists(counts_table, min_size=1, max_size=4)


def _summary(raw_tables):
    return transparency.diversity_summary([
        (f"Table {TITLES[i]}", list(zip(LABELS, counts, strict=False)))
        for i, counts in enumerate(raw_tables)])


def _assert_safe_numbers(numbers):
    for number in numbers:
        assert number == 0 or (number >= 10 and number % 5 == 0), number


def _assert_table_safe(table, true_counts):
    if not table.is_published:
        assert table.cells == () and table.total is None
        return
    shown = [cell.shown for cell in table.cells]
    _assert_safe_numbers([v for v in [*shown, table.total] if v != SUPPRESSED])
    # A suppressed cell is never alone, and the suppressed cells hold 10 people or more.
    hidden = [true for true, value in zip(true_counts, shown, strict=False)
              if value == SUPPRESSED]
    assert len(hidden) != 1
    assert not hidden or sum(hidden) >= disclosure.FEWEST_HIDDEN
    # Every true count from 1 to 7 is hidden; zeros stay zeros.
    for true, value in zip(true_counts, shown, strict=False):
        if 1 <= true <= 7:
            assert value == SUPPRESSED
        if true == 0:
            assert value == 0


@given(tables)
@settings(max_examples=400, deadline=None)
def test_no_published_cell_reveals_a_count_from_1_to_7(raw_tables):
    for table, counts in zip(_summary(raw_tables), raw_tables, strict=True):
        _assert_table_safe(table, counts)


def _numbers_in(text):
    # The reasons a table is not published name the rules' thresholds, not counts.
    for reason in (disclosure.TOO_FEW_PEOPLE, disclosure.TOO_FEW_OUTSIDE):
        text = text.replace(reason, "")
    return [int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", text)]


@given(tables)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_page_and_the_csv_show_no_count_from_1_to_7(raw_tables):
    summary = _summary(raw_tables)
    html = render_to_string("governance/_diversity_tables.html", {"summary": summary})
    cells = re.findall(r'cell--numeric">(?:<strong>)?(.*?)(?:</strong>)?</td>', html)
    assert bool(cells) == any(table.is_published for table in summary)
    _assert_safe_numbers(_numbers_in(" ".join(cells)))
    _assert_safe_numbers(_numbers_in(re.sub(r"<[^>]+>", " ", html)))
    rows = list(csv.reader(io.StringIO(
        "\n".join(",".join(str(v) for v in row) for row in
                  transparency.diversity_csv_rows(summary)))))
    _assert_safe_numbers([int(row[2]) for row in rows if row[2] not in (
        SUPPRESSED, disclosure.TOO_FEW_PEOPLE, disclosure.TOO_FEW_OUTSIDE)])
    # A table that is not published is one row saying why, and nothing else.
    assert [row[0] for row in rows] == [
        table.title for table in summary
        for _ in (range(len(table.cells) + 1) if table.is_published else [table])]
    assert [row[1:] for row in rows if row[2] in (
        disclosure.TOO_FEW_PEOPLE, disclosure.TOO_FEW_OUTSIDE)] == [
        ["All groups", table.not_published] for table in summary if not table.is_published]


@given(tables)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_pdf_shows_no_count_from_1_to_7(raw_tables):
    system = type("S", (), {"name": "Test ICS"})()
    document = transparency.diversity_pdf(system, _summary(raw_tables))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(document)).pages)
    # The notes above the tables mention "1 to 7" and "nearest 5", and the footer has the date:
    # every number between them is a published count.
    tables_text = " ".join(text.split("Table W", 1)[1].split("Published")[0].split())
    _assert_safe_numbers(_numbers_in(tables_text))


# --- property: the reader who knows the register cannot work out anyone's group -------------
#
# The reader knows the rules, how many people are counted (from the named register), the
# published table, and perhaps their own group and a colleague's. They consider every population
# of that many people that would have been published exactly so. Someone's group is known for
# certain only if, in every such population, everyone the reader does not already know is in
# one group; so each must leave at least two groups possible.

# The shapes of the real tables: profession groups; sex, ethnic group and age band with "not
# stated".
SHAPES = sorted({len(transparency.PROFESSION_GROUPS)} | {
    len(groups) + 1 for groups in (transparency.SEXES, transparency.ETHNIC_GROUPS,
                                   transparency.AGE_BANDS)})


def _publish(counts):
    return disclosure.protect("t", [(f"g{i}", n) for i, n in enumerate(counts)])


def _compositions(people, groups):
    for cuts in itertools.combinations(range(people + groups - 1), groups - 1):
        edges = (-1, *cuts, people + groups - 1)
        yield tuple(b - a - 1 for a, b in itertools.pairwise(edges))


def _nearby(counts, moves):
    """Populations reached by moving up to ``moves`` people from one group to another."""
    found, frontier = {tuple(counts)}, {tuple(counts)}
    for _ in range(moves):
        frontier = {
            tuple(n - (g == a) + (g == b) for g, n in enumerate(world))
            for world in frontier for a, b in itertools.permutations(range(len(world)), 2)
            if world[a]}
        found |= frontier
    return found


def _worlds_like(counts):
    """Populations the reader cannot tell from ``counts``: all of them where there are few;
    otherwise those a couple of people away, with any two groups swapped (a table that is not
    published does not say which group is the large one)."""
    people, groups = sum(counts), len(counts)
    if math.comb(people + groups - 1, groups - 1) <= 3000:
        candidates = set(_compositions(people, groups))
    else:
        candidates = _nearby(counts, moves=2)
        for a, b in itertools.combinations(range(groups), 2):
            swapped = list(counts)
            swapped[a], swapped[b] = counts[b], counts[a]
            candidates |= _nearby(swapped, moves=1)
    seen = _publish(counts)
    return [world for world in candidates if _publish(world) == seen]


def _groups_left(worlds, known):
    """The groups that someone the reader does not know may be in, across ``worlds``, where
    ``known`` are the groups of the people they do know."""
    possible = set()
    for world in worlds:
        rest = list(world)
        for group in known:
            rest[group] -= 1
        if min(rest) >= 0:
            possible |= {group for group, n in enumerate(rest) if n}
    return possible


def _knowledge(counts):
    """What the reader may know of the people in ``counts``: nobody, their own group, or
    theirs and a colleague's."""
    present = [group for group, n in enumerate(counts) if n]
    pairs = [(a, b) for a, b in itertools.combinations_with_replacement(present, 2)
             if counts[a] - (a == b) >= 1]
    return [known for known in [(), *((a,) for a in present), *pairs]
            if sum(counts) > len(known)]


def test_no_population_of_1_to_14_people_gives_anyone_away():
    """Every population, exhaustively, in tables of 4 and 6 groups (sex; ethnic group)."""
    for groups in (4, 6):
        for people in range(1, 15):
            alike = defaultdict(list)
            for world in _compositions(people, groups):
                alike[_publish(world)].append(world)
            for worlds in alike.values():
                for known in {known for world in worlds for known in _knowledge(world)}:
                    assert len(_groups_left(worlds, known)) >= 2, (worlds[:3], known)


@st.composite
def populations(draw):
    """Tables of the real shapes, of 1 to 10 people as often as of more, often with most people
    in one group and the rest in ones and twos."""
    groups = draw(st.sampled_from(SHAPES))
    size = draw(st.one_of(st.integers(1, 10), st.integers(11, 60), st.integers(61, 400)))
    largest = draw(st.integers(0, groups - 1))
    others = draw(st.lists(st.one_of(st.just(0), st.integers(1, 3), st.integers(0, size)),
                           min_size=groups - 1, max_size=groups - 1))
    counts = others[:largest] + [0] + others[largest:]
    counts[largest] = max(0, size - sum(others))
    return counts if sum(counts) else [1] + [0] * (groups - 1)


@given(populations())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_published_table_gives_anyone_away(counts):
    worlds = _worlds_like(counts)
    assert tuple(counts) in worlds
    for known in _knowledge(counts):
        assert len(_groups_left(worlds, known)) >= 2, (counts, known, _publish(counts))


def test_the_known_limit_a_hidden_count_narrowed_to_one_value_says_nobody_s_group():
    """31 people, 12, 12 and 7 in three groups: shown as *, 10, * (the 7 hidden, and the
    smallest shown cell with it). A reader who knows there are 31 can tell that the third
    group holds 7: the other hidden cell was hidden as the smallest shown, so it holds no more
    than the 12 that the shown 10 may stand for. Still nobody's group follows, whatever the
    reader knows of themselves and a colleague."""
    counts = (0, 12, 12, 7)
    worlds = [world for world in _compositions(31, 4) if _publish(world) == _publish(counts)]
    assert [cell.shown for cell in _publish(counts).cells] == [0, SUPPRESSED, 10, SUPPRESSED]
    assert {world[3] for world in worlds} == {7}
    for known in _knowledge(counts):
        assert len(_groups_left(worlds, known)) >= 2


def test_the_notes_state_the_thresholds_the_rules_apply():
    notes = render_to_string("governance/_diversity_notes.html", {})
    assert f"fewer than {disclosure.FEWEST_PEOPLE} people is not published" in notes
    assert f"fewer than {disclosure.FEWEST_OUTSIDE_LARGEST} people are outside" in notes
    assert f"at least {disclosure.FEWEST_HIDDEN} people between them" in notes


# --- the register ----------------------------------------------------------------------------

@pytest.fixture
def published(north, north_trust):
    board = Body.objects.create(system=north, name="System Quality Board", kind="board")
    named_post = PostFactory(host_organisation=north_trust, title="Chief Nursing Officer")
    unnamed_post = PostFactory(host_organisation=north_trust, title="Clinical Lead — Frailty")
    hidden_post = PostFactory(host_organisation=north_trust, title="Unpublished Lead",
                              is_published=False)
    Seat.objects.create(body=board, post=named_post, role="co_chair")
    named = AppointmentFactory(
        post=named_post, start_date=D(2025, 1, 1),
        person=PersonFactory(given_name="Morwenna", family_name="Treloar",
                             consent_to_publish=True))
    unnamed = AppointmentFactory(
        post=unnamed_post, start_date=D(2025, 1, 1),
        person=PersonFactory(given_name="Ignatius", family_name="Quill",
                             consent_to_publish=False))
    AppointmentFactory(post=hidden_post, start_date=D(2025, 1, 1),
                       person=PersonFactory(given_name="Secret", family_name="Holder",
                                            consent_to_publish=True))
    return {"named": named, "unnamed": unnamed, "board": board}


def test_the_register_needs_no_sign_in_and_names_only_with_consent(client, north, published):
    page = client.get(reverse("governance:register", args=[north.short_name]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Morwenna Treloar" in text
    assert "System Quality Board (co-chair)" in text
    assert "Clinical Lead — Frailty" in text and transparency.UNNAMED in text
    assert "Quill" not in text
    assert "Unpublished Lead" not in text and "Secret" not in text


def test_the_csv_is_exactly_what_the_page_shows(client, north, published):
    response = client.get(reverse("governance:register-csv", args=[north.short_name]),
                          {"q": "frailty"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Role", "Role type", "Host organisation", "Held by", "Sits on",
                       "Term ends"]
    assert [r[0] for r in rows[1:]] == ["Clinical Lead — Frailty"]
    assert rows[1][3] == transparency.UNNAMED
    page = client.get(reverse("governance:register", args=[north.short_name]),
                      {"q": "frailty"}).content.decode()
    assert "Clinical Lead — Frailty" in page and "Chief Nursing Officer" not in page


def test_a_search_too_long_to_be_one_is_refused_with_a_message(client, north, published):
    page = client.get(reverse("governance:register", args=[north.short_name]), {"q": "x" * 101})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ensure this value has at most 100 characters" in text
    assert "Clinical Lead — Frailty" not in text


def test_a_system_with_nothing_published_is_not_found(client, south):
    assert client.get(reverse("governance:register", args=["NOPE"])).status_code == 404
    assert client.get(reverse("governance:register", args=[south.short_name])).status_code == 404


def test_the_register_costs_the_same_whatever_its_size(client, north, north_trust, published):
    url = reverse("governance:register", args=[north.short_name])

    def count():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    for n in range(6):
        post = PostFactory(host_organisation=north_trust)
        Seat.objects.create(body=published["board"], post=post)
        AppointmentFactory(post=post, start_date=D(2025, 1, 1))
    assert count() == few


def _people(trust, n, *, sex="female", objects=False, profession="nurse"):
    for _ in range(n):
        person = PersonFactory(profession=profession, registration_body="",
                               registration_number="")
        EqualityProfile.objects.create(person=person, sex=sex, ethnic_category="A",
                                       age_band="40_49", objects_to_statistics=objects)
        AppointmentFactory(post=PostFactory(host_organisation=trust), person=person,
                           start_date=D(2025, 1, 1))


def test_the_diversity_summary_counts_people_once_and_leaves_objectors_out(north, north_trust):
    _people(north_trust, 12, sex="female")
    _people(north_trust, 9, sex="male")
    _people(north_trust, 30, sex="male", objects=True)
    person = PersonFactory(profession="ahp", registration_body="", registration_number="")
    EqualityProfile.objects.create(person=person, sex="female")
    for _ in range(3):  # three roles, one person
        AppointmentFactory(post=PostFactory(host_organisation=north_trust), person=person,
                           start_date=D(2025, 1, 1))
    counts = dict(transparency.diversity_counts(north))
    sexes = dict(counts["Sex"])
    assert sexes["Female"] == 13 and sexes["Male"] == 9
    professions = dict(counts["Profession group"])
    assert professions["Nursing and midwifery"] == 21
    assert professions["Allied health professions"] == 1


def test_the_diversity_page_csv_and_pdf_agree(client, north, north_trust):
    _people(north_trust, 12, sex="female")
    _people(north_trust, 9, sex="male")
    _people(north_trust, 3, sex="not_stated")
    page = client.get(reverse("governance:diversity", args=[north.short_name]))
    assert page.status_code == 200
    summary = page.context["summary"]
    sex = next(t for t in summary if t.title == "Sex")
    # 3 is suppressed, so the next smallest (9) goes too: 25 - 10 would give it away.
    assert [c.shown for c in sex.cells] == [10, SUPPRESSED, 0, SUPPRESSED]
    assert sex.total == 25
    rows = list(csv.reader(io.StringIO(
        client.get(reverse("governance:diversity-csv", args=[north.short_name]))
        .content.decode("utf-8-sig"))))
    assert ["Sex", "Female", "10"] in rows and ["Sex", "Not stated or not known", "*"] in rows
    assert ["Sex", "Total", "25"] in rows
    pdf = client.get(reverse("governance:diversity-pdf", args=[north.short_name]))
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Not stated or not known *" in text
    # Everyone is a nurse, white and 40 to 49: those tables would name everyone's group.
    for title in ("Profession group", "Ethnic group", "Age band"):
        assert [title, "All groups", disclosure.TOO_FEW_OUTSIDE] in rows
        assert f"{title} {disclosure.TOO_FEW_OUTSIDE}" in " ".join(text.split())
    assert "White" not in page.content.decode() and "40 to 49" not in text


TOO_FEW = [[title, "All groups", disclosure.TOO_FEW_PEOPLE]
           for title in ("Profession group", "Sex", "Ethnic group", "Age band")]


@pytest.mark.parametrize("holders", [1, 2, 9])
def test_a_system_with_few_holders_publishes_no_breakdown_anywhere(client, north, north_trust,
                                                                  holders):
    """As found: the one published holder of a system is named in the register, and each table
    of the summary showed "*" in the cell of their sex, ethnic group and age band, "0" in the
    others."""
    for n in range(holders):
        person = PersonFactory(given_name="Morwenna", family_name=f"Treloar{'I' * n}",
                               consent_to_publish=True)
        EqualityProfile.objects.create(person=person, sex="female", ethnic_category="N",
                                       age_band="50_59")
        AppointmentFactory(post=PostFactory(host_organisation=north_trust,
                                            title=f"Chief Medical Officer {'I' * n}"),
                           person=person, start_date=D(2025, 1, 1))
    register = client.get(reverse("governance:register", args=[north.short_name]))
    assert "Morwenna Treloar" in register.content.decode()
    page = client.get(reverse("governance:diversity", args=[north.short_name])).content.decode()
    rows = list(csv.reader(io.StringIO(
        client.get(reverse("governance:diversity-csv", args=[north.short_name]))
        .content.decode("utf-8-sig"))))
    pdf = client.get(reverse("governance:diversity-pdf", args=[north.short_name])).content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert rows[1:] == TOO_FEW
    assert page.count(disclosure.TOO_FEW_PEOPLE) == text.count(disclosure.TOO_FEW_PEOPLE) == 4
    assert "app-diversity\"" not in page
    after_notes = "may therefore not add up to the total."
    for published in (page.split(after_notes)[1].split("Download this summary")[0],
                      text.split(after_notes)[1].split("Published")[0], str(rows)):
        for group in ("Female", "Black", "50 to 59", "Medical and dental", "*", "0"):
            assert group not in published.replace(disclosure.TOO_FEW_PEOPLE, "")


def test_equality_data_is_never_shown_beside_a_person(client, hr_north, north_appointment):
    EqualityProfile.objects.create(person=north_appointment.person, sex="female",
                                   ethnic_category="N", age_band="40_49")
    client.force_login(hr_north)
    for url in [north_appointment.get_absolute_url(),
                north_appointment.person.get_absolute_url()]:
        text = client.get(url).content.decode()
        assert "Black or Black British" not in text and "40 to 49" not in text
