"""Crafted input never breaks a page (issue 11, item 5).

For a signed-in HR user, every URL of the app — walked from the URL resolver, so a new page is
covered without anyone listing it — is opened with hostile query parameters, every form the
pages show is submitted with hostile values, every link the pages show is followed, and an
import is uploaded with hostile cells. The answer is never a server error nor seconds of work,
and a submission that is refused (a form error, an error message, or a 4xx answer) leaves every
table as it was: no partial writes.

Hostile means what a crafted request holds: digits of other scripts (², ٣, ３), integers that
overflow every column, NaN and the infinities, impossible dates and date parts, NUL bytes and
control characters, very long text, and SQL, HTML and template markers. Each page gets them in
two ways:
- a sweep, so no pair is left to chance: every parameter at once with each kind of value; and
  for forms, each field alone (each date's day, month and year together), the rest as the page
  itself would send them, so the value gets past validation into the services;
- hypothesis, for mixtures: a few fields changed at random, the page's own choices among them.
The stored world is hostile too (names with control characters, formula and template markers),
so lists, exports and PDFs show such text.

The examples are fixed (``derandomize``), so CI is repeatable. Each request runs in a savepoint
that is rolled back afterwards, so every one starts from the same world.

Left out, and why:
- ``account_logout``: it ends the session every other request needs.
- Django admin (``admin:``): administrators only, with Django's own forms; out of scope here.
- URLs whose address holds a secret sent from elsewhere are opened with a made-up one: the
  e-mail confirmation and password reset keys (allauth), the bulk change and import previews
  (their token names a plan kept in the cache; confirming reads no parameters) and the calendar
  feed of another user. The rater's private page and the leader's survey page get real
  tokens, so their questionnaires are fuzzed too.
"""

import csv
import datetime
import io
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.forms import BaseForm
from django.forms.formsets import BaseFormSet
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from appointments import imports, services
from appointments.models import Appointment, Person
from appraisals.models import Cycle, Rater
from appraisals.services import open_cycle
from ccpl.exports import safe_cell
from ccpl.filters import NotificationFilter
from ccpl.models import Notification
from roles.filters import PostFilter
from roles.forms import MAX_CRITERIA
from roles.models import Post
from surveys.services import open_survey as open_survey_of

from .factories import (
    AppointmentFactory,
    PersonFactory,
    PostFactory,
    RoleTypeFactory,
    UserFactory,
)
from .test_access_walk import RULES, _url, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db

GET_EXAMPLES = 6
POST_EXAMPLES = 15
# No shrinking: a failure is reported as found, with the values sent (CI time is the budget).
FUZZ = {"derandomize": True, "database": None, "deadline": None, "print_blob": False,
        "suppress_health_check": list(HealthCheck), "phases": [Phase.explicit, Phase.generate]}

LEFT_OUT = {"account_logout"}
SKIPPED_PREFIXES = ("admin:",)
MADE_UP_KWARGS = {
    "account_confirm_email": {"key": "no-such-key"},
    "account_reset_password_from_key": {"uidb36": "0", "key": "no-such-key"},
    "openid_connect_login": {"provider_id": "no-such-provider"},
    "openid_connect_callback": {"provider_id": "no-such-provider"},
}

# Parameter names that any list or page might read, beside the ones its own forms show.
GENERIC_NAMES = ["system", "role_type", "post", "person", "appointment", "organisation",
                 "function", "state", "status", "sort", "page", "q", "export", "kind", "since",
                 "since_day", "since_month", "since_year", "ending_within", "undecided",
                 "profession", "recipient", "next", "token", "pk", "id", "format"]

