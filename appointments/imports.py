"""Importing an existing spreadsheet of posts, people and appointments.

One row is one appointment, with its post and its person. Preview and import run the very same
code — every row through the same model rules and services as the rest of the register — inside a
transaction; the preview rolls it back, the import keeps it only if no row has an error. So what
the preview shows is exactly what the import does.

An import brings in appointments agreed before the register held them. It does not walk round
their approval route: each new appointment is a direct appointment whose agreement was made
outside the register (``services.request_appointment``), recorded for every party of the route
with the file and its row as the evidence, the start of the term (or today, for a term still to
start) as the day it was agreed, and the importer as who recorded it. Where the system's route
does not allow an agreement made outside the register to be recorded, the row is refused: its
approvers must agree the appointment on the register's pages.
"""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ccpl.forms import EARLIEST, LATEST
from roles.models import Organisation, Post, RoleType, System
from roles.services import save_post

from . import services
from .models import Appointment, ApprovalRoute, Person, Profession
from .registration import RegistrationBody
from .services.approvals import OUTSIDE

# Every limit applies before what it limits is read into memory: the upload before it is parsed,
# the unzipped size of a workbook before it is opened, and rows and columns while they stream in
# (a sheet can declare a million rows and sixteen thousand columns in a few bytes).
MAX_BYTES = 2 * 1024 * 1024
MAX_UNZIPPED_BYTES = 25 * 1024 * 1024  # a full 5,000-row workbook unzips to about 5 MB
MAX_ZIP_RATIO = 100  # deflated spreadsheet XML is 5 to 30 times smaller; a zip bomb, 1,000
MAX_ZIP_MEMBERS = 1000
MAX_ROWS = 5000
MAX_COLUMNS = 100
MAX_LINES = 10 * MAX_ROWS  # rows in all, empty ones included

@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    example: str


COLUMNS = [
    Column("system", True, "Short name of the system, as in the register", "NCL"),
    Column("post_title", True, "Title of the post", "Clinical Lead for Diabetes"),
    Column("post_reference", False, "Your reference for the post, if any", "NCL-CL-014"),
    Column("host_organisation", True, "ODS code or exact name of the host organisation", "QMJ"),
    Column("role_type", True, "Role type, as in the register's catalogue", "Clinical Lead"),
    Column("post_wte", True, "Whole-time equivalent of the post, e.g. 0.4", "0.4"),
    Column("post_honorarium", False, "Annual honorarium of the post in pounds", ""),
    Column("job_share", False, "yes if co-leads may share the post", "no"),
    Column("given_name", True, "Appointee's given name", "Alex"),
    Column("family_name", True, "Appointee's family name", "Example"),
    Column("work_email", True, "Appointee's work e-mail (identifies the person)",
           "alex.example@nhs.example"),
    Column("profession", True, "One of: " + ", ".join(label for _, label in Profession.choices),
           "Nurse"),
    Column("registration_body", False, "GMC, NMC, HCPC, GPhC, GDC, GOC or SWE", "NMC"),
    Column("registration_number", False, "Number with that regulator", "12A3456E"),
    Column("substantive_employer", False, "ODS code or exact name of the employer", ""),
    Column("start_date", True, "First day of the term, YYYY-MM-DD or DD/MM/YYYY", "2026-04-01"),
    Column("end_date", False, "Last day of the term; blank for the post's default term",
           "2029-03-31"),
    Column("appointment_wte", False, "WTE of this appointment; blank for the whole post", ""),
    Column("honorarium_share", False, "This appointee's share of the honorarium in pounds", ""),
    Column("contract_type", False, "Fixed term (or blank), Permanent (leave end_date blank) or "
                                   "Secondment", ""),
    Column("home_organisation", False, "For a secondment: ODS code or exact name of the "
                                       "organisation the secondee comes from", ""),
]
# Cover names the appointment it covers, which a spreadsheet row cannot: it is recorded on the
# register's page.
IMPORTED_CONTRACTS = [(value, label) for value, label in Appointment.ContractType.choices
                      if value != Appointment.ContractType.COVER]
