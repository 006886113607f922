"""Importing a spreadsheet: a preview of every row, errors by row and column, all or nothing."""

import contextlib
import io
import re
import resource
import struct
import time
import tracemalloc
import zipfile
from unittest import mock
from xml.sax.saxutils import escape

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from appointments import imports, services
from appointments.models import Appointment, ApprovalRequest, ApprovalRoute, Person
from ccpl import access
from ccpl.models import AuditEvent, Notification
from roles.models import Post

from .factories import PersonFactory, RoleTypeFactory, UserFactory, grant, with_totp
from .pages import Client

pytestmark = pytest.mark.django_db
FILE = "register.csv"


def allow_outside_agreements(system, allowed=True):
    """The system's route for direct appointments: its CMO/CNO office, and whether an
    agreement made outside the register may be recorded (as an import records one)."""
    return services.configure_route(
        system=system, subject=ApprovalRoute.Subject.APPOINTMENT,
        parties=[("CMO/CNO office", "office", [])], allows_outside_agreement=allowed, by=None)


@pytest.fixture
def catalogue(north):
    """The role type the rows name, in NORTH, whose route lets an import record its
    appointments as agreed outside the register."""
    allow_outside_agreements(north)
    return RoleTypeFactory(name="Clinical Lead")


def row(**overrides):
    values = {
        "system": "NORTH", "post_title": "Clinical Lead for Diabetes", "post_reference": "",
        "host_organisation": "North Acute Trust", "role_type": "Clinical Lead",
        "post_wte": "0.4", "post_honorarium": "", "job_share": "no", "given_name": "Alex",
        "family_name": "Example", "work_email": "alex.example@nhs.example",
        "profession": "Nurse", "registration_body": "NMC", "registration_number": "12A3456E",
        "substantive_employer": "", "start_date": "2026-04-01", "end_date": "",
        "appointment_wte": "", "honorarium_share": "", "contract_type": "",
        "home_organisation": "",
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
    rows = [row(), row(given_name="Sam", work_email="sam@nhs.example",
                       post_title="Clinical Lead for Stroke")]
    report = imports.preview(rows, source=FILE, by=hr_north)
    assert report.is_valid
    assert [r.actions for r in report.rows] == [
        {"post": "created", "person": "created", "appointment": "created"}] * 2
    assert not Post.objects.exists() and not Person.objects.exists()


def test_a_permanent_post_is_imported_with_no_end_date(hr_north, north_trust, catalogue):
    imports.apply([row(contract_type="Permanent")], source=FILE, by=hr_north)
    appointment = Appointment.objects.get()
    assert appointment.contract_type == "permanent" and appointment.end_date is None


def test_a_secondment_names_its_home_organisation(hr_north, north_trust, catalogue):
    report = imports.preview([row(contract_type="secondment")], source=FILE, by=hr_north)
    assert ("home_organisation", "Select the organisation the secondee comes from.") in \
        report.rows[0].errors
    imports.apply([row(contract_type="Secondment", home_organisation="North Acute Trust")],
                  source=FILE, by=hr_north)
    assert Appointment.objects.get().home_organisation == north_trust


def test_cover_and_made_up_contracts_are_refused_with_a_reason(hr_north, north_trust,
                                                               catalogue):
    report = imports.preview([row(contract_type="acting"), row(contract_type="zero hours")],
                             source=FILE, by=hr_north)
    assert report.rows[0].errors[0][1].startswith("Record acting or interim cover")
    assert "'zero hours' is not one of" in report.rows[1].errors[0][1]
    assert not Appointment.objects.exists()


def test_import_creates_everything_with_history(hr_north, north_trust, catalogue):
    imports.apply([row()], source=FILE, by=hr_north)
    appointment = Appointment.objects.get()
    assert str(appointment.end_date) == "2029-03-31"
    assert appointment.history.get().history_user == hr_north
    assert appointment.post.history.get().history_user == hr_north


def test_errors_name_the_row_and_column_and_nothing_is_imported(
    hr_north, north_trust, catalogue
):
    rows = [row(), row(work_email="b@nhs.example", post_title="Other", start_date="31/02/2026",
                       registration_number="123")]
    report = imports.preview(rows, source=FILE, by=hr_north)
    assert ("start_date" in {c for _, c, _ in report.errors})
    assert all(number == 3 for number, _, _ in report.errors)
    with pytest.raises(ValidationError):
        imports.apply(rows, source=FILE, by=hr_north)
    assert not Appointment.objects.exists() and not Post.objects.exists()


def test_rules_of_the_register_apply_to_imported_rows(hr_north, north_trust, catalogue):
    report = imports.preview([row(appointment_wte="0.6")], source=FILE, by=hr_north)
    assert report.errors == [(2, "appointment_wte",
                              "The appointment (0.6 WTE) is larger than the post (0.4 WTE).")]


def test_two_rows_that_collide_are_caught_within_the_file(hr_north, north_trust, catalogue):
    report = imports.preview([row(), row(given_name="Sam", work_email="sam@nhs.example")],
                             source=FILE, by=hr_north)
    ((number, column, message),) = report.errors
    assert number == 3 and "does not allow job share" in message


def test_a_system_out_of_reach_is_an_error(outsider, north_trust, catalogue):
    report = imports.preview([row()], source=FILE, by=outsider)
    assert report.errors[0][:2] == (2, "system")


def test_a_row_cannot_change_a_person_out_of_reach(hr_north, north_trust, south_trust,
                                                   catalogue):
    """An import goes through the same services as the pages: it finds people by e-mail
    anywhere, but changes only those the importer may edit."""
    south = PersonFactory(work_email="south.lead@nhs.example", given_name="Sam",
                          substantive_employer=south_trust)
    report = imports.preview([row(work_email="south.lead@nhs.example", given_name="Renamed")],
                             source=FILE, by=hr_north)
    assert [(n, column) for n, column, _ in report.errors] == [(2, "work_email")]
    south.refresh_from_db()
    assert south.given_name == "Sam"


def test_importing_the_same_file_twice_changes_nothing(hr_north, north_trust, catalogue):
    imports.apply([row()], source=FILE, by=hr_north)
    report = imports.preview([row()], source=FILE, by=hr_north)
    assert report.rows[0].actions == {"post": "unchanged", "person": "unchanged",
                                      "appointment": "unchanged"}


# --- the approval route: an import records agreements made outside the register ---------------

def test_an_imported_appointment_is_recorded_as_agreed_outside_the_register(
        hr_north, cmo_office, north_trust, catalogue):
    """Who agreed, when and on what authority: every party of the route, outside the register,
    on the day the term started, with the file and its row as the evidence, recorded by the
    importer. Nobody is asked to decide what was agreed long ago."""
    imports.apply([row()], source=FILE, by=hr_north)
    appointment = Appointment.objects.get()
    request = ApprovalRequest.objects.get()
    assert (request.appointment, request.status, request.how, request.requested_by) == (
        appointment, "agreed", "outside", hr_north)
    (decision,) = request.decisions.all()
    assert (decision.name, decision.status, decision.outside, decision.decided_by) == (
        "CMO/CNO office", "agreed", True, hr_north)
    assert decision.evidence == "Imported from register.csv, row 2"
    assert str(decision.agreed_on) == "2026-04-01"
    assert "outside the register (Imported from register.csv, row 2" in \
        appointment.agreement_parties
    assert AuditEvent.objects.filter(action=AuditEvent.Action.AGREEMENT_RECORDED,
                                     object_id=request.pk, by=hr_north).exists()
    assert not Notification.objects.filter(kind=Notification.Kind.APPROVAL_AWAITED).exists()


def test_a_term_still_to_start_is_recorded_as_agreed_today(hr_north, north_trust, catalogue):
    imports.apply([row(start_date="2027-04-01")], source=FILE, by=hr_north)
    decision = ApprovalRequest.objects.get().decisions.get()
    assert decision.agreed_on == timezone.localdate()


def test_an_importer_who_is_also_the_approver_records_the_agreement_too(
        north, north_trust, catalogue):
    """The CMO/CNO office importing does not agree in the register today what was agreed
    before: its party's agreement is recorded from outside, with the file as evidence."""
    both = with_totp(grant(grant(UserFactory(), access.EDIT, north), access.APPROVE, north))
    imports.apply([row()], source=FILE, by=both)
    decision = ApprovalRequest.objects.get().decisions.get()
    assert decision.outside and decision.evidence == "Imported from register.csv, row 2"


def test_where_the_route_forbids_outside_agreements_the_row_is_refused_and_nothing_written(
        hr_north, north, north_trust, catalogue):
    allow_outside_agreements(north, allowed=False)
    rows = [row()]
    report = imports.preview(rows, source=FILE, by=hr_north)
    ((number, column, message),) = report.errors
    assert (number, column) == (2, "row")
    assert message.startswith("The approval route of North Test ICS for direct appointments "
                              "does not allow an agreement made outside the register")
    with pytest.raises(ValidationError):
        imports.apply(rows, source=FILE, by=hr_north)
    assert not Appointment.objects.exists() and not ApprovalRequest.objects.exists()
    assert not Post.objects.exists() and not Person.objects.exists()


def test_a_row_already_in_the_register_needs_no_new_agreement(hr_north, north, north_trust,
                                                              catalogue):
    imports.apply([row()], source=FILE, by=hr_north)
    allow_outside_agreements(north, allowed=False)
    report = imports.apply([row()], source="again.csv", by=hr_north)
    assert report.rows[0].actions["appointment"] == "unchanged"
    assert ApprovalRequest.objects.count() == 1


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


def test_nan_and_infinity_in_a_number_column_are_row_errors(hr_north, north_trust, catalogue):
    report = imports.preview([row(post_wte="NaN"), row(post_honorarium="sNaN"),
                              row(honorarium_share="-Infinity")], source=FILE, by=hr_north)
    assert report.errors == [(2, "post_wte", "Enter a number of 0 or more."),
                             (3, "post_honorarium", "Enter a number of 0 or more."),
                             (4, "honorarium_share", "Enter a number of 0 or more.")]


# --- crafted files: refused clearly, quickly, and before memory is spent on them ----------------
#
# A spreadsheet can declare far more than it holds: a sheet dimension of A1:XFD1048576 (17 billion
# cells) in a 1.5 KB file, a zip member that inflates a thousandfold, a CSV that is nothing but
# line breaks. Each must be refused with a message for the form in well under a second, having
# allocated a few MB at most. A regression must fail these tests, not take the machine down, so
# the address space of the test process is capped while the file is read.

MEMORY_BOUND = 50 * 1024 * 1024
TIME_BOUND = 1.0
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def sheet_xml(cells, dimension):
    """A worksheet holding ``cells`` ({(row, column): text}) that declares ``dimension``."""
    rows = {}
    for (number, column), text in sorted(cells.items()):
        ref = f"{get_column_letter(column)}{number}"
        rows.setdefault(number, []).append(
            f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>')
    data = "".join(f'<row r="{n}">{"".join(c)}</row>' for n, c in rows.items())
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dimension}"/><sheetData>{data}</sheetData></worksheet>')


def xlsx(cells, dimension="A1:XFD1048576", extra=()):
    """A minimal valid workbook, built by hand so that it can say what openpyxl never writes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml(cells, dimension))
        for name, size in extra:  # members of zeros, written a megabyte at a time
            with archive.open(name, "w", force_zip64=True) as member:
                for _ in range(size // 2**20):
                    member.write(bytes(2**20))
    return buffer.getvalue()


def header_cells():
    return {(1, n): name for n, name in enumerate(imports.COLUMN_NAMES, start=1)}


@contextlib.contextmanager
def address_space_capped(extra=2 * 1024**3):
    """Cap this process's address space a little above what it uses now, so that runaway
    allocation raises MemoryError here instead of exhausting the machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    cap = in_use + extra if hard == resource.RLIM_INFINITY else min(in_use + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def refused_quickly_and_cheaply(name, data, message):
    """Reads ``data`` as an upload called ``name``: it must be refused with ``message``, in under
    a second, having allocated under MEMORY_BOUND at the peak."""
    with address_space_capped():
        started = time.perf_counter()
        with pytest.raises(imports.ImportFileError, match=re.escape(message)):
            imports.read_rows(name, data)
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        try:
            with pytest.raises(imports.ImportFileError):
                imports.read_rows(name, data)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert elapsed < TIME_BOUND, f"{elapsed:.2f} s"
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MB"


@pytest.mark.parametrize(("second_cell", "message"), [
    ((2, 1), "missing the columns"), ((1048576, 1), "missing the columns"),
    ((1048576, 16384), "missing the columns"), ((1, 16384), "more than 100 columns"),
])
def test_a_sheet_declaring_a_million_rows_with_two_cells_is_refused_cheaply(second_cell,
                                                                            message):
    data = xlsx({(1, 1): "system", second_cell: "x"})
    assert len(data) < 2000
    refused_quickly_and_cheaply("attack.xlsx", data, message)


def test_a_full_header_and_one_cell_a_million_rows_down_stops_at_the_row_limit():
    data = xlsx({**header_cells(), (1048576, 1): "NORTH"})
    refused_quickly_and_cheaply("attack.xlsx", data,
                                f"goes on past row {imports.MAX_LINES:,}")


def test_a_header_wider_than_any_import_is_refused():
    data = xlsx({**header_cells(), (1, 16384): "notes"}, dimension="A1:XFD1")
    refused_quickly_and_cheaply("wide.xlsx", data, "more than 100 columns")


@given(
    cells=st.dictionaries(
        st.tuples(st.integers(1, 1048576), st.integers(1, 16384)),
        st.text(alphabet="abcxyz019 ", max_size=8), max_size=4),
    last_row=st.integers(1, 1048576), last_column=st.integers(1, 16384),
    with_header=st.booleans(),
)
@settings(max_examples=40, deadline=None)
def test_no_declared_size_or_scatter_of_cells_costs_time_or_memory(
    cells, last_row, last_column, with_header
):
    data = xlsx({**(header_cells() if with_header else {}), **cells},
                dimension=f"A1:{get_column_letter(last_column)}{last_row}")
    with address_space_capped():
        started = time.perf_counter()
        tracemalloc.start()
        try:
            rows = imports.read_rows("any.xlsx", data)
        except imports.ImportFileError:
            rows = []
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    assert time.perf_counter() - started < 2 * TIME_BOUND  # tracemalloc slows the reading
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MB"
    assert len(rows) <= imports.MAX_ROWS


def test_a_zip_member_larger_than_any_spreadsheet_is_refused_before_it_is_unzipped():
    data = xlsx(header_cells(), extra=[("xl/media/image1.png", 40 * 2**20)])
    assert len(data) < imports.MAX_BYTES
    refused_quickly_and_cheaply("bomb.xlsx", data, "unzips to far more")


def test_a_member_that_inflates_a_thousandfold_is_refused_even_when_small_in_all():
    data = xlsx(header_cells(), extra=[("xl/media/image1.png", 5 * 2**20)])
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/media/image1.png").compress_size \
        < 10_000
    refused_quickly_and_cheaply("bomb.xlsx", data, "unzips to far more")


def test_a_zip_that_understates_a_member_size_is_read_no_further_than_it_says():
    """The size checks trust the sizes in the zip; Python's zipfile makes them hold."""
    data = bytearray(xlsx({**header_cells(), (2, 1): "x" * 40 * 2**20}, dimension="A1:S2"))
    assert len(data) < imports.MAX_BYTES
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    name = info.filename.encode()
    # Say 2 KB in the local header and in the central directory, which is what zipfile reads.
    struct.pack_into("<I", data, info.header_offset + 22, 2048)
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46:entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, 2048)
    refused_quickly_and_cheaply("liar.xlsx", bytes(data), "could not be read")


HOSTILE_CSV = [
    ("nothing but line breaks", b"\n" * (imports.MAX_BYTES - 1), "no header row"),
    ("a header then line breaks", ",".join(imports.COLUMN_NAMES).encode() + b"\n"
     + b"\n" * (imports.MAX_BYTES - 400), f"goes on past row {imports.MAX_LINES:,}"),
    ("a header then a million rows", ",".join(imports.COLUMN_NAMES).encode() + b"\n"
     + b"x\n" * ((imports.MAX_BYTES - 400) // 2), f"more than {imports.MAX_ROWS:,} rows"),
    ("a header of a million columns", b"," * (imports.MAX_BYTES - 1) + b"x",
     "more than 100 columns"),
    ("a cell of two megabytes", b'"' + b"x" * (imports.MAX_BYTES - 2) + b'"',
     "could not be read"),
    ("one byte too many", b"x" * (imports.MAX_BYTES + 1), "larger than 2 MB"),
]


@pytest.mark.parametrize(("data", "message"), [(d, m) for _, d, m in HOSTILE_CSV],
                         ids=[name for name, _, _ in HOSTILE_CSV])
def test_a_hostile_csv_is_refused_quickly_and_cheaply(data, message):
    refused_quickly_and_cheaply("people.csv", data, message)


def test_an_upload_over_the_limit_is_dropped_as_it_arrives(client, hr_north, north_trust):
    """Neither memory nor the temporary upload directory receives more than the limit."""
    client.force_login(hr_north)
    kept = []
    receive = TemporaryFileUploadHandler.receive_data_chunk

    def counting(handler, raw_data, start):
        kept.append(len(raw_data))
        return receive(handler, raw_data, start)

    upload = SimpleUploadedFile("people.csv", b"x" * (3 * imports.MAX_BYTES))
    with mock.patch.object(TemporaryFileUploadHandler, "receive_data_chunk", counting):
        page = client.post(reverse("appointments:import"), {"file": upload})
    assert page.status_code == 200
    assert "The file is larger than 2 MB." in page.content.decode()
    assert sum(kept) <= imports.MAX_BYTES


def test_the_upload_form_still_checks_csrf(hr_north, north_trust):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_north)
    upload = SimpleUploadedFile("people.csv", csv_bytes([row()]))
    assert client.post(reverse("appointments:import"), {"file": upload}).status_code == 403


def _template_xlsx():
    workbook = Workbook()
    workbook.active.append(imports.COLUMN_NAMES)
    workbook.active.append([row()[c] for c in imports.COLUMN_NAMES])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATE_XLSX = _template_xlsx()


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_a_damaged_file_is_refused_with_a_message_never_an_exception(data):
    """Bytes flipped, cut or inserted anywhere in a real workbook or CSV."""
    name, original = data.draw(st.sampled_from([
        ("people.xlsx", TEMPLATE_XLSX), ("people.csv", csv_bytes([row()]))]))
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            damaged[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del damaged[at:at + data.draw(st.integers(1, 64))]
        else:
            damaged[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        if not damaged:
            damaged = bytearray(b"x")
    try:
        rows = imports.read_rows(name, bytes(damaged))
    except imports.ImportFileError:
        return
    assert all(isinstance(r, dict) for r in rows)


@pytest.mark.parametrize("sheet", [
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>sys',
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:B2"/><sheetData><row r="1"><c r="!!" t="n"><v>x</v></c></row>'
    '</sheetData></worksheet>',
])
def test_a_sheet_that_breaks_while_it_is_read_is_refused_with_a_message(sheet):
    """The workbook opens; the sheet fails only when its rows are read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx(header_cells(), dimension="A1:S1"))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = sheet if item.filename == "xl/worksheets/sheet1.xml" else source.read(item)
            target.writestr(item.filename, body)
    with pytest.raises(imports.ImportFileError, match="could not be read"):
        imports.read_rows("broken.xlsx", buffer.getvalue())
