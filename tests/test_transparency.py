"""The published register: no sign-in, names only with consent, and a diversity summary from
which no count of 1 to 7 can be read, on the page, in the CSV or in the PDF."""

import csv
import datetime
import io
import re

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


def test_two_suppressed_cells_need_no_more():
    table = disclosure.protect("t", [("a", 40), ("b", 3), ("c", 2)])
    assert [c.shown for c in table.cells] == [40, SUPPRESSED, SUPPRESSED]


def test_a_small_table_is_suppressed_whole():
    table = disclosure.protect("t", [("a", 4), ("b", 2), ("c", 0)])
    assert table.total == SUPPRESSED
    assert [c.shown for c in table.cells] == [SUPPRESSED, SUPPRESSED, 0]


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
    shown = [cell.shown for cell in table.cells]
    _assert_safe_numbers([v for v in [*shown, table.total] if v != SUPPRESSED])
    # A suppressed cell is never alone where the total is published.
    if table.total != SUPPRESSED:
        assert sum(v == SUPPRESSED for v in shown) != 1
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
    return [int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", text)]


@given(tables)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_page_and_the_csv_show_no_count_from_1_to_7(raw_tables):
    summary = _summary(raw_tables)
    html = render_to_string("governance/_diversity_tables.html", {"summary": summary})
    cells = re.findall(r'cell--numeric">(?:<strong>)?(.*?)(?:</strong>)?</td>', html)
    assert cells
    _assert_safe_numbers(_numbers_in(" ".join(cells)))
    rows = list(csv.reader(io.StringIO(
        "\n".join(",".join(str(v) for v in row) for row in
                  transparency.diversity_csv_rows(summary)))))
    _assert_safe_numbers([int(row[2]) for row in rows if row[2] != SUPPRESSED])


@given(tables)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_pdf_shows_no_count_from_1_to_7(raw_tables):
    system = type("S", (), {"name": "Test ICS"})()
    document = transparency.diversity_pdf(system, _summary(raw_tables))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(document)).pages)
    # The notes above the tables mention "1 to 7" and "nearest 5", and the footer has the date:
    # every number between them is a published count.
    tables_text = text.split("Table W", 1)[1].split("Published")[0]
    _assert_safe_numbers(_numbers_in(tables_text))


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


def test_equality_data_is_never_shown_beside_a_person(client, hr_north, north_appointment):
    EqualityProfile.objects.create(person=north_appointment.person, sex="female",
                                   ethnic_category="N", age_band="40_49")
    client.force_login(hr_north)
    for url in [north_appointment.get_absolute_url(),
                north_appointment.person.get_absolute_url()]:
        text = client.get(url).content.decode()
        assert "Black or Black British" not in text and "40 to 49" not in text