HOSTILE = [
    # digits of other scripts, which str.isdigit() accepts and int() may not
    "²", "٣", "３", "𝟗", "߁", "½", "Ⅻ", "١٢", "２０２７", "٢٠٢٧", "१",
    # integers that overflow every column, and other numbers a column cannot hold
    "99999999999999999999", "-99999999999999999999", "9" * 400, "9" * 5000,
    str(2 ** 63), str(-(2 ** 63) - 1), str(2 ** 31), "1" + "0" * 30, "-1", "-0", "+1", " 1 ",
    "0", "1.5", "1,5", "0x10", "1_000", "1e3",
    "NaN", "nan", "sNaN", "-NaN", "inf", "Infinity", "-Infinity", "1e999", "-1e999",
    "1e-999", "1E+999999999", "9e99999999999",
    # dates that do not exist, or at the ends of the calendar
    "31/02/2026", "2026-02-31", "29/02/2027", "2026-13-01", "0000-00-00", "0001-01-01",
    "9999-12-31", "99999-01-01", "31", "32", "00", "13",
    # text that is not what it seems
    "", " ", "\x00", "a\x00b", "\x01\x0b\x1f", "\t", "\r\n", "\r", "\u202e", "\ufeff", "😀",
    "İ", "ß", "x" * 10000,
    "' OR 1=1 --", '"; DROP TABLE x; --', "%", "_", "\\", "<script>alert(1)</script>",
    "{{ 7|add:1 }}", "{% debug %}", "%(x)s", "{0}", "${7*7}", "=HYPERLINK(\"x\")",
    "../../../etc/passwd", "javascript:alert(1)", "null", "None", "true", "[]", "{}",
]

text_without_surrogates = st.text(alphabet=st.characters(exclude_categories=["Cs"]),
                                  max_size=30)
hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    text_without_surrogates,
)


def plausible(name):
    """A value a careful user might type in a field of this name."""
    for ending, value in (("_day", "1"), ("_month", "6"), ("_year", "2027")):
        if name.endswith(ending):
            return value
    if "email" in name:
        return "fuzz@example.org"
    if "wte" in name:
        return "0.2"
    if "honorarium" in name:
        return "1000"
    if name.startswith(("applied_", "shortlisted_")) or name.endswith("_months"):
        return "1"
    return "Fuzz"


# --- The pages' forms, read from their HTML --------------------------------------------------

@dataclass
class Field:
    kind: str
    sent: list = field(default_factory=list)  # what the page would send as it is
    options: list = field(default_factory=list)  # the values offered (select, radio, checkbox)


@dataclass
class Form:
    method: str
    action: str
    fields: dict = field(default_factory=dict)

    def add(self, name, kind):
        return self.fields.setdefault(name, Field(kind))

    @property
    def buttons(self):
        return [name for name, f in self.fields.items() if f.kind == "button"]

    def baseline(self):
        """What a user would send having filled in every field: the page's own values, blanks
        filled with plausible ones, the first option where nothing is chosen."""
        data = {}
        for name, f in self.fields.items():
            if f.kind in ("button", "file"):
                continue
            if f.kind == "checkbox":
                data[name] = list(f.sent)
            elif f.kind in ("radio", "select"):
                chosen = [v for v in f.sent if v]
                offered = [v for v in f.options if v]
                data[name] = chosen or offered[:1]
            elif f.sent and f.sent[0]:
                data[name] = list(f.sent)
            else:
                data[name] = [plausible(name)]
        return data


