"""Personas shared by the tests. The "north" system is the one they work in; "south" is the one
they must not reach."""

import datetime

import pytest
import time_machine

from ccpl import access

from .factories import (
    NOW,
    TODAY,
    AppointmentFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    SystemFactory,
    UserFactory,
    grant,
    with_totp,
)
from .pages import Client


@pytest.fixture(autouse=True)
def _today():
    """Every test runs on the same day, so dates in tests read as plain facts."""
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits and used TOTP codes live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _locks_only_inside_a_service_transaction(monkeypatch):
    """A row lock taken outside a transaction of the code's own is an error on PostgreSQL and
    silently nothing on SQLite, and a test's own transaction hides it on both. So every test
    refuses `select_for_update` unless the code under test opened a transaction around it."""
    from django.db import connections
    from django.db.models import QuerySet

    lock = QuerySet.select_for_update

    def select_for_update(self, *args, **kwargs):
        blocks = connections[self.db].atomic_blocks
        if not any(not getattr(block, "_from_testcase", False) for block in blocks):
            raise AssertionError(f"{self.model.__name__}.select_for_update() outside "
                                 "transaction.atomic")
        return lock(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", select_for_update)


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def today():
    return TODAY


@pytest.fixture
def north(db):
    return SystemFactory(name="North Test ICS", short_name="NORTH")


@pytest.fixture
def south(db):
    return SystemFactory(name="South Test ICS", short_name="SOUTH")


@pytest.fixture
def north_trust(north):
    return OrganisationFactory(name="North Acute Trust", systems=[north])


@pytest.fixture
def south_trust(south):
    return OrganisationFactory(name="South Acute Trust", systems=[south])


@pytest.fixture
def admin_user(db):
    return with_totp(UserFactory(email="admin@example.org", is_staff=True, is_superuser=True))


@pytest.fixture
def hr_north(north):
    return with_totp(grant(UserFactory(email="hr.north@example.org"), access.EDIT, north))


@pytest.fixture
def cmo_office(north):
    user = with_totp(UserFactory(email="cmo.office@example.org"))
    grant(user, access.VIEW, north)
    return grant(user, access.APPROVE, north)


@pytest.fixture
def outsider(south):
    return with_totp(grant(UserFactory(email="hr.south@example.org"), access.EDIT, south))


@pytest.fixture
def north_post(north_trust):
    return PostFactory(host_organisation=north_trust, system=north_trust.systems.first())


@pytest.fixture
def south_post(south_trust):
    return PostFactory(host_organisation=south_trust, system=south_trust.systems.first())


@pytest.fixture
def leader(db):
    return UserFactory(email="leader@example.org")


@pytest.fixture
def north_appointment(north_post, leader):
    person = PersonFactory(user=leader, substantive_employer=north_post.host_organisation)
    return AppointmentFactory(post=north_post, person=person,
                              start_date=datetime.date(2024, 4, 1),
                              end_date=datetime.date(2027, 3, 31))


@pytest.fixture
def south_appointment(south_post):
    return AppointmentFactory(post=south_post)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The default questionnaires come from a data migration; a reused test database that a
    transactional test flushed has lost them, so put them back once per session."""
    from django.apps import apps

    from appraisals.questionnaires import install

    with django_db_blocker.unblock():
        install(apps)


@pytest.fixture
def sweep_on(django_capture_on_commit_callbacks):
    """Run the daily sweep as if it were 06:30 on the day, and deliver what it queues; returns
    the sweep's result."""
    from ccpl import notifications

    def run(day):
        moment = datetime.datetime.combine(day, datetime.time(6, 30))
        with time_machine.travel(moment, tick=False), \
                django_capture_on_commit_callbacks(execute=True):
            result, _ = notifications.sweep(today=day)
        return result

    return run
