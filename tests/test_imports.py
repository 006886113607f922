"""Importing a spreadsheet: a preview of every row, errors by row and column, all or nothing."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from appointments import imports
from appointments.models import Appointment, Person
from roles.models import Post

from .factories import RoleTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return RoleTypeFactory(name="Clinical Lead")


def row(**overrides):
    values = {
        "system": "NORTH", "post_title": "Clinical Lead for Diabetes", "post_reference": "",
        "host_organisation": "North Acute Trust", "role_type": "Clinical Lead",
        "post_wte": "0.4", "post_honorarium": "", "job_share": "no", "given_name": "Alex",
        "family_name": "Example", "work_email": "alex.example@nhs.example",
        "profession": "Nurse", "registration_body": "NMC", "registration_number": "12A3456E",
        "substantive_employer": "", "start_date": "2026-04-01", "end_date": "",
        "appointment_wte": "", "honorarium_share": "",
    }
    values.update(overrides)
    return values


def csv_bytes(rows):
    header = imports.COLUMN_NAMES
    lines = [",".join(header)] + [",".join(r[c] for c in header) for r in rows]
    return "\n".join(lines).encode()


def test_preview_shows_what_would_be_created_and_writes_nothing(
    hr_north, north_trust, catalogue
):
    report = imports.preview([row(), row(given_name="Sam", work_email="sam@nhs.example",
                                         post_title="Clinical Lead for Stroke")], by=hr_north)
    assert report.is_valid
    assert [r.actions for r in report.rows] == [
        {"post": "created", "person": "created", "appointment": "created"}] * 2
    assert not Post.objects.exists() and not Person.objects.exists()


def test_import_creates_everything_with_history(hr_north, north_trust, catalogue):
    imports.apply([row()], by=hr_north)
    appointment = Appointment.objects.get()
    assert str(appointment.end_date) == "2029-03-31"
    assert appointment.history.get().history_user == hr_north
    assert appointment.post.history.get().history_user == hr_north


def test_errors_name_the_row_and_column_and_nothing_is_imported(
    hr_north, north_trust, catalogue
):
    rows = [row(), row(work_email="b@nhs.example", post_title="Other", start_date="31/02/2026",
                       registration_number="123")]
    report = imports.preview(rows, by=hr_north)
    assert ("start_date" in {c for _, c, _ in report.errors})
    assert all(number == 3 for number, _, _ in report.errors)
    with pytest.raises(ValidationError):
        imports.apply(rows, by=hr_north)
    assert not Appointment.objects.exists() and not Post.objects.exists()


def test_rules_of_the_register_apply_to_imported_rows(hr_north, north_trust, catalogue):
    report = imports.preview([row(appointment_wte="0.6")], by=hr_north)
    assert report.errors == [(2, "appointment_wte",
                              "The appointment (0.6 WTE) is larger than the post (0.4 WTE).")]


def test_two_rows_that_collide_are_caught_within_the_file(hr_north, north_trust, catalogue):
    report = imports.preview([row(), row(given_name="Sam", work_email="sam@nhs.example")],
                             by=hr_north)
    ((number, column, message),) = report.errors
    assert number == 3 and "does not allow job share" in message


def test_a_system_out_of_reach_is_an_error(outsider, north_trust, catalogue):
    report = imports.preview([row()], by=outsider)
    assert report.errors[0][:2] == (2, "system")


def test_importing_the_same_file_twice_changes_nothing(hr_north, north_trust, catalogue):
    imports.apply([row()], by=hr_north)
    report = imports.preview([row()], by=hr_north)
    assert report.rows[0].actions == {"post": "unchanged", "person": "unchanged",
                                      "appointment": "unchanged"}


def test_reading_csv_and_xlsx(catalogue):
    assert imports.read_rows("people.csv", csv_bytes([row()]))[0]["work_email"] == \
        "alex.example@nhs.example"
    workbook = Workbook()
    workbook.active.append(imports.COLUMN_NAMES)
    workbook.active.append([row()[c] for c in imports.COLUMN_NAMES])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert imports.read_rows("people.xlsx", buffer.getvalue())[0]["given_name"] == "Alex"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("people.pdf", b"%PDF-1.4", "must be a CSV (.csv) or Excel (.xlsx)"),
    ("people.xlsx", b"not a zip", "not an Excel (.xlsx) file"),
    ("people.csv", b"\xff\xfe\x00bad", "not UTF-8"),
    ("people.csv", b"", "empty"),
    ("people.csv", b"a,b,c\n1,2,3", "missing the columns"),
    ("people.csv", b"x" * (imports.MAX_BYTES + 1), "larger than 2 MB"),
])
def test_files_of_the_wrong_kind_are_refused_clearly(name, data, message):
    with pytest.raises(imports.ImportFileError, match=re.escape(message)):
        imports.read_rows(name, data)
