"""The benchmark users will trust: pages as they meet them, over HTTP from gunicorn with the
production settings (DEBUG off, Redis cache), on the national data set, for an HR user and a CMO
office of the largest system, an anonymous visitor, an administrator in Django admin, and the
API with an HR token of the largest system: each list endpoint's first page of 100, and every
appointment of the system read through the cursor (BENCH_EXPORT_PAGE_SIZE rows to a page, 500 by
default), with the p50/p95 of its pages and the whole export's time.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccpl_bench
    make bench-http

Prints, for each page requested alone in interleaved rounds, p50 and p95 client time in ms and
its ratio to the bare page (the anonymous sign-in page) measured in the same run, and for the HR
pages to the signed-in floor (a signed-in page that reads nothing of the register); then, with
wrk, requests per second, p50 and p95 under concurrent load for the bare page, the signed-in
floor and the HR pages cycled through. BENCH_ROUNDS (20), BENCH_CONNECTIONS (50),
BENCH_SECONDS (30), BENCH_WORKERS (3).

Last, the daily reminder sweep as an operator runs it: ``manage.py send_reminders`` with the same
settings and Redis as the broker (no worker), on an emptied ledger (the first run records and
queues everything due) and again (nothing new), with its wall and CPU time, its peak memory and
the messages left on the broker. It queues on its own Redis database (BENCH_SWEEP_REDIS_URL,
redis://127.0.0.1:6379/15), emptied before and after, so no worker ever sends what it queues.
It empties the bench database's ledger.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
EXPORT_PAGE_SIZE = int(os.environ.get("BENCH_EXPORT_PAGE_SIZE", "500"))
HOST = "127.0.0.1"

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + "k" * 40,
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback: no TLS in front of gunicorn here
    "SECURE_COOKIES": "0",
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    # The benchmark measures the API, not its rate limit.
    "API_THROTTLE_USER": "1000000/minute",
}


def django_setup():
    os.environ.update(PRODUCTION)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccpl.settings")
    import django

    django.setup()


def signed_in(email, **grants):
    """A session cookie for an account enrolled in TOTP that passed it at sign-in, as staff must."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.conf import settings
    from django.contrib.auth import login
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpRequest
    from guardian.shortcuts import assign_perm

    from ccpl.models import User

    account, _ = User.objects.get_or_create(email=email, defaults={"full_name": email})
    account.is_superuser = account.is_staff = grants.pop("superuser", False)
    account.save()
    for codename, system in grants.items():
        assign_perm(f"roles.{codename}", account, system)
    if not Authenticator.objects.filter(user=account, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(account, "JBSWY3DPEHPK3PXP")
    request = HttpRequest()
    request.session = SessionStore()
    request.META["REMOTE_ADDR"] = HOST
    account.backend = settings.AUTHENTICATION_BACKENDS[0]
    login(request, account)
    record_authentication(request, account, "mfa", type="totp")
    request.session.save()
    return f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}"


def api_token(email):
    """A read-only personal access token of the account, as its Authorization header."""
    from ccpl import services
    from ccpl.models import User

    _, secret = services.create_access_token(name="benchmark", scope="read", days=1,
                                             second_factor=True,
                                             by=User.objects.get(email=email))
    return f"Bearer {secret}"


# The API's list endpoints, each with the filter a BI extract of one system would send.
API_LISTS = [("systems", ""), ("organisations", ""), ("posts", "&system={system}"),
             ("people", ""), ("appointments", "&system={system}"),
             ("vacancies", "&state=all&system={system}"), ("bodies", "&system={system}"),
             ("seats", "&system={system}")]


def chair_signed_in(system):
    """A session of whoever chairs (or co-chairs) a board of the system today through the post
    they hold, as the Fit and Proper Person Test's chair; None if no board has one."""
    from appointments.models import Appointment
    from governance.models import Seat

    seat = (Seat.objects.filter(body__system=system, body__kind="board", role__in=Seat.CHAIRS,
                                post__isnull=False).order_by("pk").first())
    holder = seat and (Appointment.objects.in_force().filter(post=seat.post)
                       .select_related("person").order_by("pk").first())
    if not holder:
        return None
    cookie = signed_in("bench.chair@example.org")
    if holder.person.user_id is None:
        from ccpl.models import User

        holder.person.user = User.objects.get(email="bench.chair@example.org")
        holder.person.save(update_fields=["user"])
    return cookie


# What every signed-in page costs before it shows anything of the register: the session, the
# user and their grants, the second-factor check, the header and navigation. The accessibility
# statement reads nothing else, so the rest of a page's time is its own.
SIGNED_IN_FLOOR = "HR: signed-in floor (accessibility page)"
FLOOR_URL = "/accessibility/"


