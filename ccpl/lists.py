"""Helpers for list pages: filters, sorting and pagination that keep each other."""


def list_links(request, sort, keys):
    """Query strings for pagination, export and sortable column headers that keep the filters."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    headers = {}
    for key in keys:
        q = query.copy()
        q["sort"] = f"-{key}" if sort == key else key
        state = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
        headers[key] = {"href": f"?{q.urlencode()}", "state": state}
    encoded = query.urlencode()
    return {"query": encoded, "query_without_page": f"{encoded}&" if encoded else "",
            "sort_headers": headers}
