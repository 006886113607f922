"""A private iCalendar feed per user: the term ends and job description reviews they care
about, from the same permission-filtered QuerySets as the pages."""

import datetime
import re

import icalendar
from django.conf import settings
from django.utils import timezone

from roles.models import JobDescription, Post

from .models import Appointment

HORIZON_DAYS = 400


# icalendar escapes and folds (RFC 5545 § 3.1, § 3.3.11). Before it does, every way text can
# break a line (CR, LF, CRLF, and the vertical tab, form feed, NEL and separators that lenient
# readers also split on) becomes one newline, which it escapes; any other control character is
# dropped, as are lone surrogates, which cannot be written in UTF-8. So no text from a user can
# end a line or start a property of its own, whatever reads the feed.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _text(text):
    return _FORBIDDEN.sub("", _LINE_BREAK.sub("\n", str(text)))


def _event(uid, day, summary, description, url, stamp):
    event = icalendar.Event()
    event.add("uid", f"{uid}@ccpl")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + datetime.timedelta(days=1))
    event.add("summary", _text(summary))
    event.add("description", _text(description))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def feed_for(user, today=None):
    """The user's feed as text/calendar: every term end they can see in the next
    HORIZON_DAYS, and the job description reviews of the posts they edit."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=HORIZON_DAYS)
    stamp = timezone.now().astimezone(datetime.UTC).replace(microsecond=0)
    feed = icalendar.Calendar()
    feed.add("version", "2.0")
    feed.add("prodid", "-//CCPL//Leadership register//EN")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", "CCPL: term ends and reviews")
    appointments = (
        Appointment.objects.visible_to(user).live()
        .filter(end_date__gte=today, end_date__lte=horizon)
        .select_related("person", "post")
        .order_by("end_date", "pk")
    )
    for a in appointments:
        feed.add_component(_event(
            f"term-end-{a.pk}-{a.end_date:%Y%m%d}", a.end_date,
            f"Term ends: {a.person} — {a.post}",
            f"The last day of {a.person}'s term as {a.post}.",
            f"{settings.SITE_URL}{a.get_absolute_url()}", stamp,
        ))
    for jd in JobDescription.objects.current().filter(post__in=Post.objects.editable_by(user)):
        due = jd.review_due_on
        if today <= due <= horizon:
            feed.add_component(_event(
                f"jd-review-{jd.pk}", due, f"Job description review due: {jd.post}",
                f"Version {jd.version} was last reviewed on {jd.reviewed_on:%-d %B %Y}.",
                f"{settings.SITE_URL}{jd.post.get_absolute_url()}", stamp,
            ))
    return feed.to_ical().decode()