def plan():
    """Who asks for what: the pages of the largest generated system."""
    from django.db.models import Count

    from appointments.models import Appointment, Person
    from ccpl import access
    from governance.models import Body, Meeting
    from roles.models import Post, System

    system = (System.objects.filter(short_name__startswith="GEN")
              .annotate(n=Count("posts")).order_by("-n").first())
    if system is None:
        sys.exit("No generated data: run manage.py generate_data --scale national first.")
    post = Post.objects.filter(system=system, appointments__extensions__isnull=False).first()
    appointment = Appointment.objects.filter(post=post).first()
    person = Person.objects.filter(appointments__post__system=system).first()
    body = Body.objects.filter(system=system).annotate(n=Count("seats")).order_by("-n").first()
    meeting = (Meeting.objects.filter(body__system=system).annotate(n=Count("attendances"))
               .order_by("-n", "pk").first())
    hr = signed_in("bench.hr@example.org", **{access.EDIT: system})
    cmo = signed_in("bench.cmo@example.org", **{access.VIEW: system, access.APPROVE: system})
    admin = signed_in("bench.admin@example.org", superuser=True)
    chair = chair_signed_in(system)
    hr_pages = [
        ("dashboard", "/"),
        ("post list", "/posts/"),
        ("post list, vacant", "/posts/?status=vacant"),
        ("post list, search", "/posts/?q=lead"),
        ("people list", "/people/"),
        ("person detail", f"/people/{person.pk}/"),
        ("appointment detail", f"/appointments/{appointment.pk}/"),
        ("post detail", f"/posts/{post.pk}/"),
        (f"body page ({body.n} seats)", f"/governance/bodies/{body.pk}/"),
        *([(f"meeting page ({meeting.n} members)", f"/governance/meetings/{meeting.pk}/")]
          if meeting else []),
        ("fit and proper person dashboard", "/fppt/"),
    ]
    pages = [("bare page (sign-in, anonymous)", "/accounts/login/", None),
             (SIGNED_IN_FLOOR, FLOOR_URL, hr)]
    pages += [(f"HR: {name}", url, hr) for name, url in hr_pages]
    pages += [("CMO: dashboard", "/", cmo), ("CMO: appointment detail",
                                             f"/appointments/{appointment.pk}/", cmo)]
    if chair:
        pages += [("chair: fit and proper person dashboard", "/fppt/", chair)]
    pages += [("public register, anonymous", f"/register/{system.short_name}/", None)]
    # The API: every list endpoint's page of 100 rows with an HR token (a page costs the same
    # at any depth), those of the pages filtered to the system as a BI extract would be.
    token = api_token("bench.hr@example.org")
    pages += [(f"API: {kind}, page of 100",
               f"/api/v1/{kind}/?page_size=100{query.format(system=system.pk)}", token)
              for kind, query in API_LISTS]
    pages += [
        ("admin: appointments", "/admin/appointments/appointment/", admin),
        ("admin: people", "/admin/appointments/person/", admin),
        ("admin: posts", "/admin/roles/post/", admin),
    ]
    facts = (f"{system.name}: {system.n:,} posts; national register "
             f"{Post.objects.count():,} posts, {Appointment.objects.count():,} appointments")
    return facts, pages, hr, [url for _, url in hr_pages], (system, token)


def get(path, cookie, body=None):
    """Milliseconds to GET ``path`` with ``cookie`` (a session cookie, or an API token's
    "Bearer …" header); ``body``, a list, receives the response's body."""
    connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
    headers = {}
    if cookie and cookie.startswith("Bearer "):
        headers["Authorization"] = cookie
    elif cookie:
        headers["Cookie"] = cookie
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    content = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    if response.status != 200:
        sys.exit(f"{path} answered {response.status}: the benchmark measures pages that work")
    if body is not None:
        body.append(content)
    return elapsed


def api_export(system, token):
    """Every appointment of the system through the API, EXPORT_PAGE_SIZE to a page, following
    the cursor as a program would: the seconds it takes in all, the rows, and each page's ms."""
    path = f"/api/v1/appointments/?system={system.pk}&page_size={EXPORT_PAGE_SIZE}"
    rows, times = 0, []
    started = time.perf_counter()
    while path:
        body = []
        times.append(get(path, token, body))
        page = json.loads(body[0])
        rows += len(page["results"])
        path = None
        if page["next"]:
            parts = urlsplit(page["next"])
            path = f"{parts.path}?{parts.query}"
    return time.perf_counter() - started, rows, times


