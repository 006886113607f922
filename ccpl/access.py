"""Who may see and change what: the grants every permission-filtered QuerySet starts from.

Access is granted on a System or an Organisation with django-guardian (direct foreign-key
permission tables, one per model), never post by post. Posts, people, appointments and cycles are
then filtered *by query* from those grants, so one grant on a system reaches everything in it.

The three grants, from least to most:

- ``view_register``       see the register of the system/organisation (CMO/CNO office, read-only HR)
- ``edit_register``       also create and change posts, people and appointments (HR)
- ``approve_extensions``  also agree extensions and approvals to recruit (CMO/CNO office)

Each grant implies ``view_register``. Administrators (superusers) see and change everything.
Exceptions (an appraiser on one appointment, a leader on their own record) are per-object grants or
the leader's own link from Person to User, and are handled on the QuerySets themselves.
"""

import functools

from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Exists, OuterRef

VIEW = "view_register"
EDIT = "edit_register"
APPROVE = "approve_extensions"

IMPLIES_VIEW = (VIEW, EDIT, APPROVE)
GRANTS = {
    VIEW: "See the register",
    EDIT: "Edit posts, people and appointments",
    APPROVE: "Agree extensions and approvals to recruit",
}


def _codenames(perm):
    return IMPLIES_VIEW if perm == VIEW else (perm,)


def _granted(user, model_name, perm):
    """Primary keys of the objects of ``model_name`` on which ``user`` holds ``perm``, directly or
    through one of their groups. A short list, fetched first, so that the big queries that use it
    filter on plain ids (which PostgreSQL plans far better than nested subqueries). Remembered on
    the user object, which lives for one request."""
    by_codename = remembered(user, "grants", lambda: _fetch_granted(user))[model_name]
    return sorted(set().union(*(by_codename.get(codename, ()) for codename in _codenames(perm))))


def remembered(user, key, fetch):
    """What ``fetch()`` answers about ``user``, asked once and remembered on the user object,
    which lives for one request: a page asks "which systems may they see?" from a dozen
    QuerySets."""
    cache = user.__dict__.setdefault("_ccpl_grants", {})
    if key not in cache:
        cache[key] = fetch()
    return cache[key]


def forget_grants(user):
    """Drop the remembered grants after changing them on this user object."""
    user.__dict__.pop("_ccpl_grants", None)


GRANTED_ON = ("System", "Organisation")


def _fetch_granted(user):
    """{model name: {codename: {object ids}}}: every register grant ``user`` holds on a system
    or an organisation, directly or through a group, in one query. Every signed-in page asks
    this first; as four ORM queries it cost 2.5 ms of CPU a page, as one statement 0.15."""
    granted = {model_name: {} for model_name in GRANTED_ON}
    with connection.cursor() as cursor:
        cursor.execute(_grants_sql(), [user.pk, *IMPLIES_VIEW] * (2 * len(GRANTED_ON)))
        for model_name, object_id, codename in cursor.fetchall():
            granted[model_name].setdefault(codename, set()).add(object_id)
    return granted


@functools.cache
def _grants_sql():
    """The statement ``_fetch_granted`` runs, written once from the permission models' tables:
    for each of System and Organisation, the user's own grants, then their groups'. Values are
    parameters (the user's id, the codenames); every name is read from the models, never
    input."""
    quote = connection.ops.quote_name

    def column(model, field):
        return quote(model._meta.get_field(field).column)

    permission = quote(Permission._meta.db_table)
    membership = get_user_model().groups.through
    codenames = ", ".join(["%s"] * len(IMPLIES_VIEW))
    selects = []
    for model_name in GRANTED_ON:
        for kind, holder in (("User", "user"), ("Group", "group")):
            grants = apps.get_model("roles", f"{model_name}{kind}ObjectPermission")
            # Names from the models' _meta and the fixed GRANTED_ON, never input: not injectable.
            select = (f"SELECT '{model_name}', g.{column(grants, 'content_object')}, "  # noqa: S608
                      f"p.{column(Permission, 'codename')} "
                      f"FROM {quote(grants._meta.db_table)} g "
                      f"JOIN {permission} p ON p.{column(Permission, 'id')} = "
                      f"g.{column(grants, 'permission')} ")
            if holder == "user":
                select += f"WHERE g.{column(grants, 'user')} = %s "
            else:
                select += (f"JOIN {quote(membership._meta.db_table)} m "
                           f"ON m.{column(membership, 'group')} = g.{column(grants, 'group')} "
                           f"WHERE m.{column(membership, 'user')} = %s ")
            selects.append(select + f"AND p.{column(Permission, 'codename')} IN ({codenames})")
    return " UNION ALL ".join(selects)


