"""Benchmarks on the national data set (see README): server time per page, median and p95, with
the number of queries, and the daily reminder sweep.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccpl_bench DEBUG=1 \\
        .venv/bin/python manage.py generate_data --scale national
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccpl_bench make bench

Pages are requested in-process with Django's test client (server time, no network), as an HR
user of one system, a CMO office of one system, and an administrator who sees all 42; then the
API's list endpoints (a page of 100) with a token of an HR user of the largest system, and every
appointment of that system read through the cursor, with the queries of each page.
BENCH_ONLY=public runs only the published register, BENCH_ONLY=api only the API.
"""

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccpl.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")  # measure the API, not its limit

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from guardian.shortcuts import assign_perm  # noqa: E402

from appointments.models import Appointment  # noqa: E402
from ccpl import access, notifications, services  # noqa: E402
from ccpl.models import Notification, User  # noqa: E402
from governance import transparency  # noqa: E402
from governance.models import Body, Meeting  # noqa: E402
from roles.models import Post, System  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
ONLY = os.environ.get("BENCH_ONLY", "")  # "public": only the published register; "api"


def user(email, **grants):
    account, _ = User.objects.get_or_create(email=email, defaults={"full_name": email})
    account.is_superuser = account.is_staff = grants.pop("superuser", False)
    account.save()
    for codename, system in grants.items():
        assign_perm(f"roles.{codename}", account, system)
    return account


def measure(client, url, runs=RUNS):
    client.get(url)  # warm caches and the session
    times, queries = [], 0
    for _ in range(runs):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], queries