def percentile(times, p):
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def alone(pages):
    for _, url, cookie in pages:  # warm every worker's caches
        for _ in range(WORKERS):
            get(url, cookie)
    times = [[] for _ in pages]
    for _ in range(ROUNDS):
        for i, (_, url, cookie) in enumerate(pages):
            times[i].append(get(url, cookie))
    floor = statistics.median(times[0])
    print(f"each page alone, {ROUNDS} interleaved rounds (client time over HTTP)\n")
    signed_in_floor = statistics.median(times[1])
    print(f"{'page':42} {'p50 ms':>8} {'p95 ms':>8} {'× bare p50':>11} {'× signed-in':>12}")
    for (name, _, cookie), taken in zip(pages, times, strict=True):
        p50 = statistics.median(taken)
        beyond = f"{p50 / signed_in_floor:12.1f}" if cookie and cookie == pages[1][2] else ""
        print(f"{name:42} {p50:8.1f} {percentile(taken, 95):8.1f} {p50 / floor:11.1f}{beyond}")


WRK_SCRIPT = """
local paths = {%s}
local cookie = "%s"
local i = 0
request = function()
  i = i %% #paths + 1
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[i], headers)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %%.1f %%.0f %%.0f %%d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, errors))
end
"""


def loaded(name, paths, cookie):
    wrk = shutil.which("wrk")
    if wrk is None:
        print(f"{name:42} (wrk is not installed: apt-get install wrk)")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (", ".join(f'"{path}"' for path in paths), cookie or ""))
    out = subprocess.run([wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "10s",
                          "-s", script.name, f"http://{HOST}:{PORT}"],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    rate, p50, p95, errors = next(line for line in out.splitlines()
                                  if line.startswith("RESULT")).split()[1:]
    print(f"{name:42} {float(rate):8.1f} {p50:>8} {p95:>8} {errors:>7}")


def wait_for_server(process):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn did not start")
        try:
            socket.create_connection((HOST, PORT), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer within a minute")


def main():
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        print("Run the benchmark on PostgreSQL with the national data set (see README).")
        return 1
    django_setup()
    facts, pages, hr, hr_urls, (system, token) = plan()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                   cwd=ROOT, env=os.environ, check=True)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "ccpl.wsgi", "--bind", f"{HOST}:{PORT}",
         "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT, env=os.environ, start_new_session=True)
    try:
        wait_for_server(server)
        print(f"{facts}; gunicorn, {WORKERS} workers, production settings\n")
        alone(pages)
        seconds, rows, times = api_export(system, token)
        print(f"\nAPI export: every appointment of {system.short_name} ({rows:,} rows, "
              f"{len(times)} pages of {EXPORT_PAGE_SIZE}, following the cursor) in "
              f"{seconds:.1f} s; a page p50 {statistics.median(times):.0f} ms, "
              f"p95 {percentile(times, 95):.0f} ms")
        print(f"\nunder load: {CONNECTIONS} connections for {SECONDS} s (wrk)\n")
        print(f"{'pages':42} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
        loaded("bare page (sign-in, anonymous)", ["/accounts/login/"], None)
        loaded(SIGNED_IN_FLOOR, [FLOOR_URL], hr)
        loaded("HR pages, cycled", hr_urls, hr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    sweep_as_run()
    return 0


SWEEP_BROKER = os.environ.get("BENCH_SWEEP_REDIS_URL", "redis://127.0.0.1:6379/15")
CELERY_QUEUE = "celery"  # Celery's default queue: a Redis list of that name


def sweep_as_run():
    """``send_reminders`` twice on an emptied ledger, each run a process of its own."""
    import redis
    from django.db import connection

    from ccpl.models import Notification

    Notification.objects.all().delete()
    with connection.cursor() as cursor:  # as autovacuum would after a large delete
        cursor.execute(f"VACUUM ANALYZE {Notification._meta.db_table}")
    broker = redis.Redis.from_url(SWEEP_BROKER)
    broker.delete(CELERY_QUEUE)
    print("\nthe reminder sweep, as send_reminders runs it (Redis as broker, no worker)\n")
    try:
        for label in ("first run (records and queues everything due)",
                      "second run (nothing new)"):
            started = time.perf_counter()
            process = subprocess.Popen([sys.executable, "manage.py", "send_reminders"], cwd=ROOT,
                                       env={**os.environ, "REDIS_URL": SWEEP_BROKER},
                                       stdout=subprocess.PIPE, text=True)
            said = process.stdout.read().strip()
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode:
                sys.exit(f"send_reminders failed ({process.returncode})")
            print(f"{label:48} {time.perf_counter() - started:6.2f} s wall, "
                  f"{usage.ru_utime + usage.ru_stime:5.2f} s CPU, "
                  f"peak {usage.ru_maxrss / 1024:4.0f} MB: {said}")
        print(f"messages on the broker after both runs: {broker.llen(CELERY_QUEUE)}")
    finally:
        broker.delete(CELERY_QUEUE)


if __name__ == "__main__":
    sys.exit(main())