COLUMN_NAMES = [c.name for c in COLUMNS]

# Which column a model field's error belongs to.
POST_FIELDS = {"title": "post_title", "reference": "post_reference", "wte": "post_wte",
               "honorarium": "post_honorarium", "host_organisation": "host_organisation",
               "system": "system", "role_type": "role_type", "job_share_allowed": "job_share"}
PERSON_FIELDS = {"given_name": "given_name", "family_name": "family_name",
                 "work_email": "work_email", "profession": "profession",
                 "registration_body": "registration_body",
                 "registration_number": "registration_number",
                 "substantive_employer": "substantive_employer"}
APPOINTMENT_FIELDS = {"start_date": "start_date", "end_date": "end_date",
                      "wte": "appointment_wte", "honorarium_share": "honorarium_share",
                      "post": "post_title", "person": "work_email",
                      "contract_type": "contract_type", "home_organisation": "home_organisation"}


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong type, too large, no header..."""


@dataclass
class RowResult:
    number: int  # the spreadsheet row number, header being row 1
    values: dict
    actions: dict = field(default_factory=dict)  # post/person/appointment → created/changed/...
    errors: list = field(default_factory=list)  # (column, message)

    @property
    def summary(self):
        return ", ".join(f"{thing} {action}" for thing, action in self.actions.items())


@dataclass
class ImportReport:
    rows: list

    @property
    def errors(self):
        return [(row.number, column, message) for row in self.rows
                for column, message in row.errors]

    @property
    def is_valid(self):
        return bool(self.rows) and not self.errors

    def count(self, thing, action):
        return sum(1 for row in self.rows if row.actions.get(thing) == action)


def read_rows(name, data):
    """The rows of an uploaded CSV or XLSX file as dicts keyed by column name; ImportFileError
    with a message for the person uploading if the file cannot or must not be read."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise ImportFileError("The file is empty.")
    lower = name.lower()
    if lower.endswith(".xlsx"):
        header, rows = _read_xlsx(data)
    elif lower.endswith(".csv"):
        header, rows = _read_csv(data)
    else:
        raise ImportFileError("The file must be a CSV (.csv) or Excel (.xlsx) file.")
    return [{h: _text(v) for h, v in zip(header, values, strict=False) if h} for values in rows]


def _header(values):
    """The column names of a header row, refused unless every required column is there."""
    header = [str(h or "").strip().lower() for h in values or ()]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise ImportFileError("The file has no header row.")
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"The header row has more than {MAX_COLUMNS} columns; a file for "
                              "import needs only the columns of the template.")
    missing = [c.name for c in COLUMNS if c.required and c.name not in header]
    if missing:
        raise ImportFileError("The header row is missing the column"
                              f"{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
                              "Download the template to see the columns.")
    return header


def _data_rows(rows, header):
    """The rows after the header that hold anything, cut to the header's width, read one at a
    time from the iterator ``rows`` and refused as soon as there are too many, before the rest
    is read."""
    kept = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_LINES:
            raise ImportFileError(f"The file goes on past row {MAX_LINES:,}. Import at most "
                                  f"{MAX_ROWS:,} rows at once, and delete any empty rows below "
                                  "them.")
        if not any(v is not None and str(v).strip() for v in values):
            continue
        if len(kept) == MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows; import at most "
                                  f"{MAX_ROWS:,} at once.")
        kept.append(values[:len(header)])
    if not kept:
        raise ImportFileError("The file has a header row but no rows to import.")
    return kept