class FormReader(HTMLParser):
    """The forms of a page, with each field's kind, the values it would send and those it
    offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.links = []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = Form(method=(a.get("method") or "get").lower(),
                              action=a.get("action", ""))
            self.forms.append(self._form)
            return
        name = a.get("name")
        if self._form is None:
            return
        if tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.sent.append(value)
        elif not name:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                self._form.add(name, "button").sent = [a.get("value", "")]
            elif kind in ("checkbox", "radio"):
                f = self._form.add(name, kind)
                f.options.append(a.get("value", "on"))
                if "checked" in a:
                    f.sent.append(a.get("value", "on"))
            else:
                self._form.add(name, kind).sent = [a.get("value", "")]
        elif tag == "button":
            self._form.add(name, "button").sent = [a.get("value", "")]
        elif tag == "select":
            self._select = self._form.add(name, "select")
        elif tag == "textarea":
            self._textarea = self._form.add(name, "textarea")
            self._textarea.sent = [""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.sent[0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:
                self._textarea.sent[0] = self._textarea.sent[0].removeprefix("\n")
            self._textarea = None


def read_page(response, page_url):
    """The page's forms, each with its action made absolute (a form without one posts back to
    the page), and the page's links to itself with a query string (sorting, paging, exports)
    as one more GET form whose fields offer the values the links use."""
    if "html" not in response.get("Content-Type", ""):
        return [], []
    reader = FormReader()
    reader.feed(response.content.decode())
    path = urlsplit(page_url).path
    for form in reader.forms:
        form.action = urlsplit(form.action or page_url).path or path
    links = Form("get", path)
    for href in reader.links:
        parts = urlsplit(href)
        if parts.path in ("", path):
            for name, value in parse_qsl(parts.query, keep_blank_values=True):
                links.add(name, "link").options.append(value)
    local = [href for href in reader.links if href.startswith(("/", "?"))
             and not href.startswith("//")]
    return [*reader.forms, links], local


# --- Every URL of the app --------------------------------------------------------------------

def every_url_name(patterns=None, namespace=""):
    names = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names += every_url_name(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.append(f"{namespace}{entry.name}")
    return sorted({n for n in names if not n.startswith(SKIPPED_PREFIXES)} - LEFT_OUT)


def address(name, objects, user, rater_token):
    """The URL to fuzz: for the app's own pages, the north object test_access_walk names for
    it (so a new page needs describing there, once); for allauth's, its plain address."""
    if name == "appraisals:rater":
        return reverse(name, kwargs={"token": rater_token})
    if name == "surveys:answer":
        return reverse(name, kwargs={"token": objects["survey_token"]})
    if name in RULES:
        return _url(name, RULES[name][0], objects["north"], user)
    return reverse(name, kwargs=MADE_UP_KWARGS.get(name))


@pytest.fixture
def fuzz_world(request):
    """test_access_walk's world, plus stored text as hostile as what the fuzz types (so lists,
    exports and PDFs show it) and a 360° cycle whose rater has a working private link."""
    users, objects = request.getfixturevalue("world")
    north = objects["north"]
    # Extensions in the north may be recorded as agreed outside the register, so the extend
    # page shows (and the fuzz sends) how, the evidence and the date agreed too.
    route = services.route_for(north["system"], "extension")
    route.allows_outside_agreement = True
    route.save()
    Person.objects.filter(pk=north["person"].pk).update(
        given_name="Zoë\x01\x0b\u202e", family_name="=HYPERLINK(\"x\") <b>{{ user }}</b>")
    Post.objects.filter(pk=north["post"].pk).update(title="+1 ' OR 1=1 -- \x1f{% debug %}")
    appointment = AppointmentFactory(
        post=PostFactory(host_organisation=north["post"].host_organisation,
                         system=north["system"]),
        person=PersonFactory(substantive_employer=north["post"].host_organisation,
                             user=UserFactory()),
        start_date=datetime.date(2024, 4, 1), end_date=datetime.date(2027, 3, 31))
    cycle = open_cycle(appointment=appointment, by=users["admin"], appraiser=UserFactory())
    Cycle.objects.filter(pk=cycle.pk).update(stage=Cycle.Stage.COLLECTING)
    rater = Rater(cycle=cycle, group="peer", name="Peer", email="peer@fuzz.example",
                  status=Rater.Status.INVITED)
    token = rater.new_token()
    rater.save()
    # A leader's working link to this year's survey, so its page is fuzzed too.
    survey, _ = open_survey_of(framework=north["framework"], year=2026,
                               closes_on=datetime.date(2026, 12, 21), by=users["admin"])
    invitation = survey.invitations.order_by("pk").first()
    objects["survey_token"] = invitation.new_token()
    invitation.save()
    return users, objects, token


@pytest.fixture
def signed_in(client, fuzz_world):
    users, objects, token = fuzz_world
    client.force_login(users["hr"])
    client.raise_request_exception = False
    urls = {name: address(name, objects, users["hr"], token) for name in every_url_name()}
    return client, urls


