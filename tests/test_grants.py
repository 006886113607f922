"""The grants every permission-filtered QuerySet starts from (ccpl/access.py): read in one query
per request, whether held directly or through a group, on systems and on organisations."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from ccpl import access

from .factories import UserFactory, grant

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
