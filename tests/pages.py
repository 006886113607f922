"""What the page tests share: a client that signs in as the sign-in page would, the fields of an
NHS date input, a value as a page writes it, and the number of queries a page costs."""

import django.test
from allauth.account.internal.flows.login import record_authentication
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from ccpl import access


class Client(django.test.Client):
    """The test client, whose ``force_login`` signs a user in as the sign-in page would: with the
    code from their authenticator app if they have one, as staff roles must."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if access.has_totp(user):
            request = HttpRequest()
            request.session = self.session
            record_authentication(request, user, "mfa", type="totp")
            request.session.save()


def as_user(client, user):
    client.force_login(user)
    return client


def shown(value):
    """``value`` as an HTML page writes it: every test person's family name has an apostrophe
    (tests/factories.py), which a page writes as ``&#x27;``, so a name looked for as typed would
    never be found, and a check that it is absent would pass whatever the page showed."""
    return escape(str(value))


def date_fields(name, day):
    """The three boxes of an NHS date input, as a browser posts them."""
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


def queries(client, url):
    """How many queries ``url`` costs once warm (the second request)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)