def main():
    if connection.vendor != "postgresql":
        print("Run the benchmarks on PostgreSQL with the national data set (see README).")
        return 1
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    settings.MFA_REQUIRED_FOR_STAFF = False
    system = System.objects.filter(short_name__startswith="GEN").order_by("pk").first()
    if system is None:
        print("No generated data: run manage.py generate_data --scale national first.")
        return 1
    personas = {
        "HR (one system)": user("bench.hr@example.org", **{access.EDIT: system}),
        "CMO office (one system)": user("bench.cmo@example.org",
                                        **{access.VIEW: system, access.APPROVE: system}),
        "administrator (all)": user("bench.admin@example.org", superuser=True),
    }
    post = Post.objects.filter(system=system, appointments__extensions__isnull=False).first()
    appointment = Appointment.objects.filter(post=post).first()
    body = Body.objects.filter(system=system).annotate(n=Count("seats")).order_by("-n").first()
    # The meeting with the most members recorded (a board's), with their declared interests.
    meeting = (Meeting.objects.filter(body__system=system).annotate(n=Count("attendances"))
               .order_by("-n", "pk").first())
    if ONLY in ("", "public"):
        bench_public(system)
        print()
    if ONLY in ("", "api"):
        bench_api()
        print()
    if ONLY in ("public", "api"):
        return 0
    pages = [
        ("dashboard", "/"),
        ("post list", "/posts/"),
        ("post list, vacant", "/posts/?status=vacant"),
        ("post list, page 20 sorted by WTE", "/posts/?sort=-wte&page=20"),
        ("post detail", f"/posts/{post.pk}/"),
        ("appointment list", "/appointments/"),
        ("appointment list, ending in 90 days", "/appointments/?ending_within=90&undecided=on"),
        ("appointment detail", f"/appointments/{appointment.pk}/"),
        ("people list", "/people/"),
        ("recruitment", "/recruitment/?state="),
        ("investment by function", f"/governance/investment/?system={system.pk}"),
        ("body page", f"/governance/bodies/{body.pk}/"),
        *([(f"meeting page ({meeting.n} members)", f"/governance/meetings/{meeting.pk}/")]
          if meeting else []),
        ("fit and proper person dashboard", "/fppt/"),
    ]
    print(f"{Post.objects.count():,} posts, {Appointment.objects.count():,} appointments; "
          f"{RUNS} requests per page\n")
    print(f"{'page':40} {'user':26} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, persona in personas.items():
        client = Client()
        client.force_login(persona)
        for name, url in pages:
            median, p95, queries = measure(client, url)
            print(f"{name:40} {label:26} {median:10.1f} {p95:8.1f} {queries:8d}")
    print()
    bench_sweep()
    print()
    bench_appraisals(personas["administrator (all)"])
    return 0


def bench_public(system):
    """The published register, as an anonymous visitor sees it."""
    client = Client()
    short = system.short_name
    pages = [
        ("register, first page", f"/register/{short}/"),
        ("register, page 10", f"/register/{short}/?page=10"),
        ("register, search", f"/register/{short}/?q=lead"),
        ("diversity summary", f"/register/{short}/diversity/"),
        ("diversity summary CSV", f"/register/{short}/diversity.csv"),
        ("register index", "/register/"),
    ]
    held = transparency.holdings(system).count()
    print(f"The public register of {system.name}: {held:,} roles held; {RUNS} requests each\n")
    print(f"{'page':40} {'user':26} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, url in pages:
        median, p95, queries = measure(client, url)
        print(f"{name:40} {'anonymous':26} {median:10.1f} {p95:8.1f} {queries:8d}")


API_LISTS = [("systems", ""), ("organisations", ""), ("posts", "&system={system}"),
             ("people", ""), ("appointments", "&system={system}"),
             ("vacancies", "&state=all&system={system}"), ("bodies", "&system={system}"),
             ("seats", "&system={system}")]


def bench_api():
    """The API as a BI extract meets it: with an HR token of the largest system, each list
    endpoint's page of 100, then every appointment of the system following the cursor (the
    queries of each page must not grow with its depth)."""
    system = (System.objects.filter(short_name__startswith="GEN")
              .annotate(n=Count("posts")).order_by("-n").first())
    hr = user("bench.api.hr@example.org", **{access.EDIT: system})
    _, secret = services.create_access_token(name="benchmark", scope="read", days=1,
                                             second_factor=True, by=hr)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    print(f"The API with an HR token of {system.name} ({system.n:,} posts); {RUNS} requests "
          f"each\n")
    print(f"{'endpoint':40} {'user':26} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for kind, query in API_LISTS:
        url = f"/api/v1/{kind}/?page_size=100{query.format(system=system.pk)}"
        median, p95, queries = measure(client, url)
        print(f"{kind + ', page of 100':40} {'HR (largest system)':26} {median:10.1f} "
              f"{p95:8.1f} {queries:8d}")
    url = f"/api/v1/appointments/?system={system.pk}&page_size=100"
    times, queries, rows = [], set(), 0
    started = time.perf_counter()
    while url:
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.add(len(captured))
        page = json.loads(response.content)
        rows += len(page["results"])
        parts = urlsplit(page["next"]) if page["next"] else None
        url = f"{parts.path}?{parts.query}" if parts else None
    elapsed = time.perf_counter() - started
    times.sort()
    print(f"export of every appointment of {system.short_name}: {rows:,} rows, {len(times)} "
          f"pages of 100 in {elapsed:.1f} s; a page median {statistics.median(times):.1f} ms, "
          f"p95 {times[max(0, int(len(times) * 0.95) - 1)]:.1f} ms, queries a page "
          f"{'/'.join(str(q) for q in sorted(queries))}")


def bench_sweep():
    """The daily reminder sweep on the whole register, excluding SMTP (nothing is sent)."""
    Notification.objects.all().delete()
    for label in ("first run (records everything due)", "second run (nothing new)"):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result, _ = notifications.sweep(queue=False)
            elapsed = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"reminder sweep, {label}: {elapsed:.2f} s, {len(captured)} queries, "
              f"{result.due:,} due, {result.recorded:,} recorded, peak RSS {rss:.0f} MB")


def bench_appraisals(admin):
    """A cycle with 30 raters: its report page and PDF. Then 1,000 cycles opened in one go and
    their 10,000 raters invited in one go (rolled back afterwards)."""
    import random

    from django.db import transaction

    from appointments.models import Person
    from appraisals import services
    from appraisals.models import Cycle, Rater, Statement

    rng = random.Random(5)  # noqa: S311 - benchmark data, not secrets
    appointments = list(
        Appointment.objects.in_force().filter(person__user__isnull=True,
                                              post__responsible_to__isnull=False)
        .select_related("person", "post").order_by("pk")[:1001])
    User.objects.bulk_create([User(email=f"bench.leader{a.pk}@example.org",
                                   full_name=str(a.person)) for a in appointments],
                             ignore_conflicts=True)
    by_email = {u.email: u for u in User.objects.filter(email__startswith="bench.leader")}
    for appointment in appointments:
        appointment.person.user = by_email[f"bench.leader{appointment.pk}@example.org"]
    # Appraisers too: whoever holds the posts these are responsible to.
    managers = list(Appointment.objects.in_force().filter(
        post__in=[a.post.responsible_to_id for a in appointments], person__user__isnull=True)
        .select_related("person"))
    User.objects.bulk_create([User(email=f"bench.appraiser{m.pk}@example.org",
                                   full_name=str(m.person)) for m in managers],
                             ignore_conflicts=True)
    by_email.update({u.email: u for u in
                     User.objects.filter(email__startswith="bench.appraiser")})
    for manager in managers:
        manager.person.user = by_email[f"bench.appraiser{manager.pk}@example.org"]
    Person.objects.bulk_update([a.person for a in appointments]
                               + [m.person for m in managers], ["user"])

    first = appointments[0]
    cycle = services.open_cycle(appointment=first, by=admin, appraiser=admin)
    Cycle.objects.filter(pk=cycle.pk).update(stage="collecting")
    statements = list(Statement.objects.filter(dimension__version=cycle.template_version))
    for n in range(30):
        group = ["manager", "peer", "team", "partner"][0 if n == 0 else 1 + n % 3]
        rater = Rater.objects.create(cycle=cycle, group=group, name=f"R{n}",
                                     email=f"r{n}@bench.example", status="invited")
        services.save_rater_answers(
            rater=rater, answers={s.pk: rng.choice([None, 1, 2, 3, 4]) for s in statements},
            keep_doing=f"Comment {n} " * 20, submit=True)
    services.close_cycle(cycle=cycle, by=admin)
    client = Client()
    client.force_login(admin)
    for label, url in (("360° report page, 30 raters", f"/appraisals/{cycle.pk}/report/"),
                       ("360° report PDF, 30 raters", f"/appraisals/{cycle.pk}/report.pdf")):
        median, p95, queries = measure(client, url, runs=10)
        print(f"{label:40} {'administrator':26} {median:10.1f} {p95:8.1f} {queries:8d}")

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        opened, skipped = services.open_cycles(
            appointments=Appointment.objects.filter(pk__in=[a.pk for a in appointments[1:]]),
            by=admin)
        Rater.objects.bulk_create([
            Rater(cycle=c, group=g, name=f"{g}{i}", email=f"{g}{i}@bench.example")
            for c in opened
            for g, count in (("manager", 1), ("peer", 3), ("team", 3), ("partner", 3))
            for i in range(count)], batch_size=5000)
        invited = services.invite_raters_of(opened)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)  # leave the data set as it was
    print(f"opening {len(opened):,} cycles ({len(skipped)} skipped) and recording "
          f"{len(invited):,} invitations: {elapsed:.1f} s, {len(captured):,} queries")


if __name__ == "__main__":
    sys.exit(main())
