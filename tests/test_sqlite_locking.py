"""A double click, or two people submitting the same change at once, on the embedded SQLite
default: the second request waits for the first instead of failing with "database is locked"
(issue 11, item 5), and then the rule decides what it gets.

SQLite refuses at once, without waiting out its timeout, a transaction that read the database
and then wants to write while another holds the write lock: that is the error page the issue
saw. Write transactions that take the lock when they begin (``transaction_mode: IMMEDIATE``)
wait for each other instead. The same test runs on PostgreSQL, where the row locks in the
services do the same job.
"""

import contextlib
import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse

from appointments.models import Extension
from appointments.services import approvals, terms

from .conftest import Client

pytestmark = pytest.mark.django_db(transaction=True)

# How long the first request waits, holding its transaction open, for the second to catch up.
# With the write lock taken when the transaction begins, the second cannot: it waits outside.
CATCH_UP_SECONDS = 1


def test_the_embedded_database_waits_for_a_lock_and_takes_writes_one_at_a_time(settings):
    options = settings.DATABASES["default"].get("OPTIONS", {})
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite default only")
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_a_double_click_on_extend_records_one_extension_and_no_error(
        hr_north, north, north_appointment, monkeypatch):
    """Both submissions read the term before either writes (the barrier holds the first until
    the second has read too, if it can); the second must then wait, see the new end date and
    be refused by the rule, not by the database. (HR record an extension agreed outside the
    register, which the system's route allows, so the first submission extends the term.)"""
    route = approvals.route_for(north, "extension")
    route.allows_outside_agreement = True
    route.save()
    both_read = threading.Barrier(2)
    check = terms.extension_errors

    def check_when_both_have_read(appointment, new_end_date):
        # Broken: the other is still waiting to begin, the database keeps them apart.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=CATCH_UP_SECONDS)
        return check(appointment, new_end_date)

    monkeypatch.setattr(terms, "extension_errors", check_when_both_have_read)
    url = reverse("appointments:appointment-extend", args=[north_appointment.pk])
    data = {"new_end_date_day": "31", "new_end_date_month": "3", "new_end_date_year": "2028",
            "reason": "Continuity", "how": "outside", "evidence": "CMO/CNO minutes 2026/11",
            "agreed_on_day": "1", "agreed_on_month": "11", "agreed_on_year": "2026"}
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(hr_north)
    start = threading.Barrier(2)
    answers = []

    def submit(client):
        start.wait()
        try:
            answers.append(client.post(url, data).status_code)
        except Exception as error:  # the test client re-raises the view's exception
            answers.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers, key=str) == [200, 302], answers  # one done, one refused by the rule
    extension = Extension.objects.get(appointment=north_appointment)
    assert extension.new_end_date == datetime.date(2028, 3, 31)
    north_appointment.refresh_from_db()
    assert north_appointment.end_date == datetime.date(2028, 3, 31)
