"""Schemathesis against the API, in-process (WSGI), as an HR user and as a leader with their own
tokens: for every operation of the published schema, generated requests never meet a server
error, every response is the one the schema describes, and no object the user may not see is
ever returned. Bounded: a few examples per operation, derandomized, so CI stays quick."""

import datetime
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from appointments.models import Appointment, Person, Vacancy
from ccpl import services
from governance.models import Body, Seat
from roles.models import Organisation, Post, System

from .factories import AppointmentFactory, PersonFactory, PostFactory

pytestmark = pytest.mark.django_db
D = datetime.date
EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]

# Which records each path lists, and the QuerySet of those the user may see.
IN_REACH = {
    "systems": lambda user: System.objects.visible_to(user),
    "organisations": lambda user: Organisation.objects.visible_to(user),
    "posts": lambda user: Post.objects.visible_to(user),
    "people": lambda user: Person.objects.visible_to(user),
    "appointments": lambda user: Appointment.objects.visible_to(user),
    "vacancies": lambda user: Vacancy.objects.visible_to(user),
    "bodies": lambda user: Body.objects.visible_to(user),
    "seats": lambda user: Seat.objects.filter(body__in=Body.objects.visible_to(user)),
}
KIND = re.compile(r"^/api/v1/(\w+)/")


@pytest.fixture
def populated(north_appointment, south_appointment, north_post, south_post, admin_user):
    """Something of every kind in both systems, so a leak would show."""
    for post in (north_post, south_post):
        post.is_published = True
        post.save()
        Vacancy.objects.create(post=PostFactory(host_organisation=post.host_organisation),
                               opened_by=admin_user)
        body = Body.objects.create(system=post.system, name="Board", kind="board")
        Seat.objects.create(body=body, post=post)
        AppointmentFactory(post=PostFactory(host_organisation=post.host_organisation),
                           person=PersonFactory(consent_to_publish=True),
                           start_date=D(2025, 4, 1), end_date=D(2026, 12, 31))


def _returned_ids(body):
    if isinstance(body, dict) and "results" in body:
        return [row["id"] for row in body["results"] if "id" in row]
    if isinstance(body, dict) and "id" in body:
        return [body["id"]]
    return []


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, keeping the test's database connection open between
    requests (as Django's test client does), so the requests see the test's data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("persona", ["hr_north", "leader"])
def test_the_api_keeps_its_schema_and_its_reach(request, populated, persona, settings,
                                                wsgi_app):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    user = request.getfixturevalue(persona)
    token = services.create_access_token(name="schemathesis", scope="write", days=30,
                                         second_factor=True, by=user)[1]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    leaks = []

    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        kind = KIND.match(case.operation.path)
        if response.status_code == 200 and kind and kind[1] in IN_REACH:
            returned = set(_returned_ids(response.json()))
            allowed = set(IN_REACH[kind[1]](user).filter(pk__in=returned)
                          .values_list("pk", flat=True))
            if returned - allowed:
                leaks.append(f"{case.method} {case.formatted_path}: {returned - allowed}")

    for operation in operations:
        settings_for_run(given(case=operation.as_strategy())(check))()
    assert not leaks, leaks


settings_for_run = settings(max_examples=EXAMPLES, deadline=None, database=None,
                            derandomize=True, print_blob=False,
                            suppress_health_check=list(HealthCheck))