@pytest.fixture
def no_weasyprint(monkeypatch):
    """PDFs are built from templates that get the same data as the pages; the fuzz renders the
    templates but not the PDF itself, which takes a second each time and reads no input."""
    monkeypatch.setattr("weasyprint.HTML.write_pdf", lambda self, *a, **k: b"%PDF-1.7 fuzz")


# --- One exchange, rolled back ---------------------------------------------------------------

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# A page answers in tens of milliseconds; one that takes seconds was made to build or parse
# something the size of the crafted input (a formset of 2,000 rows, say). Counted in this
# process's CPU time, not on the wall clock: a machine busy with other work slows every page
# without any input having made the server work harder.
SLOW_SECONDS = 3
# Sessions change with every request (last activity, allauth's state): not the register.
NOT_THE_REGISTER = {"django_session"}


class Tables:
    """Every table's rows as the world left them, read once per table when first needed."""

    def __init__(self):
        self.models = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
        self.before = {}

    def rows(self, table):
        return list(self.models[table]._base_manager.order_by("pk").values_list())

    def baseline(self, table):
        if table not in self.before:
            self.before[table] = self.rows(table)
        return self.before[table]


def written_tables(queries):
    tables = set()
    for query in queries:
        match = WRITE.match(query["sql"])
        if match:
            tables.add(match.group(1))
    return tables - NOT_THE_REGISTER


def refused(response):
    """A submission the page turned down: a 4xx, an error message, or a form with errors."""
    if 400 <= response.status_code < 500:
        return True
    added = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    if any(m.level >= message_levels.ERROR for m in added):
        return True
    contexts = response.context if isinstance(response.context, list) else [response.context]
    for context in contexts:
        if context is None or not hasattr(context, "flatten"):
            continue
        for value in context.flatten().values():
            if isinstance(value, BaseForm | BaseFormSet) and value.is_bound and \
                    not value.is_valid():
                return True
    return False


def exchange(client, method, url, data, tables):
    """Send one request in a savepoint that is rolled back; return what went wrong, if anything.
    A refused submission must leave every table it touched as it was."""
    cookies = client.cookies
    client.cookies = SimpleCookie(cookies)
    problem, after = None, {}
    with transaction.atomic():
        connection.queries_log.clear()  # a full log would capture nothing
        started = time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, data)
        took = time.process_time() - started
        if response.status_code >= 500:
            error = response.exc_info[1] if getattr(response, "exc_info", None) else None
            problem = f"{response.status_code} ({error!r})"
        elif took > SLOW_SECONDS:
            problem = f"took {took:.1f} s of CPU: crafted input made the server work too hard"
        elif method == "post" and refused(response):
            after = {table: tables.rows(table) for table in written_tables(queries)}
        transaction.set_rollback(True)
    # Signing out, a new session key or a message waiting in a cookie is undone with the rest.
    client.cookies = cookies
    if problem is None:
        changed = sorted(t for t, rows in after.items() if rows != tables.baseline(t))
        if changed:
            problem = f"refused ({response.status_code}) but wrote to {', '.join(changed)}"
    if problem:
        shown = {k: [_short(v) for v in vs] if isinstance(vs, list) else _short(vs)
                 for k, vs in data.items() if k != "csrfmiddlewaretoken"}
        return f"{method.upper()} {url} {shown}: {problem}"
    return None


def _short(value):
    text = value if isinstance(value, str) else getattr(value, "name", repr(value))
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}… ({len(text)} characters)"


# --- What to send ----------------------------------------------------------------------------

