"""What the daily sweep finds due about posts: the annual review of job descriptions.
Registered with the ledger in ``RolesConfig.ready()``."""

import datetime

from dateutil.relativedelta import relativedelta

from ccpl import access
from ccpl.models import Notification
from ccpl.notifications import Due, chunks

from .models import JobDescription, Post

JD_NOTICE_DAYS = 30


def ids_visible_to(user):
    """The job descriptions whose reminders the user may read: those of the posts they see."""
    return JobDescription.objects.filter(post__in=Post.objects.visible_to(user)).values("pk")


def job_description_reviews(today, digest_users):
    """A month before a job description's annual review falls due, to the host's HR."""
    current = JobDescription.objects.current().filter(
        reviewed_on__lte=today - relativedelta(years=1) + datetime.timedelta(days=JD_NOTICE_DAYS),
        reviewed_on__gte=today - relativedelta(years=1) - datetime.timedelta(days=JD_NOTICE_DAYS),
        post__disestablished_on__isnull=True,
    ).select_related("post__host_organisation").order_by("pk")
    for chunk in chunks(current):
        hr = access.grant_holders("Organisation", access.EDIT,
                                  {jd.post.host_organisation_id for jd in chunk})
        for jd in chunk:
            context = {"job_description": jd,
                       "subject": f"Job description review due: {jd.post}"}
            for user in hr[jd.post.host_organisation_id]:
                if user.pk not in digest_users:
                    yield Due(Notification.Kind.JD_REVIEW, f"review@{jd.review_due_on}", jd,
                              user.email.lower(), user, context)
