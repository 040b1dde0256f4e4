"""Benchmark: the audit summary over ten years of referrals, against hand-written SQL.

What it does, in order (everything on loopback, every count bounded):

1. Drops and recreates a PostgreSQL database (``mscc_bench_audit`` by
   default), runs ``manage.py migrate`` and ``manage.py seed_demo`` (alliance
   DEMO, service DEMO-MSCC, DEMO-GP / DEMO-GP2 / DEMO-WARD, the NG234
   default pathway). Sets Django up in this process and adds three more
   services (``service_provision``: each its own default pathway and policy)
   and more referring organisations of every kind to the alliance.
2. Loads ``--small`` (20,000) referrals over the 120 whole months before this
   one, set-based (``INSERT ... SELECT`` from ``generate_series``, values from
   hashes of the row number: the same count gives the same rows every run):
   patients, referrals, their clocks as the NG234 default pathway makes them,
   the MRI, walking and death events the audit reads (a few withdrawn), and a
   synthetic postcode -> IMD decile table. Then VACUUM ANALYZE. At this size
   it counts the summary's SQL statements (1 month and 120 months) and
   measures its memory in a fresh subprocess.
3. Recreates the database and loads ``--referrals`` (500,000) the same way,
   timing the load. Same counts and memory at this size; then checks that
   every figure the summary shows equals the hand-written SQL's.
4. Starts gunicorn (DEBUG off), signs in as the alliance lead (token, and a
   session for the page; two-factor answered with the TOTP of
   ``MSCC_DEMO_TOTP_SECRET``) and runs ``--runs`` interleaved rounds after
   ``--warmup``: the hand-written SQL, ``audit_summary`` in process, the JSON
   endpoint, the CSV and the dashboard page (when the URL ``audit_dashboard``
   exists), and the baseline ``GET /api/v1/auth/me/``, all for 120 months.
5. Prints the figures and the aims, the time of each of the summary's
   statements, with ``--explain`` the plans of the summary's slowest
   statement and of the hand-written SQL, and writes JSON to
   ``bench/results/``.

Aims: summary (in process, JSON, CSV, page) / hand-written SQL <= 1.5x
(medians); the summary's statement count the same for 1 and 120 months and
for 20,000 and 500,000 referrals; its memory flat (tracemalloc peak at
500,000 / at 20,000 <= 1.2x). A missed aim prints "MISSES AIM" and does not
change the exit status; a failed request or a figure that differs from the
hand-written SQL's does (exit 1).

Run from the repository root:  python bench/audit.py  [--quick]
"""

from __future__ import annotations

import argparse
import base64
import gc
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
import audit_sql  # bench/ is not a package: found through sys.path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

ALLIANCE = "DEMO"
LEAD = "demo-lead"
COORDINATOR = "demo-coordinator"
REFERRERS = ("demo-referrer", "demo-referrer-2", "demo-ward")
ZONE = ZoneInfo("Europe/London")
MONTHS = 120

SUMMARY_PATH = "/api/v1/audit/summary/"
ME_PATH = "/api/v1/auth/me/"
DASHBOARD = "audit_dashboard"

AIM_RATIO = 1.5
AIM_MEMORY_RATIO = 1.2
HTTP_TIMEOUT = httpx.Timeout(600.0)

# The services of the DEMO alliance and each one's share of its referrals.
SERVICES: tuple[tuple[str, str, float], ...] = (
    ("DEMO-MSCC", "Demo MSCC Service", 0.40),
    ("DEMO-NORTH", "Demo North MSCC Service", 0.25),
    ("DEMO-SOUTH", "Demo South MSCC Service", 0.20),
    ("DEMO-EAST", "Demo East MSCC Service", 0.15),
)
# More referring organisations: (kind, how many, code prefix, name).
ORGANISATIONS: tuple[tuple[str, int, str, str], ...] = (
    ("gp_practice", 36, "BENCH-GP", "Bench Practice {i}"),
    ("ward", 8, "BENCH-WARD", "Bench Hospital, Ward {i}"),
    ("emergency_department", 4, "BENCH-ED", "Bench Hospital {i}, Emergency Department"),
    ("other", 3, "BENCH-HOSPICE", "Bench Hospice {i}"),
)
# The synthetic postcode lookup: one postcode per this many referrals (at
# least 2,000), twelve postcodes to an area (LSOA).
REFERRALS_PER_POSTCODE = 25
# NHS number stems start above the demo fixtures' (9990000018 ... 9990037124).
NHS_STEM_FIRST = 999_004_000
NHS_STEM_LAST = 999_999_999
MOST_REFERRALS = 1_000_000


# --- options -----------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    referrals: int
    small: int
    runs: int
    warmup: int
    workers: int
    pg_url: str
    database: str
    explain: bool
    load_only: bool
    write_json: bool


