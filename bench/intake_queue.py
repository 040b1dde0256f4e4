"""Benchmark: referral intake and the coordinator queue, against a real server.

What it does, in order (everything on loopback, every count bounded):

1. Drops and recreates a PostgreSQL database (``mscc_bench`` by default), runs
   ``manage.py migrate`` and ``manage.py seed_demo`` against it.
2. Starts gunicorn (``mscc.wsgi:application``, DEBUG off, sync workers,
   2 x cores by default) on a free port of 127.0.0.1, waits for ``/health/``
   and signs in once per user (sign-in is throttled) for a token each.
3. Sets Django up in this process against the same database and loads open
   referrals through the service layer (``coordinator.services.referral_create``,
   the code path the API uses; no raw SQL). It counts the SQL queries of one
   ``GET /api/v1/queue/`` (DRF's ``APIClient`` with the coordinator's token,
   inside ``CaptureQueriesContext``) with 10 and then with ``--open`` (1,000)
   open referrals in the service; the aim is the same count at both. Then it
   runs ``ANALYZE`` so the planner has the statistics a running service has.
4. Queue latency: ``--queue-requests`` rounds of one ``GET /api/v1/queue/``
   then one baseline ``GET /api/v1/auth/me/``, both as the coordinator, from
   one client, after a warm-up. The baseline is the cheapest authenticated
   call of the same stack: token lookup (joined to the user; knox's token
   checks its expiry and, at most once a minute, writes the next one) and
   the user's service or organisation, two queries.
5. Create latency: ``--requests`` ``POST /api/v1/referrals/`` (a valid
   suspected-MSCC body, a fresh valid NHS number from the 999 range each) from
   ``--clients`` concurrent clients (threads, one ``httpx.Client`` each), after
   a warm-up; just before it, as many baseline ``GET /api/v1/auth/me/`` (as
   the referrer) under the same concurrency.
6. Reads VmHWM (peak resident memory) of the gunicorn master and workers from
   ``/proc/<pid>/status``, stops gunicorn, prints a table and writes JSON
   (with every latency) to ``bench/results/``.

How to read the ratios: latency is measured by the client, end to end
(connect, send, server work, full body read). Both sides of each ratio run in
the same run, under the same load pattern, against the same server, so the
ratio isolates the cost of the endpoint's own work from the fixed cost of the
stack (gunicorn, middleware, token authentication, JSON rendering).

* create p99 / baseline p99 (16 clients): aim <= 3.
* queue p99 / baseline p99 (sequential): aim <= 5.
* queue queries at 10 vs at 1,000 open referrals: aim equal (no N+1).

Every request must answer its expected status (201 or 200; a create must
also come back ``suspected_mscc``); anything else is counted as an error,
shown in the table, and makes the script exit 1. A missed aim is reported
("MISSES AIM"), not turned into a failing exit status.

All four latency series share the machine with this script's own clients (and
with anything else running): on a small machine, compare runs made at similar
load (the header prints the load average).

Run from the repository root:  python bench/intake_queue.py  [--quick]
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from math import ceil
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

SERVICE = "DEMO-MSCC"
ORGANISATION = "DEMO-GP"
REFERRER = "demo-referrer"
COORDINATOR = "demo-coordinator"

CREATE_PATH = "/api/v1/referrals/"
QUEUE_PATH = "/api/v1/queue/"
ME_PATH = "/api/v1/auth/me/"

AIM_CREATE_RATIO = 3.0
AIM_QUEUE_RATIO = 5.0

HTTP_TIMEOUT = httpx.Timeout(30.0)
ERROR_SAMPLES = 5


# --- options -----------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    requests: int
    warmup: int
    clients: int
    queue_requests: int
    queue_warmup: int
    open_referrals: int
    workers: int
    pg_url: str
    database: str
    explain: bool
    write_json: bool


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small counts for a smoke run (overrides the counts below)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=800,
        help="measured create requests, and as many concurrent baseline ones",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=80,
        help="unmeasured create and baseline requests before measuring",
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--queue-requests",
        type=int,
        default=200,
        help="measured sequential queue requests (and as many baseline)",
    )
    parser.add_argument("--queue-warmup", type=int, default=20)
    parser.add_argument(
        "--open",
        dest="open_referrals",
        type=int,
        default=1000,
        help="open referrals in the service for the queue test",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="gunicorn workers (default 2 x cores)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server, without a database name",
    )
    parser.add_argument(
        "--database",
        default="mscc_bench",
        help="database to DROP and recreate (never an existing real one)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the queue's SQL at --open referrals",
    )
    parser.add_argument(
        "--no-json",
        dest="write_json",
        action="store_false",
        help="do not write bench/results/*.json",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.warmup, args.queue_requests = 64, 16, 30
        args.queue_warmup, args.open_referrals = 5, 100
    if args.open_referrals < 10:
        parser.error("--open must be at least 10")
    if "bench" not in args.database:
        parser.error("--database is dropped each run: its name must contain 'bench'")
    del args.quick
    return Options(**vars(args))


# --- statistics --------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with p% of values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Series:
    """The latencies (ms) of one measured phase, and what went wrong in it."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def record_error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < ERROR_SAMPLES:
            self.error_samples.append(message)

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "name": self.name,
            "requests": len(lat) + self.errors,
            "ok": len(lat),
            "errors": self.errors,
            "error_samples": self.error_samples,
            "p50_ms": round(percentile(lat, 50), 2) if lat else None,
            "p90_ms": round(percentile(lat, 90), 2) if lat else None,
            "p99_ms": round(percentile(lat, 99), 2) if lat else None,
            "max_ms": round(max(lat), 2) if lat else None,
            "throughput_rps": round(len(lat) / self.wall_s, 1) if self.wall_s else None,
            "wall_s": round(self.wall_s, 2),
            "latencies_ms": [round(x, 2) for x in lat],
        }


