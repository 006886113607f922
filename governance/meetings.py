"""Meetings of a body read back: whether each was quorate, by the body's rule (``QuorumRule``),
and how often each member attended.

The rule counts voting members only: a member in attendance without a vote never makes a
meeting quorate. A voting member counts when present, or — if the rule says deputies count —
when they sent a named deputy (the deputy stands in their seat, and counts as what the seat
counts as). Apologies and absence do not count. The share is of the voting members recorded for
the meeting, rounded up ("half of 7" needs 4), and never less than the rule's minimum; then each
category the rule names (executives, clinicians, lay members) needs that many of the counted
members. A body with no rule recorded has no verdict, rather than a guessed one."""

import math
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import ExtractYear

from .models import Attendance, Meeting, QuorumRule

CATEGORIES = [("executives", "executive", "executive", "executives"),
              ("clinicians", "clinical", "clinician", "clinicians"),
              ("lay_members", "lay", "lay member", "lay members")]


@dataclass
class Verdict:
    quorate: bool | None  # None: the body has no rule
    counted: int = 0
    voting: int = 0
    needed: int = 0
    shortfalls: list = field(default_factory=list)

    @property
    def text(self):
        if self.quorate is None:
            return "No quorum rule recorded"
        if self.quorate:
            return "Quorate"
        return "Not quorate: needs " + " and ".join(self.shortfalls)

    @property
    def colour(self):
        return {None: "grey", True: "green", False: "red"}[self.quorate]


def counts(attendance, rule):
    if not attendance.voting:
        return False
    if attendance.status == Attendance.Status.PRESENT:
        return True
    return attendance.status == Attendance.Status.DEPUTY and rule.deputies_count


def evaluate(rule, attendances):
    """The verdict on a meeting with these attendances under ``rule`` (or None)."""
    if rule is None:
        return Verdict(quorate=None)
    voting = [a for a in attendances if a.voting]
    counted = [a for a in voting if counts(a, rule)]
    needed = max(math.ceil(rule.fraction * len(voting)), rule.minimum)
    shortfalls = []
    if len(counted) < needed:
        more = needed - len(counted)
        shortfalls.append(f"{more} more voting member{'s' if more > 1 else ''}")
    for rule_field, flag, one, many in CATEGORIES:
        required = getattr(rule, rule_field)
        have = sum(1 for a in counted if getattr(a, flag))
        if have < required:
            more = required - have
            shortfalls.append(f"{more} more {one if more == 1 else many}")
    return Verdict(quorate=not shortfalls, counted=len(counted), voting=len(voting),
                   needed=needed, shortfalls=shortfalls)


def rule_text(rule):
    """The rule in words: "half the voting members (at least 3), including 1 executive and 1
    clinician; deputies count"."""
    if rule is None:
        return "No quorum rule recorded"
    share = {1: "all", 0.5: "half"}.get(float(rule.fraction), f"{rule.fraction:.0%}")
    text = f"{share} the voting members" if share in ("all", "half") else \
        f"{share} of the voting members"
    if rule.minimum:
        text += f" (at least {rule.minimum})"
    required = [f"{getattr(rule, f)} {one if getattr(rule, f) == 1 else many}"
                for f, _, one, many in CATEGORIES if getattr(rule, f)]
    if required:
        text += ", including " + " and ".join(required)
    text += "; a deputy counts" if rule.deputies_count else "; deputies do not count"
    return text[0].upper() + text[1:]


def attendance_rates(body):
    """[{year, member, attended, deputised, expected, rate}] per member per calendar year, from
    the attendance recorded at the body's meetings (one query). A member is whoever held the
    seat (the person, or the named holder); attending is being present — a deputy is shown but
    is not the member attending."""
    rows = (Attendance.objects.filter(meeting__body=body)
            .annotate(year=ExtractYear("meeting__held_on"))
            .values("year", "person_id", "member")
            .annotate(expected=Count("pk"),
                      attended=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
                      deputised=Count("pk", filter=Q(status=Attendance.Status.DEPUTY)))
            .order_by("-year", "member", "person_id"))
    return [{**row, "rate": round(100 * row["attended"] / row["expected"])} for row in rows]


def body_meetings(body):
    """What the body's page shows of its meetings: the latest twelve with their verdicts, the
    attendance rates and the rule in words (four queries however many meetings)."""
    rule = QuorumRule.objects.filter(body=body).first()
    recent = list(body.meetings.prefetch_related("attendances").order_by("-held_on", "-pk")[:12])
    for meeting in recent:
        meeting.verdict = evaluate(rule, list(meeting.attendances.all()))
    return {"meetings": recent, "attendance_rates": attendance_rates(body),
            "rule_text": rule_text(rule)}


def corrections(meeting):
    """[{when, by, what, before, after, reason}], oldest first: each correction made to the
    meeting's record after it was recorded — its title, or a member's attendance — from the
    history (two queries). The recording itself is not a correction."""
    changes = []
    for history, what, shown in (
            (Meeting.history.filter(id=meeting.pk), lambda h: "Title",
             lambda h: h.title),
            (Attendance.history.filter(meeting_id=meeting.pk), lambda h: h.member,
             lambda h: h.instance.status_text)):
        previous = {}
        for h in history.select_related("history_user").order_by("history_date", "history_id"):
            before = previous.get(h.id)
            if before is not None and h.history_type == "~" and shown(before) != shown(h):
                changes.append({"when": h.history_date, "by": h.history_user, "what": what(h),
                                "before": shown(before), "after": shown(h),
                                "reason": h.history_change_reason})
            previous[h.id] = h
    return sorted(changes, key=lambda change: change["when"])
