"""The private calendar feed: whatever people and posts are called, every property is one line of
its own (RFC 5545 content lines, folded at 75 octets) and the text reads back as it was written.

The feed is read back here the way a strict reader would (lines end with CRLF only, a line that
starts with a space continues the one before) and also the way a lenient one would (Python's
``splitlines`` breaks on CR, LF, NEL, the separators and more): both must see the same lines."""

import datetime
import re

import icalendar
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from appointments import calendar
from roles.models import JobDescription

D = datetime.date
TODAY = D(2026, 11, 23)
NAME = re.compile(r"[A-Z][A-Z0-9-]*")
# What a reader may see as the end of a line: CR, LF and what splitlines also breaks on.
BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def physical_lines(body):
    assert body.endswith("\r\n")
    lines = body[:-2].split("\r\n")
    for line in lines:
        assert not set(line) & set(BREAKS), repr(line)
        assert len(line.encode()) <= 75, line
    # A lenient reader that splits on any line break sees exactly the same lines.
    assert body.splitlines() == lines
    return lines


def content_lines(body):
    """The unfolded content lines as (name, parameters, value)."""
    logical = []
    for line in physical_lines(body):
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    parsed = []
    for line in logical:
        head, _, value = line.partition(":")
        name, *parameters = head.split(";")
        assert NAME.fullmatch(name), line
        parsed.append((name, parameters, value))
    return parsed


def unescape(value):
    """RFC 5545 TEXT: a backslash escapes one of \\ ; , n N; a bare ; or , would split the
    value in two, so there is none."""
    text, chars = [], iter(value)
    for char in chars:
        assert char not in ";,", value
        if char == "\\":
            escaped = next(chars, "")
            assert escaped in ("\\", ";", ",", "n", "N"), value
            char = "\n" if escaped in "nN" else escaped
        text.append(char)
    return "".join(text)


def events(body):
    lines = content_lines(body)
    assert lines[0] == ("BEGIN", [], "VCALENDAR") and lines[-1] == ("END", [], "VCALENDAR")
    found, current = [], None
    for name, _, value in lines[1:-1]:
        if (name, value) == ("BEGIN", "VEVENT"):
            assert current is None
            current = {}
        elif (name, value) == ("END", "VEVENT"):
            found.append(current)
            current = None
        elif current is not None:
            assert name not in current, f"{name} twice in one event"
            current[name] = value
        else:
            assert name in {"VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-CALNAME"}, name
    assert current is None
    return found


def written(text):
    """What the feed promises to carry of ``text``: every kind of line break as one newline,
    other control characters dropped. icalendar also reads a backslash before a capital N as
    RFC 5545's escaped line break, so that pair is a newline too."""
    text = re.sub("\r\n|[" + BREAKS + "]", "\n", text)
    return re.sub("[\x00-\x08\x0e-\x1f\x7f-\x9f]", "", text).replace("\\N", "\n")


@pytest.fixture
def feed(hr_north, north_appointment):
    JobDescription.objects.create(post=north_appointment.post, summary="x",
                                  reviewed_on=D(2026, 3, 1))

    def with_names(given, family, title):
        person, post = north_appointment.person, north_appointment.post
        person.given_name, person.family_name = given, family
        person.save(update_fields=["given_name", "family_name"])
        post.title = title
        post.save(update_fields=["title"])
        return calendar.feed_for(hr_north, today=TODAY)

    return with_names


def check(body, given, family, title):
    term_end, review = events(body)
    assert unescape(term_end["SUMMARY"]) == written(f"Term ends: {given} {family} — {title}")
    assert unescape(term_end["DESCRIPTION"]) == written(
        f"The last day of {given} {family}'s term as {title}.")
    assert term_end["DTSTART"] == "20270331"
    assert unescape(review["SUMMARY"]) == written(f"Job description review due: {title}")
    assert review["DTSTART"] == "20270301"


@pytest.mark.parametrize("given, family, title", [
    ("Ann\rBEGIN:VEVENT", "Example", "Lead"),
    ("Ann", "Example\nSUMMARY:forged", "Lead"),
    ("Ann", "Example", "Lead\r\nEND:VEVENT\r\nBEGIN:VEVENT"),
    ("Ann, Jr; MD", "O\\Brien\\n", "Lead, Stroke; Frailty\\;"),
    ("Zoë", "Ñúñez-O'Brien " * 7, "Clinical Lead for 心臓 and 🫀 " * 5),
    ("Ann\x0bVT", "Form\x0cfeed\x85NEL", "Line\u2028Sep\u2029Para\x07bell\x1bESC"),
    ("Ann", "O\\Neill\\\\N", "Lead\\"),
])
def test_hostile_names_stay_inside_their_property(feed, given, family, title):
    check(feed(given, family, title), given, family, title)


# Printable text of every script plus everything that can end a line or start a property.
hostile_text = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        st.sampled_from([*BREAKS, "\r\n", ";", ",", "\\", ":", "\\n", "\t", "\x07"]),
    ),
    min_size=1, max_size=60,
).map("".join).filter(str.strip)


@given(given=hostile_text, family=hostile_text, title=hostile_text)
@example(given="\r", family="\n", title="\r\n")
@example(given="é" * 100, family="🫀" * 100, title="x" * 99 + "é" * 100)
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_any_names_stay_inside_their_property_and_read_back(feed, given, family, title):
    check(feed(given, family, title), given, family, title)


def test_a_long_title_reads_back_through_icalendars_own_parser(feed):
    title = ("Clinical Lead, Stroke; Frailty and End-of-Life Care\nNorth Central London "
             "(Barnet, Camden; Enfield) — Zoë Ñúñez, 心臓 and 🫀 network; phase 2, wave 3")
    assert len(title) <= 200  # what a post's title may hold
    body = feed("Zoë", "Ñúñez-O'Brien", title)
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert "\r\n " in body  # long properties are folded
    parsed = icalendar.Calendar.from_ical(body)
    assert str(parsed["X-WR-CALNAME"]) == "CCPL: term ends and reviews"
    term_end, review = parsed.walk("VEVENT")
    assert str(term_end["SUMMARY"]) == f"Term ends: Zoë Ñúñez-O'Brien — {title}"
    assert str(term_end["DESCRIPTION"]) == f"The last day of Zoë Ñúñez-O'Brien's term as {title}."
    assert term_end.decoded("DTSTART") == D(2027, 3, 31)
    assert term_end.decoded("DTEND") == D(2027, 4, 1)
    assert str(review["SUMMARY"]) == f"Job description review due: {title}"
    assert review.decoded("DTSTART") == D(2027, 3, 1)
    assert str(term_end["UID"]).endswith("@ccpl") and str(term_end["URL"]).startswith("http")