# --- the benchmark database and Django in this process -------------------------


def recreate_database(opts: Options) -> None:
    with psycopg.connect(f"{opts.pg_url}/postgres", autocommit=True) as conn:
        name = sql.Identifier(opts.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def server_environment(opts: Options, var_dir: Path) -> dict[str, str]:
    """The settings of the server under test (and of this process's Django)."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "mscc.settings",
            "DATABASE_URL": f"{opts.pg_url}/{opts.database}",
            "DEBUG": "false",
            "MSCC_BASE_URL": "http://127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "MSCC_VAR_DIR": str(var_dir),
            "MSCC_DEMO_PASSWORD": secrets.token_urlsafe(18),
            # DEBUG is off, so staff sign in with two-factor: seed_demo gives
            # them an authenticator with this secret, and sign_in() reads it.
            "MSCC_DEMO_TOTP_SECRET": base64.b32encode(secrets.token_bytes(20)).decode(),
            "LOG_LEVEL": "WARNING",
            # The benchmark's one referrer sends hundreds of referrals a
            # minute: far past the intake limits (60/h) it measures nothing.
            "MSCC_INTAKE_RATE_USER": "1000000/h",
            "MSCC_INTAKE_RATE_ORG": "1000000/h",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fresh_nhs_numbers() -> Iterator[str]:
    """Valid Modulus 11 numbers from the never-issued 999 range, none already held."""
    from referrals.models import Patient
    from referrals.nhs_number import check_digit

    held = set(Patient.objects.values_list("nhs_number", flat=True))
    for stem in range(999_000_000, 1_000_000_000):
        digit = check_digit(str(stem))
        if digit is not None and f"{stem}{digit}" not in held:
            yield f"{stem}{digit}"


PATIENT = {
    "given_name": "Bench",
    "family_name": "Patient",
    "date_of_birth": "1955-04-01",
    "sex": "female",
    "postcode": "LS1 4AP",
}
SUSPECTED_MSCC = {
    "cancer_status": "current_or_past",
    "primary_tumour": "breast",
    "pain_features": ["progressive"],
    "neuro_features": ["limb_weakness"],
    "presentation": "Synthetic benchmark referral.",
}
# Pain without neurological features: a less urgent category, so the queue's
# order has two categories to sort.
SUSPECTED_METASTASES = {**SUSPECTED_MSCC, "neuro_features": []}


def create_body(nhs_number: str) -> dict[str, Any]:
    """A valid suspected-MSCC referral body from DEMO-GP to DEMO-MSCC."""
    return {
        "patient": {"nhs_number": nhs_number, **PATIENT},
        "referring_organisation": ORGANISATION,
        "service": SERVICE,
        **SUSPECTED_MSCC,
    }


def open_referral_count() -> int:
    from referrals.codes import TERMINAL_STATUSES
    from referrals.models import Referral

    return (
        Referral.objects.filter(service__code=SERVICE)
        .exclude(status__in=[s.value for s in TERMINAL_STATUSES])
        .count()
    )


def load_open_referrals(target: int, numbers: Iterator[str]) -> int:
    """Create referrals through the service layer until ``target`` are open."""
    from django.utils import timezone

    from coordinator.services import referral_create
    from referrals.inputs import PatientDetails
    from referrals.models import Organisation, Service, User

    user = User.objects.get(username=REFERRER)
    organisation = Organisation.objects.get(code=ORGANISATION)
    service = Service.objects.get(code=SERVICE)
    missing = target - open_referral_count()
    for i in range(missing):
        referral_create(
            user=user,
            now=timezone.now(),
            organisation=organisation,
            service=service,
            patient=PatientDetails(
                nhs_number=next(numbers),
                **{**PATIENT, "date_of_birth": date.fromisoformat(PATIENT["date_of_birth"])},
            ),
            clinical=dict(SUSPECTED_MSCC if i % 2 else SUSPECTED_METASTASES),
        )
    return open_referral_count()


def count_queries(token: str, method: str, path: str, body: Any = None) -> tuple[int, int]:
    """(SQL queries, status) of one request handled in this process, token-authenticated."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as captured:
        data = "" if body is None else json.dumps(body)
        response = client.generic(method, path, data, "application/json")
    return len(captured.captured_queries), response.status_code


def analyze_database() -> None:
    """Refresh the planner's statistics after the bulk load, as autovacuum would
    in a service that has been running: plans are then those of steady state."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def explain_queue(token: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the exact SELECTs one queue request runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as captured:
        client.get(QUEUE_PATH)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if not query["sql"].startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append(f"-- {query['sql'][:160]}...\n{plan}")
    return "\n\n".join(plans)


# --- the server --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(port: int, workers: int) -> list[str]:
    local = Path(sys.executable).parent / "gunicorn"
    exe = str(local) if local.exists() else "gunicorn"
    return [
        exe,
        "mscc.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "60",
    ]


def start_server(
    env: dict[str, str], port: int, workers: int, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            gunicorn_command(port, workers), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for_health(base_url: str, server: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/health/", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/health/ did not answer 200 within {timeout_s}s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (after "pid (comm) state") is the parent pid; comm may hold spaces.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def proc_memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0])
    return fields


def server_memory(master: int) -> list[dict[str, Any]]:
    rows = [{"pid": master, "role": "master", **proc_memory_kib(master)}]
    rows += [{"pid": pid, "role": "worker", **proc_memory_kib(pid)} for pid in children_of(master)]
    return rows


# --- the clients -------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    token: str
    expected: int
    body: dict[str, Any] | None = None


def totp(secret_base32: str) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s): the code an authenticator app shows now."""
    key = base64.b32decode(secret_base32)
    mac = hmac.new(key, int(time.time() // 30).to_bytes(8, "big"), "sha1").digest()
    offset = mac[-1] & 0x0F
    code = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def sign_in(base_url: str, username: str, password: str, totp_secret: str) -> str:
    """One token per user, up front: sign-in is throttled (SIGN_IN_RATE). A
    staff user is asked for a code (two-factor is on with DEBUG off): a 400
    naming ``otp``, then the same call with the authenticator's code."""
    body = {"username": username, "password": password}
    url = f"{base_url}/api/v1/auth/token/"
    response = httpx.post(url, timeout=HTTP_TIMEOUT, json=body)
    if response.status_code == 400 and "otp" in response.json():
        response = httpx.post(url, timeout=HTTP_TIMEOUT, json={**body, "otp": totp(totp_secret)})
    response.raise_for_status()
    return response.json()["token"]


def send(client: httpx.Client, call: Call, series: Series) -> None:
    """One timed request: its latency, or its error, goes to ``series``."""
    headers = {"Authorization": f"Token {call.token}", "Accept": "application/json"}
    started = time.perf_counter()
    try:
        response = client.request(call.method, call.path, headers=headers, json=call.body)
    except httpx.HTTPError as exc:
        series.record_error(f"{call.method} {call.path}: {exc!r}")
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    problem = check_response(call, response)
    if problem:
        series.record_error(problem)
    else:
        series.latencies_ms.append(elapsed_ms)


def check_response(call: Call, response: httpx.Response) -> str | None:
    if response.status_code != call.expected:
        return (
            f"{call.method} {call.path}: {response.status_code} "
            f"(expected {call.expected}) {response.text[:200]}"
        )
    if call.path == CREATE_PATH and response.json().get("category") != "suspected_mscc":
        return f"POST {CREATE_PATH}: category {response.json().get('category')!r}"
    return None


def run_concurrent(base_url: str, name: str, calls: list[Call], clients: int) -> Series:
    """``clients`` threads, one httpx.Client each, take calls from one queue until empty.

    Throughput is the calls answered divided by the wall time from the moment
    all clients are connected-ready to the moment the last one finishes."""
    todo: queue.SimpleQueue[Call] = queue.SimpleQueue()
    for call in calls:
        todo.put(call)
    per_client = [Series(name=f"{name} client {i}") for i in range(clients)]
    start = threading.Barrier(clients + 1)

    def client_loop(mine: Series) -> None:
        with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT) as client:
            start.wait()
            while True:
                try:
                    call = todo.get_nowait()
                except queue.Empty:
                    return
                send(client, call, mine)

    threads = [threading.Thread(target=client_loop, args=(s,), daemon=True) for s in per_client]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    series = Series(name=name, wall_s=time.perf_counter() - began)
    for mine in per_client:
        series.latencies_ms += mine.latencies_ms
        series.errors += mine.errors
        series.error_samples += mine.error_samples
    del series.error_samples[ERROR_SAMPLES:]
    return series


def run_sequential_pair(
    base_url: str, names: tuple[str, str], calls: tuple[Call, Call], rounds: int
) -> tuple[Series, Series]:
    """``rounds`` of the first call then the second, one client: both see the same
    drift (autovacuum, caches). No throughput: the two share the wall time."""
    first, second = Series(names[0]), Series(names[1])
    with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT) as client:
        for _ in range(rounds):
            send(client, calls[0], first)
            send(client, calls[1], second)
    return first, second


def require_success(warmup: list[Series]) -> None:
    """A warm-up that fails means the measurement would be of errors: stop."""
    for series in warmup:
        if series.errors:
            raise RuntimeError(
                f"{series.name}: {series.errors} errors, e.g. {series.error_samples[0]}"
            )


# --- the run -----------------------------------------------------------------


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def measure_queries(
    tokens: dict[str, str], numbers: Iterator[str], open_target: int
) -> tuple[dict[str, Any], int, int]:
    """Queries per request, in process; loads the open referrals on the way."""
    queries: dict[str, Any] = {}
    small = load_open_referrals(10, numbers)
    queries[f"queue_at_{small}"] = count_queries(tokens[COORDINATOR], "GET", QUEUE_PATH)
    queries["me"] = count_queries(tokens[COORDINATOR], "GET", ME_PATH)
    queries["create"] = count_queries(
        tokens[REFERRER], "POST", CREATE_PATH, create_body(next(numbers))
    )
    large = load_open_referrals(open_target, numbers)
    analyze_database()
    queries[f"queue_at_{large}"] = count_queries(tokens[COORDINATOR], "GET", QUEUE_PATH)
    return queries, small, large


def measure_queue(opts: Options, base_url: str, tokens: dict[str, str]) -> list[Series]:
    calls = (
        Call("GET", QUEUE_PATH, tokens[COORDINATOR], 200),
        Call("GET", ME_PATH, tokens[COORDINATOR], 200),
    )
    require_success(
        list(
            run_sequential_pair(base_url, ("warm-up queue", "warm-up me"), calls, opts.queue_warmup)
        )
    )
    return list(
        run_sequential_pair(
            base_url,
            ("queue (sequential)", "baseline /auth/me/ (sequential)"),
            calls,
            opts.queue_requests,
        )
    )


def measure_create(
    opts: Options, base_url: str, tokens: dict[str, str], numbers: Iterator[str]
) -> list[Series]:
    me = Call("GET", ME_PATH, tokens[REFERRER], 200)

    def creates(n: int) -> list[Call]:
        return [
            Call("POST", CREATE_PATH, tokens[REFERRER], 201, create_body(next(numbers)))
            for _ in range(n)
        ]

    require_success(
        [
            run_concurrent(
                base_url, "warm-up", [me] * opts.warmup + creates(opts.warmup), opts.clients
            )
        ]
    )
    baseline = run_concurrent(
        base_url, f"baseline /auth/me/ ({opts.clients} clients)", [me] * opts.requests, opts.clients
    )
    create = run_concurrent(
        base_url, f"create ({opts.clients} clients)", creates(opts.requests), opts.clients
    )
    return [create, baseline]


def measure(opts: Options, env: dict[str, str], var_dir: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    setup_django(env)
    numbers = fresh_nhs_numbers()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = var_dir / "gunicorn.log"
    server = start_server(env, port, opts.workers, log)
    try:
        wait_for_health(base_url, server)
        tokens = {
            user: sign_in(base_url, user, env["MSCC_DEMO_PASSWORD"], env["MSCC_DEMO_TOTP_SECRET"])
            for user in (REFERRER, COORDINATOR)
        }
        print(f"Loading {opts.open_referrals} open referrals, counting queries ...", flush=True)
        queries, small, large = measure_queries(tokens, numbers, opts.open_referrals)
        explain = explain_queue(tokens[COORDINATOR]) if opts.explain else None
        print(f"Queue: {opts.queue_requests} sequential requests ...", flush=True)
        queue_series = measure_queue(opts, base_url, tokens)
        print(f"Create: {opts.requests} requests from {opts.clients} clients ...", flush=True)
        create_series = measure_create(opts, base_url, tokens, numbers)
        memory = server_memory(server.pid)
    except Exception:
        print(f"--- gunicorn log ({log}) ---\n{log.read_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        stop_server(server)
    # More boots than workers means a worker died (timeout, crash) mid-run.
    boots = log.read_text(errors="replace").count("Booting worker")
    create, baseline_concurrent = (s.summary() for s in create_series)
    queue_, baseline_sequential = (s.summary() for s in queue_series)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": asdict(opts),
        "cpu_count": os.cpu_count(),
        # Other work on the machine skews every figure: compare runs at similar load.
        "load_average_1m": {"before": load_before[0], "after": os.getloadavg()[0]},
        "open_referrals": {"small": small, "large": large},
        "queries": {k: {"queries": q, "status": s} for k, (q, s) in queries.items()},
        "series": [create, baseline_concurrent, queue_, baseline_sequential],
        "ratios": {
            "create_p99_over_baseline_p99": ratio(create["p99_ms"], baseline_concurrent["p99_ms"]),
            "queue_p99_over_baseline_p99": ratio(queue_["p99_ms"], baseline_sequential["p99_ms"]),
        },
        "memory": memory,
        "worker_boots": boots,
        "explain": explain,
    }


# --- the report --------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "meets aim" if ok else "MISSES AIM"


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value}{unit}"


def report(result: dict[str, Any]) -> bool:
    """Print the figures; True when no request failed (aims are reported, not enforced)."""
    opts = result["options"]
    print()
    print(
        f"MSCC intake/queue benchmark  {result['when']}  cores={result['cpu_count']} "
        f"gunicorn workers={opts['workers']} (sync)  load avg 1m "
        f"{result['load_average_1m']['before']:.2f} before, "
        f"{result['load_average_1m']['after']:.2f} after"
    )
    print()
    columns = [("ok", "ok", 5), ("errors", "err", 4), ("p50_ms", "p50 ms", 8),
               ("p90_ms", "p90 ms", 8), ("p99_ms", "p99 ms", 8), ("max_ms", "max ms", 8),
               ("throughput_rps", "req/s", 7)]  # fmt: skip
    header = f"{'phase':<36}" + "".join(f" {title:>{width}}" for _, title, width in columns)
    print(header)
    print("-" * len(header))
    for s in result["series"]:
        cells = "".join(f" {fmt(s[key]):>{width}}" for key, _, width in columns)
        print(f"{s['name']:<36}{cells}")
    print()
    print("SQL queries per request (in-process, token auth, CaptureQueriesContext):")
    for name, q in result["queries"].items():
        print(f"  {name:<20} {q['queries']:>4}   (status {q['status']})")
    small, large = result["open_referrals"]["small"], result["open_referrals"]["large"]
    q_small = result["queries"][f"queue_at_{small}"]["queries"]
    q_large = result["queries"][f"queue_at_{large}"]["queries"]
    print()
    create_ratio = result["ratios"]["create_p99_over_baseline_p99"]
    queue_ratio = result["ratios"]["queue_p99_over_baseline_p99"]
    checks = [
        (
            f"create p99 / baseline p99 ({opts['clients']} clients)",
            fmt(create_ratio, "x"),
            f"<= {AIM_CREATE_RATIO:g}x",
            create_ratio is not None and create_ratio <= AIM_CREATE_RATIO,
        ),
        (
            "queue p99 / baseline p99 (sequential)",
            fmt(queue_ratio, "x"),
            f"<= {AIM_QUEUE_RATIO:g}x",
            queue_ratio is not None and queue_ratio <= AIM_QUEUE_RATIO,
        ),
        (
            f"queue queries at {small} vs {large} open",
            f"{q_small} vs {q_large}",
            "equal",
            q_small == q_large,
        ),
    ]
    for name, value, aim, ok in checks:
        print(f"  {name:<44} {value:>10}   aim {aim:<8} {verdict(ok)}")
    print()
    restarted = "" if result["worker_boots"] == opts["workers"] else "  WORKERS RESTARTED"
    print(f"gunicorn workers booted during the run: {result['worker_boots']}{restarted}")
    print("gunicorn memory at the end (VmHWM = peak resident set, VmRSS = current):")
    for row in result["memory"]:
        print(
            f"  pid {row['pid']:>7} {row['role']:<7} VmHWM {row['VmHWM'] / 1024:7.1f} MiB"
            f"   VmRSS {row['VmRSS'] / 1024:7.1f} MiB"
        )
    total = sum(r["VmHWM"] for r in result["memory"]) / 1024
    largest = max(r["VmHWM"] for r in result["memory"]) / 1024
    print(
        f"  total VmHWM {total:.1f} MiB (sum of peaks; shared pages counted in each), "
        f"largest {largest:.1f} MiB"
    )
    if result["explain"]:
        print()
        print(result["explain"])
    errors = sum(s["errors"] for s in result["series"])
    bad_status = [k for k, q in result["queries"].items() if q["status"] not in (200, 201)]
    if errors or bad_status:
        print(f"\nERRORS: {errors} failed requests; in-process answers not 2xx: {bad_status}")
        for s in result["series"]:
            for sample in s["error_samples"]:
                print(f"  {s['name']}: {sample}")
    return not errors and not bad_status


def save(result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["when"].replace(":", "").replace("-", "").replace("+0000", "Z")
    path = RESULTS / f"intake_queue-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


def main(argv: list[str] | None = None) -> int:
    opts = parse_options(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="mscc-bench-"))
    try:
        env = server_environment(opts, var_dir)
        recreate_database(opts)
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo")
        print(f"Recreated database {opts.database}; migrated and seeded.", flush=True)
        result = measure(opts, env, var_dir)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    all_good = report(result)
    if opts.write_json:
        print(f"\nJSON: {save(result).relative_to(ROOT)}")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
