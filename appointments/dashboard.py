"""What the home page shows each user, built from the permission-filtered QuerySets. Each part is
a fixed number of queries, however large the register."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from roles.models import EstablishmentBudget, Post

from .models import (
    Appointment,
    ApprovalRequest,
    ApprovalRoute,
    HonoraryContract,
    PartyDecision,
)

LIST_LIMIT = 10
WINDOWS = (30, 90, 180)
LAPSED_WITHIN_DAYS = 365  # terms that ended in the last year with nothing decided


@dataclass
class Bar:
    """A horizontal bar: how much of an envelope is used, for an inline SVG."""

    label: str
    used: Decimal
    envelope: Decimal
    unit: str

    @property
    def is_over(self):
        return self.used > self.envelope

    @property
    def fill_percent(self):
        if not self.envelope:
            return 100 if self.used else 0
        return min(100, round(self.used / self.envelope * 100))

    @property
    def envelope_percent(self):
        """Where the envelope line sits when the bar is over it."""
        if not self.used or self.used <= self.envelope:
            return 100
        return round(self.envelope / self.used * 100)

    @property
    def description(self):
        state = "over" if self.is_over else "within"
        return f"{self.label}: {self.used:,} of {self.envelope:,} {self.unit}, {state} the envelope"


def _bar_value(value):
    return (value or Decimal("0")).quantize(Decimal("0.01"))


def build(user, today=None):
    """Everything the home page shows ``user``, from the register they can see."""
    today = today or timezone.localdate()
    appointments = Appointment.objects.visible_to(user)
    posts = Post.objects.visible_to(user)
    return {
        "today": today,
        **_terms(appointments, posts, today),
        **_awaiting(user),
        "budgets": _budgets(user, today),
        "pools": _honorarium_pools(posts, today),
        "honorary": HonoraryContract.objects.visible_to(user).in_force(today)
        .counts_by_partner(),
        "own_appointments": list(
            Appointment.objects.filter(person__user=user).select_related("post")
            .order_by("-end_date")[:LIST_LIMIT]),
        "has_register": posts.exists(),
    }


def _terms(appointments, posts, today):
    """Terms ending soon with nothing decided, terms that ended with nothing decided, and posts
    left vacant."""
    return {
        "ending_counts": list(appointments.ending_counts(WINDOWS, on=today).items()),
        "undecided": list(
            appointments.ending_within(max(WINDOWS), on=today).undecided()
            .select_related("person", "post__host_organisation").order_by("end_date", "pk")
            [:LIST_LIMIT]),
        # The state, not the dates: the daily sweep moved these to "term ended".
        "overdue": list(
            appointments.lapsed(today, within_days=LAPSED_WITHIN_DAYS)
            .select_related("person", "post").order_by("-end_date", "pk")[:LIST_LIMIT]),
        "vacant": list(
            posts.vacant(today).filter(Exists(Appointment.objects.filter(post=OuterRef("pk"))))
            .select_related("host_organisation").order_by("title", "pk")[:LIST_LIMIT]),
    }


AWAITING = {  # the lists of the home page, by what the requests are about
    "awaiting": ApprovalRoute.Subject.EXTENSION,
    "to_approve": ApprovalRoute.Subject.RECRUITMENT,
    "appointments_to_agree": ApprovalRoute.Subject.APPOINTMENT,
}


def _awaiting(user):
    """For each subject, [(party still to decide, whether this user may take the decision)] on
    the requests the user can see, those they may take first: one row per party, so a joint
    route shows each of its parties. Three queries for all three lists: which decisions (the
    first of each subject, by window, as ids), then those decisions with what they are about."""
    visible = ApprovalRequest.objects.visible_to(user).pending()
    mine = _first_of_each_subject(PartyDecision.objects.decidable_by(user))
    others = _first_of_each_subject(PartyDecision.objects.awaiting()
                                    .filter(request__in=visible.values("pk"))
                                    .exclude(pk__in=[pk for pk, _ in mine]))
    decisions = PartyDecision.objects.select_related(
        "request__requested_by", "request__appointment__person", "request__appointment__post",
        "request__vacancy__post__host_organisation", "request__post", "request__person",
    ).in_bulk([pk for pk, _ in [*mine, *others]])
    taken = {pk for pk, _ in mine}
    lists = {subject: [] for subject in AWAITING.values()}
    for pk, subject in [*mine, *others]:
        if len(lists[subject]) < LIST_LIMIT:
            lists[subject].append((decisions[pk], pk in taken))
    return {name: lists[subject] for name, subject in AWAITING.items()}


def _first_of_each_subject(decisions):
    """[(id, subject)] of the first LIST_LIMIT decisions of each subject, oldest request first."""
    order = [F("request__requested_at").asc(), F("pk").asc()]
    return list(
        decisions.annotate(place=Window(RowNumber(), partition_by=F("request__subject"),
                                        order_by=order))
        .filter(place__lte=LIST_LIMIT).order_by(*order)
        .values_list("pk", "request__subject"))


def _budgets(user, today):
    return [
        Bar(str(b.name), _bar_value(b.allocation().allocated), b.wte_envelope, "WTE")
        for b in EstablishmentBudget.objects.visible_to(user).with_allocation(today)
        .select_related("system").order_by("system__name", "name")[:LIST_LIMIT]
    ]


def _honorarium_pools(posts, today):
    return [
        Bar(post.title, _bar_value(sum((a.honorarium_share for a in post.holders), Decimal(0))),
            post.honorarium, "£")
        for post in posts.filter(honorarium_is_pool=True).order_by("title", "pk")
        .prefetch_related(Prefetch("appointments", to_attr="holders",
                                   queryset=Appointment.objects.in_force(today)))[:LIST_LIMIT]
    ]
