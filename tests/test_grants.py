"""The grants every permission-filtered QuerySet starts from (ccpl/access.py): read in one query
per request, whether held directly or through a group, on systems and on organisations."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from appointments.models import Appointment, _individual_appointments
from ccpl import access
from roles.models import edits_an_organisation

from .factories import AppointmentFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def test_every_grant_direct_or_through_a_group_is_read_in_one_query(
        north, south, north_trust, django_assert_num_queries):
    user = grant(UserFactory(), access.EDIT, north)
    offices = Group.objects.create(name="South CMO office")
    assign_perm(f"roles.{access.APPROVE}", offices, south)
    assign_perm(f"roles.{access.VIEW}", offices, north_trust)
    user.groups.add(offices)
    access.forget_grants(user)
    with django_assert_num_queries(1):
        assert access.granted_systems(user) == sorted([north.pk, south.pk])
        assert access.granted_systems(user, access.EDIT) == [north.pk]
        assert access.granted_systems(user, access.APPROVE) == [south.pk]
        assert access.granted_organisations(user) == [north_trust.pk]
        assert access.granted_organisations(user, access.EDIT) == []
        assert access.holds_any_grant(user)


def test_someone_elses_grants_and_other_permissions_are_not_read(north, north_trust):
    grant(UserFactory(), access.EDIT, north)
    user = UserFactory()
    assign_perm("roles.change_system", user, north)  # a model permission, not a register grant
    lapsed = Group.objects.create(name="Former HR")
    assign_perm(f"roles.{access.EDIT}", lapsed, north_trust)  # a group they are not in
    assert access.granted_systems(user) == []
    assert access.granted_organisations(user) == []
    assert not access.holds_any_grant(user)


def test_grants_changed_during_a_request_are_read_again_once_forgotten(north):
    user = UserFactory()
    assert access.granted_systems(user) == []
    assign_perm(f"roles.{access.VIEW}", user, north)
    assert access.granted_systems(user) == []  # remembered for the request
    access.forget_grants(user)
    assert access.granted_systems(user) == [north.pk]


def test_a_leaders_own_appointments_and_those_granted_one_by_one_are_read_in_one_query(
        north_appointment, south_appointment, leader, django_assert_num_queries):
    AppointmentFactory(person=north_appointment.person)  # another of the leader's own
    appraiser = UserFactory()
    assign_perm("appointments.view_appointment", appraiser, south_appointment)
    own = sorted(Appointment.objects.filter(person__user=leader).values_list("pk", flat=True))
    assert len(own) == 2
    with django_assert_num_queries(1):
        assert _individual_appointments(leader) == own
    with django_assert_num_queries(1):
        assert _individual_appointments(appraiser) == [south_appointment.pk]
    # Both kinds at once, each id once.
    assign_perm("appointments.view_appointment", leader, south_appointment)
    assign_perm("appointments.view_appointment", leader, north_appointment)
    assert _individual_appointments(leader) == sorted([*own, south_appointment.pk])
    assert _individual_appointments(UserFactory()) == []


def test_whether_the_user_edits_an_organisation_is_asked_once_a_request(
        north, north_trust, django_assert_num_queries):
    hr = grant(UserFactory(), access.EDIT, north)
    viewer = grant(UserFactory(), access.VIEW, north)
    with django_assert_num_queries(2):  # the grants, then the organisations
        assert edits_an_organisation(hr) and edits_an_organisation(hr)
    with django_assert_num_queries(0):
        assert edits_an_organisation(hr)
    assert not edits_an_organisation(viewer)
    access.forget_grants(hr)
    with django_assert_num_queries(2):
        assert edits_an_organisation(hr)
