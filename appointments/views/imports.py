"""Importing a spreadsheet: upload, preview every row, import only when there are no errors."""

import io
import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from ccpl.exports import csv_response
from ccpl.forms import NHSForm
from roles.models import edits_an_organisation

from .. import imports

ROWS_KEY = "import-rows:{user}:{token}"
KEEP_SECONDS = 60 * 60


class UploadForm(NHSForm):
    file = forms.FileField(
        label="Spreadsheet", help_text="A CSV (.csv) or Excel (.xlsx) file, up to 2 MB and "
                                       f"{imports.MAX_ROWS:,} rows.",
        error_messages={"required": "Choose a CSV or Excel file to upload.",
                        "empty": "The file is empty."})


class UploadSizeCap(FileUploadHandler):
    """Stops keeping uploaded data as soon as the request's files together pass the import's
    size limit, so a large upload is neither held in memory nor written to a temporary file
    before it is refused. The rest is read and dropped; what reaches the form is an empty
    stand-in that carries the size received, which the view refuses as too large."""

    received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > imports.MAX_BYTES:
            return None  # no handler after this one sees the chunk
        return raw_data

    def file_complete(self, file_size):
        if self.received > imports.MAX_BYTES:
            return UploadedFile(io.BytesIO(), name=self.file_name, size=self.received,
                                content_type=self.content_type, charset=self.charset)
        return None  # the handlers after this one keep the file


def _require_importer(user):
    if not edits_an_organisation(user):
        raise Http404


# CSRF is checked inside, once the size cap is in place: the check reads the request body, and
# upload handlers cannot change after that.
@csrf_exempt
@login_required
def import_upload(request):
    _require_importer(request.user)
    request.upload_handlers.insert(0, UploadSizeCap(request))
    return _upload(request)


@csrf_protect
def _upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            form.add_error("file", "The file is larger than 2 MB.")
        else:
            try:
                rows = imports.read_rows(upload.name, upload.read())
            except imports.ImportFileError as error:
                form.add_error("file", str(error))
            else:
                report = imports.preview(rows, source=upload.name, by=request.user)
                token = secrets.token_urlsafe(16)
                if report.is_valid:
                    cache.set(ROWS_KEY.format(user=request.user.pk, token=token),
                              {"source": upload.name, "rows": rows}, KEEP_SECONDS)
                return render(request, "appointments/import_preview.html", {
                    "report": report, "token": token, "filename": upload.name,
                    "counts": _counts(report),
                    "breadcrumbs": [("Import a spreadsheet", "/import/")],
                })
    return render(request, "appointments/import_upload.html", {
        "form": form, "columns": imports.COLUMNS,
        "breadcrumbs": [("Appointments", "/appointments/")],
    })


def _counts(report):
    return [(thing, action, report.count(thing, action))
            for thing in ("post", "person", "appointment")
            for action in ("created", "changed", "unchanged")
            if report.count(thing, action)]


@login_required
@require_POST
def import_confirm(request, token):
    _require_importer(request.user)
    key = ROWS_KEY.format(user=request.user.pk, token=token)
    previewed = cache.get(key)
    if previewed is None:
        messages.error(request, "That preview has expired. Upload the file again.")
        return redirect("appointments:import")
    cache.delete(key)
    try:
        report = imports.apply(previewed["rows"], source=previewed["source"], by=request.user)
    except ValidationError:
        messages.error(request, "The register changed since the preview and some rows no longer "
                                "fit. Nothing was imported; upload the file again to see why.")
        return redirect("appointments:import")
    messages.success(request, f"{len(report.rows)} rows imported: "
                              f"{report.count('appointment', 'created')} appointments, "
                              f"{report.count('person', 'created')} people and "
                              f"{report.count('post', 'created')} posts created.")
    return redirect("appointments:appointment-list")


@login_required
def import_template(request):
    _require_importer(request.user)
    header, example = imports.template_rows()
    return csv_response("ccpl-import-template", header, [example])
