"""A private iCalendar feed per user: the term ends and job description reviews they care
about, from the same permission-filtered QuerySets as the pages."""

import datetime
import re

from django.conf import settings
from django.utils import timezone

from roles.models import JobDescription, Post

from .models import Appointment

HORIZON_DAYS = 400


# RFC 5545 § 3.3.11: a TEXT value holds no control character but HTAB, and a line break in it is
# written as a backslash and an "n". Every way text can break a line (CR, LF, CRLF, and the
# vertical tab, form feed, NEL and separators that lenient readers also split on) becomes that one
# escaped break; any other control character is dropped, as are lone surrogates, which cannot be
# written in UTF-8. So no text from a user can end a line or start a property of its own.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(text):
    text = _FORBIDDEN.sub("", _LINE_BREAK.sub("\n", str(text)))
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _fold(line):
    """Lines longer than 75 octets are folded, as RFC 5545 requires."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _event(uid, day, summary, description, url, stamp):
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}@ccpl",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + datetime.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{url}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def feed_for(user, today=None):
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=HORIZON_DAYS)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//CCPL//Leadership register//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_escape('CCPL: term ends and reviews')}"]
    appointments = (
        Appointment.objects.visible_to(user).live()
        .filter(end_date__gte=today, end_date__lte=horizon)
        .select_related("person", "post")
        .order_by("end_date", "pk")
    )
    for a in appointments:
        lines += _event(
            f"term-end-{a.pk}-{a.end_date:%Y%m%d}", a.end_date,
            f"Term ends: {a.person} — {a.post}",
            f"The last day of {a.person}'s term as {a.post}.",
            f"{settings.SITE_URL}{a.get_absolute_url()}", stamp,
        )
    for jd in JobDescription.objects.current().filter(post__in=Post.objects.editable_by(user)):
        due = jd.review_due_on
        if today <= due <= horizon:
            lines += _event(
                f"jd-review-{jd.pk}", due, f"Job description review due: {jd.post}",
                f"Version {jd.version} was last reviewed on {jd.reviewed_on:%-d %B %Y}.",
                f"{settings.SITE_URL}{jd.post.get_absolute_url()}", stamp,
            )
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