def _text(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _read_csv(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError("The CSV file is not UTF-8 text. Save it as 'CSV UTF-8'.") from error
    if "\x00" in text:
        raise ImportFileError("The file is not a CSV file.")
    reader = csv.reader(io.StringIO(text))
    try:
        header = _header(next(reader, None))
        return header, _data_rows(reader, header)
    except csv.Error as error:  # e.g. a cell longer than the csv module's field size limit
        raise ImportFileError(f"The CSV file could not be read: {error}.") from error


def _check_zip(data):
    """Refuse a workbook that would unzip to more than it could hold, before anything unzips
    it. The sizes are the ones the zip declares, and they hold: Python's zipfile stops reading a
    member at its declared size and checks its CRC."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise ImportFileError("The file is not an Excel (.xlsx) file.") from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFileError("The Excel file has too many parts to be a spreadsheet.")
    unzipped = sum(member.file_size for member in members)
    inflated = any(member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1)
                   for member in members if member.file_size > 1024 * 1024)
    if unzipped > MAX_UNZIPPED_BYTES or inflated:
        raise ImportFileError("The Excel file unzips to far more than a spreadsheet of "
                              f"{MAX_ROWS:,} rows; save it again from Excel, or as CSV.")


def _read_xlsx(data):
    # openpyxl is imported here, not at the top, because only an XLSX upload needs it.
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportFileError("The file is not an Excel (.xlsx) file.")
    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError("The Excel file could not be read; is it damaged?") from error
    try:
        if not workbook.worksheets:
            raise ImportFileError("The Excel file has no sheet.")
        sheet = workbook.worksheets[0]
        # Whatever size the sheet declares, rows stream in one at a time, no further than the
        # limits, and no wider than the header (which Excel itself bounds: 16,384 columns).
        header = _header(next(sheet.iter_rows(max_row=1, values_only=True), None))
        rows = sheet.iter_rows(min_row=2, max_row=MAX_LINES + 1, max_col=len(header),
                               values_only=True)
        return header, _data_rows(rows, header)
    except ImportFileError:
        raise
    except Exception as error:  # a damaged sheet fails while it is read, in as many ways
        raise ImportFileError("The Excel file could not be read; is it damaged?") from error
    finally:
        workbook.close()


def template_rows():
    return [c.name for c in COLUMNS], [c.example for c in COLUMNS]


def preview(rows, *, source, by):
    """What importing ``rows`` (read from the file named ``source``) would do, row by row.
    Writes nothing."""
    with transaction.atomic():
        report = _run(rows, source=source, by=by)
        transaction.set_rollback(True)
    return report


def apply(rows, *, source, by):
    """Import every row, or none: raises ValidationError if any row has an error. ``source``,
    the file's name, is the evidence of each appointment's agreement."""
    with transaction.atomic():
        report = _run(rows, source=source, by=by)
        if not report.is_valid:
            transaction.set_rollback(True)
            raise ValidationError(f"{len(report.errors)} problems; nothing was imported.")
    return report


def _run(rows, *, source, by):
    lookups = _Lookups(by)
    results = []
    for index, values in enumerate(rows, start=2):
        result = RowResult(number=index, values=values)
        try:
            with transaction.atomic():
                _import_row(values, result, lookups, _evidence(source, index), by)
                if result.errors:
                    raise _RowFailed
        except _RowFailed:
            pass
        results.append(result)
    return ImportReport(rows=results)


class _RowFailed(Exception):
    pass


def _evidence(source, number):
    """The evidence of an imported appointment's agreement: the file and its row."""
    name = " ".join(str(source).split())[:150] or "a spreadsheet"
    return f"Imported from {name}, row {number}"


class _Lookups:
    """The register as the importing user may change it, looked up once per import."""

    def __init__(self, user):
        self.user = user
        self.systems = {s.short_name.lower(): s for s in System.objects.editable_by(user)}
        self.role_types = {r.name.lower(): r for r in RoleType.objects.all()}
        self._organisations = Organisation.objects.visible_to(user)
        self._editable_organisations = Organisation.objects.editable_by(user)
        self._takes_outside_agreement = {}

    def takes_outside_agreement(self, system):
        """Whether the system's route for direct appointments allows an agreement made outside
        the register to be recorded, as imported appointments are."""
        if system.pk not in self._takes_outside_agreement:
            route = ApprovalRoute.of(system, ApprovalRoute.Subject.APPOINTMENT)
            self._takes_outside_agreement[system.pk] = route.allows_outside_agreement
        return self._takes_outside_agreement[system.pk]

    def organisation(self, text, editable):
        queryset = self._editable_organisations if editable else self._organisations
        return (queryset.filter(ods_code__iexact=text).first()
                or queryset.filter(name__iexact=text).first())


def _import_row(values, result, lookups, evidence, by):
    def error(column, message):
        result.errors.append((column, message))

    def get(column):
        return values.get(column, "").strip()

    for column in COLUMNS:
        if column.required and not get(column.name):
            error(column.name, f"Enter the {column.name.replace('_', ' ')}.")
    if result.errors:
        return

    system = lookups.systems.get(get("system").lower())
    if system is None:
        error("system", f"No system '{get('system')}' that you can edit.")
    host = lookups.organisation(get("host_organisation"), editable=True)
    if host is None:
        error("host_organisation", f"No organisation '{get('host_organisation')}' that you can "
                                   "edit.")
    role_type = lookups.role_types.get(get("role_type").lower())
    if role_type is None:
        error("role_type", f"'{get('role_type')}' is not in the catalogue of role types.")
    post_wte = _decimal(get("post_wte"), "post_wte", error)
    honorarium = _decimal(get("post_honorarium"), "post_honorarium", error)
    share = _decimal(get("honorarium_share"), "honorarium_share", error)
    appointment_wte = _decimal(get("appointment_wte"), "appointment_wte", error)
    start = _date(get("start_date"), "start_date", error)
    end = _date(get("end_date"), "end_date", error)
    job_share = _yes_no(get("job_share"), "job_share", error)
    profession = _choice(get("profession"), Profession, "profession", error)
    body = _choice(get("registration_body"), RegistrationBody, "registration_body", error)
    employer = None
    if get("substantive_employer"):
        employer = lookups.organisation(get("substantive_employer"), editable=False)
        if employer is None:
            error("substantive_employer", f"No organisation '{get('substantive_employer')}'.")
    contract = _contract(get("contract_type"), error)
    home = None
    if get("home_organisation"):
        home = lookups.organisation(get("home_organisation"), editable=False)
        if home is None:
            error("home_organisation", f"No organisation '{get('home_organisation')}'.")
    if result.errors:
        return

    post, result.actions["post"] = _post(system, host, role_type, get, post_wte, honorarium,
                                         job_share, by, error)
    person, result.actions["person"] = _person(get, profession, body, employer, by, error)
    if result.errors:
        return
    existing = Appointment.objects.filter(post=post, person=person, start_date=start).first()
    if existing:
        if end and end != existing.end_date:
            error("end_date", f"The register has this term ending {existing.term_end_text};"
                              " record an extension instead of importing a new end date.")
        result.actions["appointment"] = "unchanged"
        return
    if not lookups.takes_outside_agreement(system):
        error("row", f"The approval route of {system} for direct appointments does not allow "
                     "an agreement made outside the register to be recorded, which is what an "
                     "import records. Ask for this appointment on the register's appoint page, "
                     "for its approvers to agree, or ask an administrator to allow outside "
                     "agreements on the route.")
        return
    try:
        services.request_appointment(
            post=post, person=person, start_date=start, end_date=end, wte=appointment_wte,
            honorarium_share=share, contract_type=contract, home_organisation=home,
            reason="An existing appointment, imported from a spreadsheet.",
            how=OUTSIDE, evidence=evidence,
            agreed_on=min(start, timezone.localdate()), agree_own=False, by=by)
    except ValidationError as problem:
        _record(problem, APPOINTMENT_FIELDS, error)
        return
    result.actions["appointment"] = "created"


def _post(system, host, role_type, get, wte, honorarium, job_share, by, error):
    posts = Post.objects.filter(system=system)
    if get("post_reference"):
        post = posts.filter(reference__iexact=get("post_reference")).first()
    else:
        post = posts.filter(title__iexact=get("post_title"), host_organisation=host).first()
    if post is None:
        post, action = Post(system=system, reference=get("post_reference")), "created"
    else:
        action = "unchanged"
    wanted = {"title": get("post_title"), "host_organisation": host, "role_type": role_type,
              "wte": wte, "honorarium": honorarium, "job_share_allowed": bool(job_share)}
    changed = [name for name, value in wanted.items() if getattr(post, name, None) != value]
    if action == "unchanged" and changed:
        action = "changed"
    for name, value in wanted.items():
        setattr(post, name, value)
    if not post.pk:
        post.default_term_months = role_type.default_term_months
    if action != "unchanged":
        try:
            post.full_clean()
            save_post(post=post, by=by)
        except ValidationError as problem:
            _record(problem, POST_FIELDS, error)
        except PermissionDenied:
            error("post_reference", f"{post} is hosted by an organisation you cannot edit.")
    return post, action


def _person(get, profession, body, employer, by, error):
    person = Person.objects.filter(work_email__iexact=get("work_email")).first()
    action = "unchanged" if person else "created"
    person = person or Person()
    wanted = {"given_name": get("given_name"), "family_name": get("family_name"),
              "work_email": get("work_email").lower(), "profession": profession,
              "registration_body": body or "",
              "registration_number": get("registration_number").upper()}
    if employer is not None:
        wanted["substantive_employer"] = employer
    if action == "unchanged" and any(getattr(person, k) != v for k, v in wanted.items()):
        action = "changed"
    for name, value in wanted.items():
        setattr(person, name, value)
    if action != "unchanged":
        try:
            person.full_clean()
            services.save_person(person=person, by=by)
        except ValidationError as problem:
            _record(problem, PERSON_FIELDS, error)
        except PermissionDenied:
            error("work_email", f"{get('work_email')} is someone whose record you cannot "
                                "change.")
    return person, action


def _record(problem, columns, error):
    for field_name, messages in problem.message_dict.items():
        for message in messages:
            error(columns.get(field_name, "row"), message)


def _decimal(text, column, error):
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "").replace("£", ""))
    except InvalidOperation:
        error(column, f"'{text}' is not a number.")
        return None
    if not value.is_finite() or value < 0:  # NaN cannot even be compared with 0
        error(column, "Enter a number of 0 or more.")
        return None
    # No column holds ten digits before the point, and 1E+999999999 overflows any sum.
    if value.adjusted() >= 10:
        error(column, f"'{text}' is too large.")
        return None
    return value