def parse_options(argv: list[str] | None = None) -> Options | list[str]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="20,000 referrals (2,000 for the small load), 3 runs (overrides the counts)",
    )
    parser.add_argument(
        "--referrals", type=int, default=500_000, help="referrals of the large load"
    )
    parser.add_argument(
        "--small",
        type=int,
        default=20_000,
        help="referrals of the small load (query count and memory compared with the large)",
    )
    parser.add_argument("--runs", type=int, default=5, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds before them")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server, without a database name",
    )
    parser.add_argument(
        "--database",
        default="mscc_bench_audit",
        help="database to DROP and recreate (never an existing real one)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN (ANALYZE, BUFFERS) of the summary's slowest statement and of the SQL",
    )
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="load --referrals into the database and stop (no measurements)",
    )
    parser.add_argument(
        "--no-json",
        dest="write_json",
        action="store_false",
        help="do not write bench/results/*.json",
    )
    parser.add_argument("--memory-probe", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        return list(args.memory_probe)
    if args.quick:
        args.referrals, args.small, args.runs = 20_000, 2_000, 3
    if not 1_000 <= args.small <= args.referrals <= MOST_REFERRALS:
        parser.error(f"need 1,000 <= --small <= --referrals <= {MOST_REFERRALS:,}")
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    if "bench" not in args.database:
        parser.error("--database is dropped each run: its name must contain 'bench'")
    del args.quick, args.memory_probe
    return Options(**vars(args))


# --- statistics --------------------------------------------------------------


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


@dataclass
class Series:
    """The times (ms) of one measured thing, and what went wrong with it."""

    name: str
    times_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    note: str = ""

    def summary(self) -> dict[str, Any]:
        t = self.times_ms
        return {
            "name": self.name,
            "runs": len(t),
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "min_ms": round(min(t), 2) if t else None,
            "median_ms": median(t),
            "max_ms": round(max(t), 2) if t else None,
            "times_ms": [round(x, 2) for x in t],
            "note": self.note,
        }


class Problems:
    """Checks that failed (a request, a figure that differs): exit status 1."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, ok: bool, message: str) -> None:
        if not ok and len(self.items) < 40:
            self.items.append(message)


# --- the period ----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The 120 whole months before the one ``now`` is in, and ``now``."""

    now: datetime
    first: Any  # audit.periods.Month (imported once Django is set up)
    last: Any

    @property
    def start(self) -> datetime:
        start: datetime = self.first.start(ZONE)
        return start

    @property
    def end(self) -> datetime:
        end: datetime = self.last.next().start(ZONE)
        return end


def the_period(now: datetime) -> Period:
    from audit.periods import Month

    last = Month.of(now, ZONE).previous()
    first = last
    for _ in range(MONTHS - 1):
        first = first.previous()
    return Period(now=now, first=first, last=last)


# --- the benchmark database and Django in this process -------------------------


def recreate_database(opts: Options) -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
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
            # DEBUG is off, so staff (the alliance lead) sign in with
            # two-factor: seed_demo gives them an authenticator with this secret.
            "MSCC_DEMO_TOTP_SECRET": base64.b32encode(secrets.token_bytes(20)).decode(),
            "LOG_LEVEL": "WARNING",
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


def fresh_database(opts: Options, env: dict[str, str]) -> float:
    """Drop, create, migrate and seed; seconds taken."""
    started = time.perf_counter()
    recreate_database(opts)
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo")
    return time.perf_counter() - started


# --- the load ------------------------------------------------------------------


@dataclass
class LoadResult:
    referrals: int
    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def load_s(self) -> float:
        return sum(v for k, v in self.seconds.items() if k != "vacuum_analyze")


def alliance_setup() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The extra services and organisations (ORM: a handful of rows, each
    service through ``service_provision`` like any new one), and the rows of
    the load's lookup tables: services with their shares, organisations
    numbered within their kind, and clock definitions by slot."""
    from django.db import transaction

    from coordinator.services import service_provision
    from pathways.codes import EventKind
    from pathways.defaults import NG234_DEFAULT_CLOCKS
    from pathways.models import ClockDefinition
    from referrals.models import Alliance, Organisation, Service, User

    alliance = Alliance.objects.get(code=ALLIANCE)
    admin = User.objects.get(username="demo-admin")
    referrers = {u.organisation_id: u.pk for u in User.objects.filter(username__in=REFERRERS)}
    fallback = User.objects.get(username=REFERRERS[0]).pk
    services, organisations, definitions = [], [], []
    with transaction.atomic():
        lo = 0.0
        for code, name, share in SERVICES:
            service, _ = Service.objects.get_or_create(
                code=code, defaults={"name": name, "alliance": alliance}
            )
            version, policy = service_provision(service=service, user=admin)
            services.append((service.pk, version.pk, policy.pk, lo, lo + share))
            lo += share
            slots = {(d.kind, d.reference): i for i, d in enumerate(NG234_DEFAULT_CLOCKS)}
            for d in ClockDefinition.objects.filter(version=version):
                stop = f"{EventKind(d.stop_event).label} recorded."
                slot = slots[(d.kind, d.reference)]
                definitions.append((version.pk, slot, d.pk, d.kind, d.target, d.reference, stop))
        # The last share ends at 1 exactly, so every draw in [0, 1) finds one.
        services[-1] = (*services[-1][:4], 1.0)
        Organisation.objects.bulk_create(
            [
                Organisation(
                    code=f"{prefix}-{i:03d}", name=name.format(i=i), kind=kind, alliance=alliance
                )
                for kind, count, prefix, name in ORGANISATIONS
                for i in range(1, count + 1)
            ],
            ignore_conflicts=True,
        )
        by_kind: dict[str, int] = {}
        for org in Organisation.objects.filter(alliance=alliance).order_by("code"):
            i = by_kind.get(org.kind, 0)
            by_kind[org.kind] = i + 1
            organisations.append((org.kind, i, org.pk, referrers.get(org.pk, fallback)))
    return services, organisations, definitions


def load(opts: Options, n: int, period: Period) -> LoadResult:
    """Everything set-based, in one transaction per step, timed per step."""
    from referrals.models import User

    services, organisations, definitions = alliance_setup()
    coordinator = User.objects.get(username=COORDINATOR).pk
    span = (period.end - period.start).total_seconds()
    postcodes = max(2_000, n // REFERRALS_PER_POSTCODE)
    result = LoadResult(referrals=n)
    params: dict[str, Any] = {
        "n": n,
        "t0": period.start,
        "t1": period.end,
        "span": span,
        "now": period.now,
        "coordinator": coordinator,
        "postcodes": postcodes,
        "stem_first": NHS_STEM_FIRST,
        # About 1 stem in 11 has no valid check digit; there are fewer
        # patients than referrals, so this leaves room.
        "stem_last": min(NHS_STEM_LAST, NHS_STEM_FIRST + n * 12 // 10 + 1_000),
    }
    url = f"{opts.pg_url}/{opts.database}"
    with psycopg.connect(url, cursor_factory=psycopg.ClientCursor) as conn:
        # The plan tables are temporary (this session's); the load's own
        # writes need no durability until the final commit.
        conn.execute("SET temp_buffers = '1GB'")
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET synchronous_commit = off")
        # Plain interpretation: JIT would compile the plan's long expressions
        # for longer than they take to run, and LLVM never checks for a cancel.
        conn.execute("SET jit = off")

        def step(name: str, *statements: tuple[str, str | None]) -> None:
            """One transaction: (statement, table whose inserted rows it counts)."""
            started = time.perf_counter()
            with conn.cursor() as cursor:
                for statement, table in statements:
                    cursor.execute(statement, params)
                    if table is not None:
                        result.rows[table] = result.rows.get(table, 0) + cursor.rowcount
            conn.commit()
            result.seconds[name] = round(time.perf_counter() - started, 2)
            print(f"  {name:<24} {result.seconds[name]:7.1f} s", flush=True)

        conn.execute(audit_sql.FUNCTIONS)
        conn.execute(audit_sql.LOOKUP_TABLES)
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_service VALUES (%s, %s, %s, %s, %s)", services)
            cursor.executemany("INSERT INTO bench_org VALUES (%s, %s, %s, %s)", organisations)
            cursor.executemany(
                "INSERT INTO bench_def VALUES (%s, %s, %s, %s, %s, %s, %s)", definitions
            )
        conn.commit()
        with conn.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM referrals_patient")
            row = cursor.fetchone()
            params["patient_base"] = row[0] if row else 0
        step("postcode lookup", (audit_sql.POSTCODES, "audit_postcodedeprivation"))
        step("plan referrals", (audit_sql.REFERRAL_PLAN, None), ("ANALYZE bench_ref", None))
        step(
            "plan patients",
            (audit_sql.PATIENT_PLAN, None),
            (audit_sql.NHS_NUMBERS, None),
            ("ANALYZE bench_patient", None),
            ("ANALYZE bench_nhs", None),
        )
        step(
            "patients",
            (audit_sql.PATIENTS, "referrals_patient"),
            (audit_sql.PATIENT_SEQUENCE, None),
        )
        step("referrals", (audit_sql.REFERRALS, "referrals_referral"))
        # One transaction: a stopped MRI clock names its event (a deferred
        # foreign key, checked at commit).
        step(
            "clocks and MRI events",
            (audit_sql.CLOCKS, "pathways_clock"),
            (audit_sql.MRI_EVENTS, "pathways_clinicalevent"),
        )
        step("outcome events", (audit_sql.OUTCOME_EVENTS, "pathways_clinicalevent"))
    # A fresh connection (autocommit) for VACUUM: it leaves the tables as
    # autovacuum leaves a service that has been running (statistics, and the
    # visibility map the planner counts on for index-only scans).
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in audit_sql.LOADED_TABLES:
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    result.seconds["vacuum_analyze"] = round(time.perf_counter() - started, 2)
    print(f"  {'VACUUM ANALYZE':<24} {result.seconds['vacuum_analyze']:7.1f} s", flush=True)
    return result


def data_profile() -> dict[str, Any]:
    """What the load made, for the report: counts by category, status and clock state."""
    from django.db import connection

    queries = {
        "referrals_by_category": "SELECT category, count(*) FROM referrals_referral GROUP BY 1",
        "referrals_by_status": "SELECT status, count(*) FROM referrals_referral GROUP BY 1",
        "clocks_by_kind_status": (
            "SELECT kind || ' ' || status || CASE WHEN not_appropriate THEN ' (n/a)' ELSE '' END,"
            " count(*) FROM pathways_clock GROUP BY 1"
        ),
        "events_by_kind": "SELECT kind, count(*) FROM pathways_clinicalevent GROUP BY 1",
        "organisations_by_kind": (
            "SELECT o.kind, count(*) FROM referrals_referral r "
            "JOIN referrals_organisation o ON o.id = r.referring_organisation_id GROUP BY 1"
        ),
        "referrals_by_service": (
            "SELECT s.code, count(*) FROM referrals_referral r "
            "JOIN referrals_service s ON s.id = r.service_id GROUP BY 1"
        ),
    }
    profile: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, statement in queries.items():
            cursor.execute(statement)
            profile[name] = dict(sorted(cursor.fetchall()))
        cursor.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database())),"
            " pg_database_size(current_database())"
        )
        pretty, size = cursor.fetchone()
        profile["database_size"] = {"pretty": pretty, "bytes": size}
    return profile


# --- the summary and the hand-written SQL, in this process ---------------------


@dataclass(frozen=True)
class Target:
    """What every measured call asks for: the alliance over a period."""

    alliance_id: int
    period: Period

    def scope(self) -> Any:
        from audit.selectors.summary import AuditScope
        from referrals.models import Alliance

        return AuditScope(alliance=Alliance.objects.get(pk=self.alliance_id), service=None)

    def sql_params(self) -> dict[str, Any]:
        return {
            "alliance": self.alliance_id,
            "service": None,
            "start": self.period.start,
            "end": self.period.end,
            "now": self.period.now,
        }


def alliance_id() -> int:
    from referrals.models import Alliance

    return Alliance.objects.get(code=ALLIANCE).pk


def run_summary(target: Target, first: Any = None) -> dict[str, Any]:
    from audit.selectors.summary import audit_summary

    summary: dict[str, Any] = audit_summary(
        scope=target.scope(),
        first=first or target.period.first,
        last=target.period.last,
        now=target.period.now,
    )
    return summary


def run_sql(target: Target) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(audit_sql.HAND_WRITTEN, target.sql_params())
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000, value


def count_queries(target: Target, first: Any = None) -> tuple[int, list[dict[str, Any]]]:
    """The summary's SQL statements (CaptureQueriesContext), each with its time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run_summary(target, first)
    statements = [
        {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"]}
        for q in captured.captured_queries
    ]
    return len(statements), statements


def query_counts(target: Target) -> dict[str, int]:
    one, _ = count_queries(target, target.period.last)
    whole, _ = count_queries(target)
    return {"1_month": one, f"{MONTHS}_months": whole}


# --- figures: the summary against the hand-written SQL -------------------------


def month_label(index: int | None) -> str:
    if index is None:
        return "total"
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def sql_figures(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], Any]:
    """The hand-written SQL's rows, keyed as ``summary_figures`` keys the summary's."""
    figures: dict[tuple[Any, ...], Any] = {}
    for part, month, name, code, target, n, na, eligible, pending, met, _, med, p90 in rows:
        period = month_label(month)
        if part == "n":
            figures[(period, "n", name, code)] = n
        elif part == "t":
            hours = None if target is None else target.total_seconds() / 3600
            key = (period, "t", name, code, hours)
            figures[(*key, "eligible")] = eligible
            figures[(*key, "not_appropriate")] = na
            figures[(*key, "pending")] = pending
            if hours is not None:
                figures[(*key, "met")] = met
            figures[(*key, "median_hours")] = None if med is None else round(med, 1)
            figures[(*key, "p90_hours")] = None if p90 is None else round(p90, 1)
        else:
            figures[(period, "i", name, "count")] = n
            figures[(period, "i", name, "median_hours")] = None if med is None else round(med, 1)
            figures[(period, "i", name, "p90_hours")] = None if p90 is None else round(p90, 1)
    return figures


def summary_figures(summary: dict[str, Any]) -> dict[tuple[Any, ...], Any]:
    """Every number the summary shows (suppressed ones are None and skipped)."""
    figures: dict[tuple[Any, ...], Any] = {}
    sections = [("total", summary["totals"])] + [(m["month"], m) for m in summary["months"]]
    for period, section in sections:
        for code, value in section["referrals"].items():
            if code in ("suppressed", "withheld"):
                continue
            name = "total" if code == "total" else "category"
            figures[(period, "n", name, "" if code == "total" else code)] = value
        for group, noun in (("incidence", "referrals"), ("outcomes", "count")):
            for dimension, cells in section[group].items():
                for cell in cells:
                    figures[(period, "n", dimension, cell["code"])] = cell[noun]
        for row in section["timeliness"]:
            key = (period, "t", row["clock"], row["reference"], row["target_hours"])
            for name in ("eligible", "not_appropriate", "pending", "met"):
                if name != "met" or row["target_hours"] is not None:
                    figures[(*key, name)] = row[name]
            figures[(*key, "median_hours")] = row["median_hours"]
            figures[(*key, "p90_hours")] = row["p90_hours"]
        for interval in section["intervals"]:
            for name in ("count", "median_hours", "p90_hours"):
                figures[(period, "i", interval["interval"], name)] = interval[name]
    return {k: v for k, v in figures.items() if v is not None}


def compare(summary: dict[str, Any], rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Every figure the summary shows must equal the SQL's (a count absent
    from the SQL's rows is 0: the summary lists zeros, GROUP BY does not)."""
    shown = summary_figures(summary)
    expected = sql_figures(rows)
    differ = []
    for key, value in shown.items():
        other = expected.get(key, 0 if key[-1] not in ("median_hours", "p90_hours") else None)
        if other != value:
            differ.append({"figure": list(key), "summary": value, "sql": other})
    hidden = figure_slots(summary) - len(shown)
    return {
        "compared": len(shown),
        "suppressed": hidden,
        "differ": differ[:20],
        "differ_count": len(differ),
    }


def figure_slots(summary: dict[str, Any]) -> int:
    """How many figures the summary has, shown or suppressed (for the report)."""
    count = 0
    for section in [summary["totals"], *summary["months"]]:
        count += sum(1 for k in section["referrals"] if k not in ("suppressed", "withheld"))
        for group in ("incidence", "outcomes"):
            count += sum(len(cells) for cells in section[group].values())
        for row in section["timeliness"]:
            count += 5 + (row["target_hours"] is not None)
        count += 3 * len(section["intervals"])
    return count


# --- memory, in a fresh process --------------------------------------------------


def vm_kib(field_name: str) -> int:
    """This process's VmHWM (peak resident set) or VmRSS. Not ru_maxrss:
    Linux carries the parent's peak over into a child across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field_name} in /proc/self/status")


def memory_probe(first_label: str, last_label: str, now_iso: str) -> None:
    """Child process: the summary for 1 month (loads the code paths), then for
    the whole period cold (VmHWM growth), then warm under tracemalloc. Prints
    one JSON line."""
    setup_django(dict(os.environ))
    from django.db import connection

    from audit.periods import Month

    first, last = Month.parse(first_label), Month.parse(last_label)
    target = Target(alliance_id(), Period(datetime.fromisoformat(now_iso), first, last))
    connection.ensure_connection()
    run_summary(target, last)
    gc.collect()
    hwm_before, rss_before = vm_kib("VmHWM"), vm_kib("VmRSS")
    cold = run_summary(target)
    hwm_after = vm_kib("VmHWM")
    del cold
    gc.collect()
    tracemalloc.start()
    warm = run_summary(target)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "referrals": warm["totals"]["referrals"]["total"],
                "tracemalloc_peak_kib": round(peak / 1024, 1),
                "vm_hwm_before_kib": hwm_before,
                "vm_hwm_growth_kib": hwm_after - hwm_before,
                "vm_rss_before_kib": rss_before,
                "vm_rss_end_kib": vm_kib("VmRSS"),
                "vm_hwm_end_kib": vm_kib("VmHWM"),
            }
        )
    )


def run_memory_probe(env: dict[str, str], period: Period) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--memory-probe",
            period.first.label,
            period.last.label,
            period.now.isoformat(),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- the server ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    env: dict[str, str], port: int, workers: int, log: Path
) -> subprocess.Popen[bytes]:
    local = Path(sys.executable).parent / "gunicorn"
    command = [
        str(local) if local.exists() else "gunicorn",
        "mscc.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        # A summary of 500,000 referrals must not be cut off mid-measurement.
        "--timeout",
        "600",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


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


def totp(secret_base32: str, step: int | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s): the code an authenticator app shows."""
    key = base64.b32decode(secret_base32)
    counter = int(time.time() // 30) if step is None else step
    mac = hmac.new(key, counter.to_bytes(8, "big"), "sha1").digest()
    offset = mac[-1] & 0x0F
    code = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class Codes:
    """Each code once: the authenticator refuses a code already used, so a
    second sign-in waits for the next 30-second step."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.used = -1

    def next(self) -> str:
        while int(time.time() // 30) <= self.used:
            time.sleep(0.5)
        self.used = int(time.time() // 30)
        return totp(self.secret, self.used)


def token_sign_in(base_url: str, username: str, password: str, codes: Codes) -> str:
    """A staff user is asked for a code: a 400 naming ``otp``, then the same
    call with the authenticator's code."""
    body = {"username": username, "password": password}
    url = f"{base_url}/api/v1/auth/token/"
    response = httpx.post(url, timeout=HTTP_TIMEOUT, json=body)
    if response.status_code == 400 and "otp" in response.json():
        response = httpx.post(url, timeout=HTTP_TIMEOUT, json={**body, "otp": codes.next()})
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


class Browser:
    """Keeps its cookies by hand: with DEBUG off they are ``Secure``, which
    httpx would not send back over plain HTTP to 127.0.0.1."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, path, headers=headers, **kwargs)
        for line in response.headers.get_list("set-cookie"):
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value in ('""', "") or "Max-Age=0" in line:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response

    def post_form(self, path: str, data: dict[str, str]) -> httpx.Response:
        page = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        token = match.group(1) if match else ""
        return self.request("POST", path, data={**data, "csrfmiddlewaretoken": token})

    def close(self) -> None:
        self.client.close()


def page_sign_in(base_url: str, username: str, password: str, codes: Codes) -> Browser:
    """The sign-in page, then the code page: a session for the dashboard."""
    browser = Browser(base_url)
    first = browser.post_form("/accounts/login/", {"username": username, "password": password})
    if first.status_code == 302 and "/login/code/" in first.headers.get("location", ""):
        second = browser.post_form("/accounts/login/code/", {"code": codes.next()})
        if second.status_code != 302:
            raise RuntimeError(f"the code page answered {second.status_code}")
    elif first.status_code != 302:
        raise RuntimeError(f"the sign-in page answered {first.status_code}")
    return browser


def dashboard_path() -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(DASHBOARD)
    except NoReverseMatch:
        return None


# --- the measured rounds -----------------------------------------------------------


@dataclass(frozen=True)
class Http:
    base_url: str
    token: str
    browser: Browser | None
    page_path: str | None
    query: str


def http_call(http: Http, client: httpx.Client, path: str, series: Series, *, page: bool) -> None:
    started = time.perf_counter()
    try:
        if page:
            assert http.browser is not None
            response = http.browser.request("GET", path)
        else:
            response = client.get(path, headers={"Authorization": f"Token {http.token}"})
    except httpx.HTTPError as exc:
        series.errors.append(f"GET {path}: {exc!r}")
        return
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        series.errors.append(f"GET {path}: {response.status_code} {response.text[:200]}")
    else:
        series.times_ms.append(elapsed)


def measure_rounds(opts: Options, target: Target, http: Http) -> dict[str, Series]:
    """Interleaved rounds, so that every series sees the same drift."""
    series = {
        "sql": Series("hand-written SQL (in process)"),
        "summary": Series("audit_summary (in process)"),
        "json": Series("GET summary JSON"),
        "csv": Series("GET summary CSV"),
        "page": Series("GET dashboard page"),
        "me": Series("GET /auth/me/ (baseline)"),
        "sql_1m": Series("hand-written SQL, 1 month"),
        "summary_1m": Series("audit_summary, 1 month"),
    }
    last = target.period.last
    one_month = Target(target.alliance_id, Period(target.period.now, last, last))
    if http.page_path is None:
        series["page"].note = f"no URL named {DASHBOARD!r} on this branch"
    json_path = f"{SUMMARY_PATH}?{http.query}"
    csv_path = f"{json_path}&format=csv"
    with httpx.Client(base_url=http.base_url, timeout=HTTP_TIMEOUT) as client:
        for i in range(opts.warmup + opts.runs):
            measured = i >= opts.warmup
            scratch = {k: Series(k) for k in series}
            into = series if measured else scratch
            sql_ms, _ = timed(lambda: run_sql(target))
            into["sql"].times_ms.append(sql_ms)
            summary_ms, _ = timed(lambda: run_summary(target))
            into["summary"].times_ms.append(summary_ms)
            http_call(http, client, json_path, into["json"], page=False)
            http_call(http, client, csv_path, into["csv"], page=False)
            if http.page_path is not None:
                http_call(http, client, f"{http.page_path}?{http.query}", into["page"], page=True)
            http_call(http, client, ME_PATH, into["me"], page=False)
            # The last month alone: what an index on the month's referrals would serve.
            into["sql_1m"].times_ms.append(timed(lambda: run_sql(one_month))[0])
            into["summary_1m"].times_ms.append(timed(lambda: run_summary(one_month))[0])
            for name, s in scratch.items():
                series[name].errors += s.errors
            print(
                f"  round {i + 1}/{opts.warmup + opts.runs}{'' if measured else ' (warm-up)'}: "
                f"SQL {sql_ms:.0f} ms, summary {summary_ms:.0f} ms",
                flush=True,
            )
    return series


def explain(statement: str, params: Any = None) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def plans(target: Target, statements: list[dict[str, Any]]) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the summary's slowest statement (as the
    ORM sent it, parameters bound) and of the hand-written SQL."""
    slowest = max(statements, key=lambda s: s["ms"])
    return {
        "summary_slowest_statement": slowest["sql"],
        "summary_slowest_plan": explain(slowest["sql"]),
        "hand_written_plan": explain(audit_sql.HAND_WRITTEN, target.sql_params()),
    }


# --- the run ---------------------------------------------------------------------


def measure_size(
    opts: Options, env: dict[str, str], n: int, period: Period, problems: Problems
) -> dict[str, Any]:
    """Load ``n`` referrals into a fresh database; counts and memory at that size."""
    seed_s = fresh_database(opts, env)
    print(f"Recreated {opts.database}; migrated and seeded in {seed_s:.1f} s.", flush=True)
    print(f"Loading {n:,} referrals over {MONTHS} months (set-based) ...", flush=True)
    loaded = load(opts, n, period)
    print(
        f"Loaded {n:,} referrals in {loaded.load_s:.1f} s "
        f"(+ {loaded.seconds['vacuum_analyze']:.1f} s VACUUM ANALYZE).",
        flush=True,
    )
    problems.check(
        loaded.rows.get("referrals_referral") == n,
        f"load: {loaded.rows.get('referrals_referral')} referrals inserted, expected {n}",
    )
    target = Target(alliance_id(), period)
    queries = query_counts(target)
    print(f"  summary statements: {queries}", flush=True)
    memory = run_memory_probe(env, period)
    print(
        f"  memory: tracemalloc peak {memory['tracemalloc_peak_kib'] / 1024:.1f} MiB, "
        f"VmHWM grew {memory['vm_hwm_growth_kib'] / 1024:.1f} MiB",
        flush=True,
    )
    return {
        "referrals": n,
        "seed_s": round(seed_s, 2),
        "load": asdict(loaded) | {"load_s": round(loaded.load_s, 2)},
        "queries": queries,
        "memory": memory,
    }


def measure(opts: Options, env: dict[str, str], var_dir: Path) -> dict[str, Any]:
    load_before = os.getloadavg()
    problems = Problems()
    setup_django(env)
    period = the_period(datetime.now(UTC))
    print(
        f"Period: {period.first.label} to {period.last.label} ({MONTHS} months), "
        f"now {period.now.isoformat(timespec='seconds')}",
        flush=True,
    )
    sizes = [measure_size(opts, env, opts.small, period, problems)]
    sizes.append(measure_size(opts, env, opts.referrals, period, problems))
    target = Target(alliance_id(), period)
    profile = data_profile()

    print("Comparing every figure of the summary with the hand-written SQL ...", flush=True)
    summary = run_summary(target)
    sql_rows = run_sql(target)
    figures = compare(summary, sql_rows)
    problems.check(
        not figures["differ_count"],
        f"{figures['differ_count']} figures of the summary differ from the hand-written SQL",
    )
    _, statements = count_queries(target)

    # DEBUG off serves hashed static files from the manifest collectstatic makes
    # (the page's stylesheets); into the temporary MSCC_VAR_DIR.
    manage(env, "collectstatic", "--no-input", "-v", "0")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = var_dir / "gunicorn.log"
    server = start_server(env, port, opts.workers, log)
    browser = None
    try:
        wait_for_health(base_url, server)
        codes = Codes(env["MSCC_DEMO_TOTP_SECRET"])
        password = env["MSCC_DEMO_PASSWORD"]
        token = token_sign_in(base_url, LEAD, password, codes)
        page_path = dashboard_path()
        if page_path is not None:
            print("Signing in to the pages (waits for a fresh two-factor code) ...", flush=True)
            browser = page_sign_in(base_url, LEAD, password, codes)
        query = f"alliance={ALLIANCE}&from={period.first.label}&to={period.last.label}"
        http = Http(base_url, token, browser, page_path, query)
        print(f"Rounds: {opts.warmup} warm-up + {opts.runs} measured ...", flush=True)
        series = measure_rounds(opts, target, http)
        plan = plans(target, statements) if opts.explain else None
    except Exception:
        print(f"--- gunicorn log ({log}) ---\n{log.read_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        if browser is not None:
            browser.close()
        stop_server(server)
    for s in series.values():
        for error in s.errors[:5]:
            problems.check(False, f"{s.name}: {error}")
    medians = {k: median(s.times_ms) for k, s in series.items()}
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": asdict(opts),
        "cpu_count": os.cpu_count(),
        "load_average_1m": {"before": load_before[0], "after": os.getloadavg()[0]},
        "period": {
            "from": period.first.label,
            "to": period.last.label,
            "now": period.now.isoformat(),
        },
        "sizes": sizes,
        "data": profile,
        "figures": figures,
        "series": {k: s.summary() for k, s in series.items()},
        "ratios": {
            **{k: ratio(medians[k], medians["sql"]) for k in ("summary", "json", "csv", "page")},
            "summary_1m": ratio(medians["summary_1m"], medians["sql_1m"]),
        },
        "statements": statements,
        "explain": plan,
        "problems": problems.items,
    }


# --- the report ------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "meets aim" if ok else "MISSES AIM"


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}"
    return f"{value:,}{unit}"


def report(result: dict[str, Any]) -> bool:
    """Print the figures; True when no check failed (aims are reported, not enforced)."""
    small, large = result["sizes"]
    print()
    print(
        f"MSCC audit benchmark  {result['when']}  cores={result['cpu_count']}  period "
        f"{result['period']['from']}..{result['period']['to']}  load avg 1m "
        f"{result['load_average_1m']['before']:.2f} before, "
        f"{result['load_average_1m']['after']:.2f} after"
    )
    print()
    for size in (small, large):
        load = size["load"]
        rows = ", ".join(f"{k} {v:,}" for k, v in load["rows"].items())
        print(
            f"load {size['referrals']:>9,} referrals: {load['load_s']:7.1f} s "
            f"(+ VACUUM ANALYZE {load['seconds']['vacuum_analyze']:.1f} s; migrate + seed "
            f"{size['seed_s']:.1f} s)  rows: {rows}"
        )
    print(f"database size at {large['referrals']:,}: {result['data']['database_size']['pretty']}")
    print()
    header = f"{'120 months, whole alliance':<36} {'runs':>5} {'err':>4} {'min ms':>9} "
    header += f"{'median ms':>10} {'max ms':>9} {'/ SQL':>7}"
    print(header)
    print("-" * len(header))
    for key, s in result["series"].items():
        r = fmt(result["ratios"].get(key), "x") if key in result["ratios"] else ""
        print(
            f"{s['name']:<36} {s['runs']:>5} {s['errors']:>4} {fmt(s['min_ms']):>9} "
            f"{fmt(s['median_ms']):>10} {fmt(s['max_ms']):>9} {r:>7}"
            + (f"   ({s['note']})" if s["note"] else "")
        )
    print()
    checks: list[tuple[str, str, str, bool | None]] = []
    for key, label in (
        ("summary", "in process"),
        ("json", "JSON"),
        ("csv", "CSV"),
        ("page", "page"),
    ):
        value = result["ratios"].get(key)
        checks.append(
            (
                f"summary {label} / hand-written SQL (median)",
                fmt(value, "x"),
                f"<= {AIM_RATIO:g}x",
                None if value is None else value <= AIM_RATIO,
            )
        )
    counts = [
        small["queries"]["1_month"],
        small["queries"][f"{MONTHS}_months"],
        large["queries"]["1_month"],
        large["queries"][f"{MONTHS}_months"],
    ]
    checks.append(
        (
            f"statements 1 / {MONTHS} months at {small['referrals']:,}; at {large['referrals']:,}",
            f"{counts[0]}/{counts[1]}; {counts[2]}/{counts[3]}",
            "all equal",
            len(set(counts)) == 1,
        )
    )
    peak_small = small["memory"]["tracemalloc_peak_kib"]
    peak_large = large["memory"]["tracemalloc_peak_kib"]
    memory_ratio = ratio(peak_large, peak_small)
    checks.append(
        (
            f"tracemalloc peak at {large['referrals']:,} / at {small['referrals']:,}",
            fmt(memory_ratio, "x"),
            f"<= {AIM_MEMORY_RATIO:g}x",
            memory_ratio is not None and memory_ratio <= AIM_MEMORY_RATIO,
        )
    )
    for name, value, aim, ok in checks:
        state = "not measured" if ok is None else verdict(ok)
        print(f"  {name:<52} {value:>14}   aim {aim:<10} {state}")
    print()
    print("memory of one 120-month summary, fresh process:")
    for size in (small, large):
        m = size["memory"]
        print(
            f"  {size['referrals']:>9,} referrals: tracemalloc peak "
            f"{m['tracemalloc_peak_kib'] / 1024:7.1f} MiB; VmHWM grew "
            f"{m['vm_hwm_growth_kib'] / 1024:6.1f} MiB (cold); VmRSS "
            f"{m['vm_rss_before_kib'] / 1024:.1f} -> {m['vm_rss_end_kib'] / 1024:.1f} MiB"
        )
    figures = result["figures"]
    print()
    print(
        f"figures: {figures['compared']:,} shown by the summary compared with the SQL, "
        f"{figures['differ_count']} differ; {figures['suppressed']:,} suppressed (not compared)"
    )
    for d in figures["differ"][:10]:
        print(f"  DIFFERS {d['figure']}: summary {d['summary']}, SQL {d['sql']}")
    print()
    print(f"the summary's statements ({MONTHS} months, {large['referrals']:,} referrals):")
    for s in result["statements"]:
        text = " ".join(s["sql"].split())
        print(f"  {s['ms']:9.1f} ms  {text[:110]}")
    if result["explain"]:
        plan = result["explain"]
        print()
        print("EXPLAIN (ANALYZE, BUFFERS) of the summary's slowest statement:")
        print(plan["summary_slowest_statement"])
        print(plan["summary_slowest_plan"])
        print()
        print("EXPLAIN (ANALYZE, BUFFERS) of the hand-written SQL:")
        print(plan["hand_written_plan"])
    if result["problems"]:
        print("\nERRORS:")
        for item in result["problems"]:
            print(f"  {item}")
    return not result["problems"]


def save(result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["when"].replace(":", "").replace("-", "").replace("+0000", "Z")
    path = RESULTS / f"audit-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


def load_only(opts: Options, env: dict[str, str]) -> int:
    setup_django(env)
    period = the_period(datetime.now(UTC))
    seed_s = fresh_database(opts, env)
    print(f"Recreated {opts.database}; migrated and seeded in {seed_s:.1f} s.", flush=True)
    print(f"Loading {opts.referrals:,} referrals over {MONTHS} months ...", flush=True)
    loaded = load(opts, opts.referrals, period)
    print(f"Loaded in {loaded.load_s:.1f} s: {loaded.rows}")
    print(json.dumps(data_profile(), indent=1, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    opts = parse_options(argv)
    if isinstance(opts, list):
        memory_probe(*opts)
        return 0
    var_dir = Path(tempfile.mkdtemp(prefix="mscc-bench-audit-"))
    try:
        env = server_environment(opts, var_dir)
        if opts.load_only:
            return load_only(opts, env)
        result = measure(opts, env, var_dir)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    all_good = report(result)
    if opts.write_json:
        print(f"\nJSON: {save(result).relative_to(ROOT)}")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
