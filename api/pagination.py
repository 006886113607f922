"""Cursor pagination: pages of 100 by default (``?page_size=`` up to 500), ordered by id, so a
program can walk a whole register page by page without missing or repeating a row while it
changes, and each page costs the same however deep it is."""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

MAX_PAGE_SIZE = 500


class IdCursorPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ValidationError(
                {"page_size": [f"Enter a whole number from 1 to {MAX_PAGE_SIZE}."]})
        return int(raw)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [
                "This cursor is not one the API gave: follow the next and previous links."]},
            ) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (f"Rows a page (default {self.page_size}, at most "
                                            f"{MAX_PAGE_SIZE}).")
                parameter["schema"] = {"type": "integer", "minimum": 1,
                                       "maximum": MAX_PAGE_SIZE}
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = ("Where the page starts: use the next and previous "
                                            "links of the page before.")
        return parameters