def granted_systems(user, perm=VIEW):
    return _granted(user, "System", perm)


def granted_organisations(user, perm=VIEW):
    return _granted(user, "Organisation", perm)


def scoped(method):
    """For the QuerySet methods that answer what a user may see or do (``visible_to``,
    ``editable_by``…): nothing for a signed-out or deactivated user, everything for an
    administrator, and otherwise what the method itself filters."""

    @functools.wraps(method)
    def for_user(queryset, user, *args, **kwargs):
        if not is_signed_in(user):
            return queryset.none()
        if user.is_superuser:
            return queryset.all()
        return method(queryset, user, *args, **kwargs)

    return for_user


def flag(allowed):
    """An annotation that is true for the rows also in ``allowed`` (a QuerySet of the same
    model scoped to a user, such as ``editable_by(user)``): what the user may do to each row,
    worked out in the query that fetches the rows."""
    return Exists(allowed.filter(pk=OuterRef("pk")))


def is_signed_in(user):
    return bool(user and user.is_authenticated and user.is_active)


def is_admin(user):
    return is_signed_in(user) and user.is_superuser


def holds_any_grant(user):
    """Whether the user holds a register grant anywhere (HR, CMO/CNO office). Every grant implies
    ``view_register``, so this reads the same remembered grants the page's queries use."""
    return bool(granted_systems(user) or granted_organisations(user))


def needs_mfa(user):
    """Staff roles sign in with a second factor: administrators and anyone holding a grant."""
    return is_signed_in(user) and (user.is_staff or user.is_superuser or holds_any_grant(user))


def has_totp(user):
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def grant_holders(model_name, codename, object_ids):
    """{object id: [active users holding ``codename`` on it, directly or through a group]} for
    many systems or organisations at once (two queries, however many objects)."""
    User = get_user_model()
    holders = {pk: [] for pk in object_ids}
    users_by_id = {}
    pairs = []
    for kind in ("User", "Group"):
        perms = apps.get_model("roles", f"{model_name}{kind}ObjectPermission")
        rows = perms.objects.filter(content_object_id__in=object_ids,
                                    permission__codename=codename)
        if kind == "User":
            pairs += list(rows.values_list("content_object_id", "user_id"))
        else:
            pairs += list(rows.filter(group__user__isnull=False)
                          .values_list("content_object_id", "group__user"))
    for user in User.objects.filter(pk__in={u for _, u in pairs}, is_active=True):
        users_by_id[user.pk] = user
    for object_id, user_id in sorted(set(pairs)):
        if user_id in users_by_id:
            holders[object_id].append(users_by_id[user_id])
    return holders


def hr_of_posts(posts):
    """{post id: [HR users]}: whoever may edit the post's host organisation, then whoever may
    edit its system, each once (four queries, however many posts)."""
    posts = list(posts)
    by_org = grant_holders("Organisation", EDIT, {p.host_organisation_id for p in posts})
    by_system = grant_holders("System", EDIT, {p.system_id for p in posts})
    return {p.pk: list({u.pk: u for u in [*by_org[p.host_organisation_id],
                                           *by_system[p.system_id]]}.values())
            for p in posts}
