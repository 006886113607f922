"""Walk every API endpoint as every kind of user, with no token, a read-only token and a token
that may change the register, GET and POST, against objects inside and outside their reach.

Reads answer as the pages do (tests/test_access_walk.py's RULES say who reaches what); without a
token the API answers 401, a read-only token may not POST (403), a change to something out of
reach is 404 and writes nothing, and a change in reach, with a valid body, is made. Each POST runs
in a savepoint rolled back afterwards, so one world serves every persona. An API URL that is not
described here fails the test."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ccpl import services

from . import test_access_walk as get_walk
from .factories import AppointmentFactory, PersonFactory, PostFactory
from .test_access_walk import RULES, _url, app_url_names
from .test_access_walk_post import tables_written

pytestmark = pytest.mark.django_db
D = datetime.date
world = get_walk.world

PERSONAS = ["admin", "hr", "cmo", "leader", "appraiser", "outsider", "anonymous"]
OPEN = {"api:schema", "api:docs", "api:register-list", "api:register-rows"}
# Token bookkeeping (each accepted request is recorded), not a change to the register.
NOT_A_CHANGE = {"ccpl_accesstoken", "ccpl_accesstokenuse"}


def _free(objs):
    """An appointment with nothing awaiting agreement, to extend, end or decide on."""
    return objs["free"]


# url name → (address, valid JSON body, status of a success, who may on the north's objects,
# a table the success writes). In the south: the administrator, and the outsider where HR may.
CHANGES = {
    "api:appointment-list": (
        lambda objs: reverse("api:appointment-list"),
        lambda objs: {"post": objs["post"].pk, "person": objs["person"].pk,
                      "start_date": "2027-06-01", "end_date": "2028-05-31", "status": "active",
                      "reason": "Interim"},
        201, {"admin", "hr"}, "appointments_approvalrequest"),
    "api:appointment-extend": (
        lambda objs: reverse("api:appointment-extend", args=[_free(objs).pk]),
        lambda objs: {"new_end_date": "2028-03-31", "reason": "Winter"},
        201, {"admin", "hr", "cmo"}, "appointments_approvalrequest"),
    "api:appointment-end": (
        lambda objs: reverse("api:appointment-end", args=[_free(objs).pk]),
        lambda objs: {"how": "end", "on": "2026-12-31", "reason": "Resigned"},
        200, {"admin", "hr"}, "appointments_appointment"),
    "api:appointment-decide-term-end": (
        lambda objs: reverse("api:appointment-decide-term-end", args=[_free(objs).pk]),
        lambda objs: {"outcome": "let_end", "note": "Reviewed"},
        201, {"admin", "hr", "cmo"}, "appointments_termenddecision"),
    "api:decision-decide": (
        lambda objs: reverse("api:decision-decide", args=[objs["party"].pk]),
        lambda objs: {"decision": "agree", "note": "Agreed",
                      "gate_override_reason": "Appraisal booked"},
        201, {"cmo"}, "appointments_partydecision"),
}
# Users who may appoint somewhere: elsewhere, a body naming another system's post is refused
# by the form (400); for anyone else the collection refuses outright (403).
APPOINTS_SOMEWHERE = {"admin", "hr", "outsider"}


@pytest.fixture
def token_world(world):
    users, objects = world
    for side in ("north", "south"):
        objs = objects[side]
        trust = objs["post"].host_organisation
        objs["free"] = AppointmentFactory(
            post=PostFactory(host_organisation=trust, system=objs["system"]),
            person=PersonFactory(substantive_employer=trust),
            start_date=D(2024, 4, 1), end_date=D(2027, 3, 31))
    return users, objects


def api_names():
    return sorted(name for name in app_url_names() if name.startswith("api:"))


def test_every_api_url_is_described():
    described = {name for name in RULES if name.startswith("api:")}
    assert set(api_names()) == described, sorted(set(api_names()) ^ described)
    assert set(CHANGES) <= described


def _in_reach(persona, side, reach):
    if side == "north":
        return persona in reach
    return (persona == "admin" and "admin" in reach) or (persona == "outsider" and "hr" in reach)


def _headers(user, scope):
    if user is None or scope is None:
        return {}
    secret = services.create_access_token(name="walk", scope=scope, days=30,
                                          second_factor=True, by=user)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client, url, body, headers):
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, body, content_type="application/json", **headers)
        transaction.set_rollback(True)
    return response, tables_written(captured) - NOT_A_CHANGE


@pytest.mark.parametrize("scope", [None, "read", "write"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_api_url_answers_each_kind_of_user_and_token_as_it_should(client, token_world,
                                                                        persona, scope):
    users, objects = token_world
    user = users[persona]
    headers = _headers(user, scope)
    signed_in = bool(headers)
    failures = []
    for name in api_names():
        kind, ok_status, reach = RULES[name]
        sides = ("north", "south") if kind is not None else ("north",)
        for side in sides:
            objs = objects[side]
            where = f"{name} ({side}) as {persona} with {scope or 'no'} token"
            in_reach = _in_reach(persona, side, reach)
            # GET
            url = _url(name, kind, objs, user)
            status = client.get(url, **headers).status_code
            if name in OPEN:
                expected = {ok_status}
            elif not signed_in:
                expected = {401}
            elif in_reach:
                expected = {ok_status}
            else:
                expected = {404, 405} if ok_status == 405 else {404}
            if status not in expected:
                failures.append(f"GET {where}: {status}, expected {sorted(expected)}")
            # POST
            if name in CHANGES:
                address, body, ok, may, table = CHANGES[name]
                url, payload = address(objs), body(objs)
                in_reach = _in_reach(persona, side, may)
            else:
                payload, ok, table = {"name": "x"}, None, None
            response, written = _post(client, url, payload, headers)
            status = response.status_code
            if name in OPEN:
                expected = {405}
            elif not signed_in:
                expected = {401}
            elif scope == "read":
                expected = {403}
            elif name not in CHANGES:
                expected = {405}
            elif in_reach:
                expected = {ok}
            elif name == "api:appointment-list":
                expected = {400} if persona in APPOINTS_SOMEWHERE else {403}
            else:
                expected = {404}
            if status not in expected:
                failures.append(f"POST {where}: {status} {response.content[:200]!r}, "
                                f"expected {sorted(expected)}")
            made = status in (200, 201)
            if made and table not in written or not made and written:
                failures.append(f"POST {where}: {status} wrote {sorted(written)}")
    assert not failures, "\n".join(failures)
