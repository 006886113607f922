"""What the page tests share: a signed-in client, the fields of an NHS date input, and the
number of queries a page costs."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def as_user(client, user):
    client.force_login(user)
    return client


def date_fields(name, day):
    """The three boxes of an NHS date input, as a browser posts them."""
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


def queries(client, url):
    """How many queries ``url`` costs once warm (the second request)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)
