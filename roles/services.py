"""The state changes of the establishment: posts, and their job descriptions.

Job descriptions change by versions: a new version is written whole, and earlier versions stay
as they were so anyone can read what a post holder was appointed against. A review that changes
nothing moves the review date of the current version only (simple-history keeps the old date).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import Criterion, JobDescription, Post, edits_an_organisation

ASSESSMENTS = ["by_application", "by_interview", "by_presentation", "by_references"]
NO_ESSENTIAL = "Add at least one essential criterion."
REVIEWED_IN_FUTURE = "The date reviewed must be today or in the past."


# Checks of a post's new statutory duties against what its holders meet, registered by the app
# that knows holders (appointments: ``AppConfig.ready``). Each is
# ``check(post, duties) -> list of messages``.
_duty_checks = []


def add_duty_check(check):
    _duty_checks.append(check)
    return check


def duty_refusals(post, duties):
    """Why ``post`` may not carry ``duties`` with the holders it has ([]: it may)."""
    return [message for check in _duty_checks for message in check(post, list(duties))]


@transaction.atomic
def save_post(*, post, by, functions=None, statutory_duties=None):
    """Save a new or changed post (its fields already set) with ``by`` in its history, and its
    functions and statutory duties when given. HR add posts to, and change the posts of, the
    systems and organisations they edit."""
    if post.pk and not Post.objects.editable_by(by).filter(pk=post.pk).exists():
        raise PermissionDenied("You cannot change this post.")
    if not post.pk and not edits_an_organisation(by):
        raise PermissionDenied("You cannot add posts.")
    post.full_clean()
    if statutory_duties is not None:
        refused = duty_refusals(post, statutory_duties)
        if refused:
            raise ValidationError({"statutory_duties": refused})
    post._history_user = by
    post.save()
    if functions is not None:
        post.functions.set(functions)
    if statutory_duties is not None:
        post.statutory_duties.set(statutory_duties)
    return post


@transaction.atomic
def new_job_description(*, post, summary, responsibilities, reviewed_on, criteria, by):
    """Record the next version of ``post``'s job description with its person specification.
    ``criteria`` are dicts of category, text, requirement and the four ``by_*`` flags, in the
    order they are to be read. Nothing is carried over from the previous version."""
    # Locking the post serialises two people writing a new version at once: the second waits
    # and then takes the next number instead of failing on the unique constraint.
    post = Post.objects.select_for_update().get(pk=post.pk)
    latest = post.job_descriptions.aggregate(latest=Max("version"))["latest"] or 0
    job_description = JobDescription(
        post=post, version=latest + 1, summary=summary, responsibilities=responsibilities,
        reviewed_on=reviewed_on, created_by=by,
    )
    job_description.full_clean()
    rows = [Criterion(job_description=job_description, order=order,
                      **{name: row.get(name, False) for name in ASSESSMENTS},
                      category=row["category"], text=row["text"],
                      requirement=row["requirement"])
            for order, row in enumerate(criteria)]
    for row in rows:
        row.full_clean(exclude=["job_description"])
    errors = {}
    if reviewed_on > timezone.localdate():
        errors["reviewed_on"] = REVIEWED_IN_FUTURE
    if not any(row.requirement == Criterion.Requirement.ESSENTIAL for row in rows):
        errors["criteria"] = NO_ESSENTIAL
    if errors:
        raise ValidationError(errors)
    job_description._history_user = by
    job_description.save()
    Criterion.objects.bulk_create(rows)  # criteria have no history: a version never changes
    return job_description


@transaction.atomic
def mark_job_description_reviewed(*, job_description, on, by):
    """Record that the current version was reviewed on ``on`` and still stands, which puts the
    next review a year after ``on``."""
    Post.objects.select_for_update().get(pk=job_description.post_id)
    job_description = JobDescription.objects.select_for_update().get(pk=job_description.pk)
    latest = job_description.post.job_descriptions.aggregate(latest=Max("version"))["latest"]
    if job_description.version != latest:
        raise ValidationError(f"Version {job_description.version} has been replaced by "
                              f"version {latest}; review that one instead.")
    if on > timezone.localdate():
        raise ValidationError(REVIEWED_IN_FUTURE)
    if on < job_description.reviewed_on:
        raise ValidationError(f"This version was already reviewed on "
                              f"{job_description.reviewed_on:%-d %B %Y}.")
    if on != job_description.reviewed_on:
        job_description.reviewed_on = on
        job_description._history_user = by
        job_description.save(update_fields=["reviewed_on"])
    return job_description