def _date(text, column, error):
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            value = datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        # The same bounds as the forms' dates: a term added to 9999-12-01 overflows.
        if not EARLIEST <= value <= LATEST:
            error(column, f"'{text}' is not between {EARLIEST.year} and {LATEST.year}.")
            return None
        return value
    error(column, f"'{text}' is not a real date; use YYYY-MM-DD or DD/MM/YYYY.")
    return None


def _yes_no(text, column, error):
    if text.lower() in ("", "no", "n", "false", "0"):
        return False
    if text.lower() in ("yes", "y", "true", "1"):
        return True
    error(column, "Enter yes or no.")
    return None


def _contract(text, error):
    """The contract type a row names; blank is a fixed term."""
    words = text.lower().replace("-", " ").replace("_", " ").strip()
    if not words:
        return Appointment.ContractType.FIXED_TERM
    for value, label in IMPORTED_CONTRACTS:
        if words in (value.replace("_", " "), label.lower()):
            return value
    if words in ("cover", "acting", "interim", "acting or interim cover"):
        error("contract_type", "Record acting or interim cover on the register's appoint page, "
                               "where you choose the appointment it covers.")
    else:
        error("contract_type", f"'{text}' is not one of: "
                               f"{', '.join(label for _, label in IMPORTED_CONTRACTS)}.")
    return None


def _choice(text, choices, column, error):
    if not text:
        return ""
    for value, label in choices.choices:
        if text.lower() in (value.lower(), label.lower()):
            return value
    error(column, f"'{text}' is not one of: {', '.join(label for _, label in choices.choices)}.")
    return None
