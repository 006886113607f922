"""CSV and Excel downloads. A spreadsheet must never run what it was given: any text cell that
starts like a formula (= + - @, tab or carriage return) is escaped with a leading apostrophe.
Control characters that XML cannot hold (an XLSX file is XML) are left out of every cell."""

import csv
import datetime
import io
import re
from decimal import Decimal

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls other than tab, line feed and carriage return: not allowed in XML 1.0.
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """The value as it should appear in a cell: text that could be read as a formula escaped,
    numbers and dates kept as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float | Decimal | datetime.date):
        return value
    text = NOT_IN_XML.sub("", str(value))  # first: "\x01=1+1" must not become a formula
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_response(filename, header, rows):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # so Excel reads UTF-8
    writer = csv.writer(response)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([_csv_value(safe_cell(v)) for v in row])
    return response


def _csv_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def xlsx_response(filename, header, rows, sheet_title="Export"):
    # Imported here: openpyxl takes a tenth of a second to import and most requests never export.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