# One value of each kind of hostile input: every parameter and every field gets each of them.
CLASSES = [
    "²",  # str.isdigit() says yes, int() says no
    "٢٠٢٧",  # Arabic-Indic digits: int() and Decimal() read them
    "２０２７",  # fullwidth digits
    "99999999999999999999",  # past any 64-bit column
    "9" * 5000,  # past the digits int() reads from a string
    "-1",
    "NaN",
    "-Infinity",
    "1e999",
    "1e-999",
    "31/02/2026",
    "a\x00b",  # NUL: PostgreSQL refuses it in text
    "\x01\x0b\x1f\u202e",  # control characters: XML (XLSX, PDF) refuses most of them
    "x" * 10000,
    "<script>{{ 7 }}{% debug %}' OR 1=1 --",
    "",
]
# One field at a time, the rest as the page would send them, so these reach the services.
ONE_FIELD = ["²", "99999999999999999999", "NaN", "1e999", "-1", "a\x00b"]
DATE_PARTS = [  # (day, month, year), one date field at a time
    ("1" + "0" * 30, "1", "2027"), ("1", "1" + "0" * 30, "2027"), ("1", "1", "99999"),
    ("²", "1", "2027"), ("٣", "٣", "٢٠٢٧"), ("31", "2", "2027"), ("31", "12", "9999"),
    ("1", "1", "0001"), ("0", "0", "0000"), ("-1", "1", "2027"),
]


def date_fields(names):
    return sorted({n.removesuffix("_day") for n in names
                   if n.endswith("_day") and n.removesuffix("_day") + "_year" in names})


def values_for(f):
    choices = [st.sampled_from(HOSTILE), hostile_values]
    if f is not None and f.options:
        choices.append(st.sampled_from(f.options))
    one = st.one_of(*choices)
    return st.one_of(one.map(lambda v: [v]), st.lists(one, min_size=2, max_size=3),
                     st.just([]))


def fuzz_each(urls, check):
    """Run ``check`` (a hypothesis test, or a sweep) for each URL, collecting every URL's
    failures instead of stopping at the first."""
    failures = []
    for name, url in urls.items():
        try:
            failures += check(name, url) or []
        except AssertionError as error:
            failures.append(f"{name}: {str(error).splitlines()[0]}")
        except ExceptionGroup as group:  # hypothesis found more than one distinct failure
            failures += [f"{name}: {str(error).splitlines()[0]}" for error in group.exceptions]
    return failures


@dataclass
class Pages:
    """What the user sees at each URL: whether it opens, the forms it shows, and the forms
    (on any page) that post to it."""

    opens: set
    shown: dict
    posted_to: dict
    links: set

    @classmethod
    def read(cls, client, urls):
        paths = {urlsplit(url).path: name for name, url in urls.items()}
        pages = cls(set(), {name: [] for name in urls}, {name: [] for name in urls}, set())
        for name, url in urls.items():
            response = client.get(url)
            if response.status_code == 200:
                pages.opens.add(name)
            forms, links = read_page(response, url)
            pages.links |= {urljoin(url, href) for href in links}
            for form in forms:
                pages.shown[name].append(form)
                target = paths.get(form.action)
                if form.method == "post" and target is not None:
                    pages.posted_to[target].append(form)
        return pages


def one_field_values(f):
    """The values to try in one field, the rest as the page would send them: for a choice, a
    value it does not offer is refused the same way whatever it is."""
    if f.kind in ("radio", "checkbox"):
        return ["²", "a\x00b"]
    if f.kind == "select":
        return ["²", "99999999999999999999", "a\x00b"]
    return ONE_FIELD


# --- The tests -------------------------------------------------------------------------------

def test_every_page_answers_hostile_query_parameters_without_a_server_error(
        signed_in, no_weasyprint):
    client, urls = signed_in
    tables = Tables()
    pages = Pages.read(client, urls)

    def check(name, url):
        fields = {n: f for form in pages.shown[name] if form.method == "get"
                  for n, f in form.fields.items() if f.kind != "button"}
        names = sorted(set(fields) | set(GENERIC_NAMES))
        # Every parameter at once with each kind of hostile value (a few, where the page does
        # not open for this user: a 404 or 405 comes before any parameter is read)...
        problems = [exchange(client, "get", url, dict.fromkeys(names, value), tables)
                    for value in (CLASSES if name in pages.opens else CLASSES[:4])]
        if name not in pages.opens:
            return [p for p in problems if p]

        # ...then random mixtures of hostile values and the page's own choices.
        @hypothesis_settings(max_examples=GET_EXAMPLES, **FUZZ)
        @given(st.fixed_dictionaries({}, optional={n: values_for(fields.get(n))
                                                   for n in names}))
        def fuzz(query):
            problem = exchange(client, "get", url, query, tables)
            assert problem is None, problem

        fuzz()
        return [p for p in problems if p]

    failures = fuzz_each(urls, check)
    assert not failures, "\n".join(failures)


