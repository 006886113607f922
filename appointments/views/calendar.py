"""The private calendar feed: a user's term ends and job-description reviews, for their
calendar app."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from ccpl.models import User

from .. import calendar


def calendar_feed(request, token):
    """Private by its address, not by a session: calendar apps cannot sign in."""
    user = get_object_or_404(User, calendar_token=token, is_active=True)
    response = HttpResponse(calendar.feed_for(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ccpl.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response
