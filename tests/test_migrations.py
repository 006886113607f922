"""Migrations carry every record over: the register as it was before a migration reads the same
after it (and, where the migration goes back, after going back)."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
D = datetime.date

BEFORE_OWNERS = [("governance", "0001_initial"), ("roles", "0004_role_type_max_extension")]
AFTER_OWNERS = [("governance", "0002_action_owners_and_voting_seats"),
                ("roles", "0006_post_also_accountable_to")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest():
    yield
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())


def _old_register(apps):
    """A plan as it was stored before joint owners: each action owned by one post or one body,
    with a version in its history; a seat on the body."""
    System = apps.get_model("roles", "System")
    Organisation = apps.get_model("roles", "Organisation")
    RoleType = apps.get_model("roles", "RoleType")
    Post = apps.get_model("roles", "Post")
    Body = apps.get_model("governance", "Body")
    Seat = apps.get_model("governance", "Seat")
    Framework = apps.get_model("governance", "Framework")
    Priority = apps.get_model("governance", "Priority")
    Action = apps.get_model("governance", "Action")
    HistoricalAction = apps.get_model("governance", "HistoricalAction")
    system = System.objects.create(name="Old Test ICS", short_name="OLD")
    trust = Organisation.objects.create(name="Old Test Trust", kind="acute")
    trust.systems.add(system)
    role_type = RoleType.objects.create(name="Old Test Lead")
    posts = [Post.objects.create(title=title, role_type=role_type, system=system,
                                 host_organisation=trust, wte=1)
             for title in ("Chief Medical Officer", "Chief Nursing Officer")]
    body = Body.objects.create(system=system, name="Old Test Council", kind="council")
    Seat.objects.create(body=body, post=posts[0], role="chair")
    priority = Priority.objects.create(
        framework=Framework.objects.create(system=system, name="Old framework"), number=1,
        title="Voice")
    owners = {"1.1": posts[0], "1.2": posts[1], "1.3": body}
    for reference, owner in owners.items():
        by_post = owner in posts
        action = Action.objects.create(
            priority=priority, reference=reference, text=f"Do {reference}", term="short",
            due_on=D(2027, 3, 31), owner_post=owner if by_post else None,
            owner_body=None if by_post else owner)
        HistoricalAction.objects.create(
            id=action.pk, priority_id=priority.pk, reference=reference, text=action.text,
            term="short", due_on=action.due_on, status="not_started",
            owner_post_id=owner.pk if by_post else None,
            owner_body_id=None if by_post else owner.pk,
            history_date=datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC), history_type="+")
    return {reference: (type(owner).__name__, owner.pk) for reference, owner in owners.items()}


def test_every_action_keeps_its_owner_and_every_seat_its_place(back_to_the_latest):
    old = _migrate(BEFORE_OWNERS)
    owned = _old_register(old)

    new = _migrate(AFTER_OWNERS)
    Action = new.get_model("governance", "Action")
    for action in Action.objects.prefetch_related("owner_posts", "owner_bodies"):
        owners = [("Post", p.pk) for p in action.owner_posts.all()] + [
            ("Body", b.pk) for b in action.owner_bodies.all()]
        assert owners == [owned[action.reference]], action.reference
    # Each version in the history keeps the owner it had.
    post_versions = new.get_model("governance", "HistoricalAction_owner_posts")
    body_versions = new.get_model("governance", "HistoricalAction_owner_bodies")
    kept = {(v.action_id, "Post", v.post_id) for v in post_versions.objects.all()} | {
        (v.action_id, "Body", v.body_id) for v in body_versions.objects.all()}
    assert kept == {(a.pk, *owned[a.reference]) for a in Action.objects.all()}
    # Existing seats keep their role and vote nowhere until someone says they do.
    seat = new.get_model("governance", "Seat").objects.get()
    assert (seat.role, seat.voting) == ("chair", False)
    # Posts are as they were, accountable to nobody else yet.
    Post = new.get_model("roles", "Post")
    assert Post.objects.count() == 2
    assert not Post.also_accountable_to.through.objects.exists()

    # Back again: one owner each, as before.
    old = _migrate(BEFORE_OWNERS)
    OldAction = old.get_model("governance", "Action")
    for action in OldAction.objects.all():
        kind, pk = owned[action.reference]
        assert (action.owner_post_id, action.owner_body_id) == (
            (pk, None) if kind == "Post" else (None, pk))