def test_every_form_refuses_hostile_values_without_a_server_error_or_a_partial_write(
        signed_in, no_weasyprint):
    client, urls = signed_in
    tables = Tables()
    pages = Pages.read(client, urls)
    everywhere = sorted({n for forms in pages.posted_to.values() for f in forms
                         for n in f.fields})

    def check(name, url):
        forms = pages.posted_to[name]
        if not forms:
            # No form posts here for this user: every name a form uses anywhere, at once.
            return [p for p in (exchange(client, "post", url, dict.fromkeys(everywhere, value),
                                         tables) for value in CLASSES[:4]) if p]
        problems = []
        for form in forms:
            names = sorted(form.fields)
            baseline = form.baseline()
            # Every field at once with each kind of hostile value...
            for value in CLASSES:
                problems.append(exchange(client, "post", url,
                                         dict.fromkeys(names, value), tables))
            # ...each field alone, the rest as the page would send them...
            dates = date_fields(names)
            for field_name, f in form.fields.items():
                if f.kind == "button" or field_name == "csrfmiddlewaretoken" or any(
                        field_name.startswith(f"{d}_") for d in dates):
                    continue
                for value in one_field_values(f):
                    problems.append(exchange(client, "post", url,
                                             baseline | {field_name: value}, tables))
            for date in dates:
                for day, month, year in DATE_PARTS:
                    problems.append(exchange(client, "post", url, baseline | {
                        f"{date}_day": day, f"{date}_month": month, f"{date}_year": year},
                        tables))

        # ...then random changes to a few fields, with or without the page's buttons.
        @hypothesis_settings(max_examples=POST_EXAMPLES, **FUZZ)
        @given(st.data())
        def fuzz(data):
            form = data.draw(st.sampled_from(forms), label="form")
            sent = form.baseline()
            names = sorted(form.fields)
            for _ in range(data.draw(st.integers(0, 4), label="changes")):
                key = data.draw(st.sampled_from(names + GENERIC_NAMES), label="field")
                sent[key] = data.draw(values_for(form.fields.get(key)), label=key)
            for button in form.buttons:
                if data.draw(st.booleans(), label=button):
                    sent[button] = form.fields[button].sent
            problem = exchange(client, "post", url, sent, tables)
            assert problem is None, problem

        fuzz()
        return [p for p in problems if p]

    failures = fuzz_each(urls, check)
    assert not failures, "\n".join(failures)


def test_every_link_on_every_page_opens_without_a_server_error(signed_in, no_weasyprint):
    """Exports, sorting and paging included, over stored text as hostile as the fuzz's."""
    client, urls = signed_in
    tables = Tables()
    pages = Pages.read(client, urls)
    failures = []
    for link in sorted(pages.links):
        match = resolve(urlsplit(link).path)
        if match.view_name in LEFT_OUT or match.view_name.startswith(SKIPPED_PREFIXES):
            continue
        problem = exchange(client, "get", link, {}, tables)
        if problem:
            failures.append(problem)
    assert not failures, "\n".join(failures)


def test_a_crafted_number_of_criteria_is_refused_not_built(signed_in, north_post):
    """TOTAL_FORMS is the client's to say; the server builds at most MAX_CRITERIA rows."""
    client, _ = signed_in
    url = reverse("roles:job-description-new", args=[north_post.pk])
    response = client.post(url, {
        "summary": "Leads.", "reviewed_on_day": "1", "reviewed_on_month": "6",
        "reviewed_on_year": "2026", "criteria-TOTAL_FORMS": "99999999999999999999",
        "criteria-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert len(response.context["form"].criteria.forms) == MAX_CRITERIA
    assert f"at most {MAX_CRITERIA} criteria" in response.content.decode()


# --- The faults the fuzz found, one by one -------------------------------------------------

@pytest.mark.parametrize(("day", "month", "year", "message"), [
    ("²", "1", "2027", "must be a real date, with a 4-digit year"),  # isdigit(), not int()
    ("1" + "0" * 30, "1", "2027", "must be a real date, with a 4-digit year"),  # overflow
    ("1", "1", "99999", "must be a real date, with a 4-digit year"),
    ("٣", "٣", "٢٠٢٧", "must be a real date, with a 4-digit year"),
    ("31", "2", "2027", "must be a real date."),
    ("1", "12", "9999", "must be between 1900 and 2199"),  # a term added to it overflows
    ("1", "1", "0001", "must be between 1900 and 2199"),
])
def test_the_date_input_refuses_what_is_not_a_date_it_can_work_with(day, month, year, message):
    form = NotificationFilter({"since_day": day, "since_month": month, "since_year": year},
                              Notification.objects.none()).form
    assert not form.is_valid()
    assert message in form.errors["since"][0]


@pytest.mark.parametrize("system", ["²", "99999999999999999999", "9" * 5000, "-1", "a\x00b"])
def test_the_post_filter_finds_nothing_for_a_system_it_cannot_read(hr_north, north_post,
                                                                  system):
    filters = PostFilter({"system": system}, Post.objects.all(),
                         request=SimpleNamespace(user=hr_north))
    assert list(filters.qs) == []
    assert "system" in filters.errors


def test_a_spreadsheet_cell_holds_no_control_character_and_no_formula():
    assert safe_cell("Zoë\x01\x0b") == "Zoë"
    assert safe_cell("\x01=HYPERLINK(1)") == "'=HYPERLINK(1)"


@pytest.mark.parametrize("text", ["NaN", "sNaN", "-Infinity", "1E+999999999", "-1"])
def test_an_import_number_that_is_no_amount_is_an_error_in_its_column(text):
    errors = []
    assert imports._decimal(text, "post_wte", lambda *error: errors.append(error)) is None
    assert errors[0][0] == "post_wte"


def test_the_fuzz_sees_a_partial_write(signed_in, monkeypatch):
    """The harness itself: a refusal after a write is caught, even though the savepoint would
    have hidden it."""
    client, urls = signed_in
    url = urls["appointments:appointment-extend"]

    def extend_then_refuse(*, appointment, by, **data):
        Appointment.objects.filter(pk=appointment.pk).update(end_date=datetime.date(2030, 1, 1))
        raise ValidationError({"new_end_date": "Refused after writing."})

    monkeypatch.setattr("appointments.services.request_extension", extend_then_refuse)
    data = {"new_end_date_day": "1", "new_end_date_month": "6", "new_end_date_year": "2028",
            "reason": "r"}
    problem = exchange(client, "post", url, data, Tables())
    assert problem.endswith("refused (200) but wrote to appointments_appointment")


def test_the_fuzz_reaches_the_forms(signed_in):
    """The harness itself: it finds the forms, so the fuzz is not quietly sending nothing."""
    client, urls = signed_in
    pages = Pages.read(client, urls)
    extend = pages.posted_to["appointments:appointment-extend"][0]
    assert {"new_end_date_day", "new_end_date_month", "new_end_date_year", "reason", "how",
            "evidence"} <= set(extend.fields)
    assert date_fields(extend.fields) == ["agreed_on", "new_end_date"]
    assert "system" in {n for f in pages.shown["appointments:post-list"] for n in f.fields}
    assert pages.posted_to["appraisals:rater"], "the rater's questionnaire is fuzzed too"
    assert sum(bool(forms) for forms in pages.posted_to.values()) >= 30
    assert len(pages.opens) >= 40


def test_made_up_addresses_are_not_found_rather_than_a_server_error(signed_in):
    """Ids that overflow every column, in the address itself."""
    client, urls = signed_in
    tables = Tables()
    failures = []
    for name in urls:
        pattern = resolve(urlsplit(urls[name]).path)
        if not pattern.kwargs:
            continue
        for made_up in ("0", "99999999999999999999", str(2 ** 63), "9" * 400):
            try:
                url = reverse(name, kwargs=dict.fromkeys(pattern.kwargs, made_up))
            except NoReverseMatch:  # the address itself refuses it (a token's length)
                continue
            problem = exchange(client, "get", url, {}, tables) or exchange(
                client, "post", url, {}, tables)
            if problem:
                failures.append(problem)
    assert not failures, "\n".join(failures)


# --- Spreadsheet imports ---------------------------------------------------------------------

NUMBER_COLUMNS = ["post_wte", "post_honorarium", "appointment_wte", "honorarium_share"]
HOSTILE_NUMBERS = ["NaN", "nan", "sNaN", "-NaN", "inf", "-Infinity", "1e999", "1e-999",
                   "1E+999999999", "٣", "３", "²", "99999999999999999999", "9" * 5000, "-1",
                   "£1,000", "0x10"]
DATE_COLUMNS = ["start_date", "end_date"]
HOSTILE_DATES = ["9999-12-01", "9999-12-31", "0001-01-01", "31/12/9999", "2026-02-31",
                 "31/02/2026", "٢٠٢٦-٠٤-٠١", "99999-01-01", "2026-4-1", "-2026-04-01"]


@pytest.fixture
def import_page(client, hr_north, north, north_trust):
    """HR's import page, and a row it would import (the rest of each submission)."""
    client.force_login(hr_north)
    client.raise_request_exception = False
    services.configure_route(system=north, subject="appointment",
                             parties=[("CMO/CNO office", "office", [])],
                             allows_outside_agreement=True, by=None)
    header, example = imports.template_rows()
    row = dict(zip(header, example, strict=True)) | {
        "system": north.short_name, "host_organisation": north_trust.ods_code,
        "role_type": RoleTypeFactory().name, "end_date": ""}
    return client, Tables(), row


def upload(row):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([list(row), list(row.values())])
    file = io.BytesIO(buffer.getvalue().encode())
    file.name = "hostile.csv"
    return {"file": file}


def test_the_import_fuzz_starts_from_a_row_that_imports(import_page):
    client, _, row = import_page
    response = client.post(reverse("appointments:import"), upload(row))
    assert response.context["report"].is_valid, response.context["report"].errors


def test_every_number_and_date_column_of_an_import_refuses_hostile_values(import_page):
    client, tables, row = import_page
    url = reverse("appointments:import")
    changes = [{column: value} for column in NUMBER_COLUMNS for value in HOSTILE_NUMBERS]
    # A blank end date takes the post's default term from the start: the far end of the
    # calendar must not overflow it.
    changes += [{column: value} for column in DATE_COLUMNS for value in HOSTILE_DATES]
    problems = [f"{change}: {problem}" for change in changes
                if (problem := exchange(client, "post", url, upload(row | change), tables))]
    assert not problems, "\n".join(problems)


@hypothesis_settings(max_examples=25, **FUZZ)
@given(cells=st.dictionaries(st.sampled_from([c.name for c in imports.COLUMNS]),
                             hostile_values,
                             min_size=1, max_size=3),
       numbers=st.dictionaries(st.sampled_from(NUMBER_COLUMNS),
                               st.sampled_from(HOSTILE_NUMBERS), max_size=2),
       dates=st.dictionaries(st.sampled_from(DATE_COLUMNS), st.sampled_from(HOSTILE_DATES),
                             max_size=2))
def test_an_import_with_hostile_cells_is_previewed_with_errors_not_a_server_error(
        import_page, cells, numbers, dates):
    client, tables, row = import_page
    problem = exchange(client, "post", reverse("appointments:import"),
                       upload(row | cells | numbers | dates), tables)
    assert problem is None, problem
