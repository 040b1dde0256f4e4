"""Benchmark: the escalation sweep at scale, and escalation latency end to end.

What it does, in order (everything on loopback, every count bounded):

1. Drops and recreates a PostgreSQL database (``mscc_sweep_bench`` by
   default) and runs ``manage.py migrate`` against it.
2. Sets Django up in this process against that database. Creates one service
   with the default pathway and escalation policy (``service_provision``), its
   users, and a rota (``Shift``
   rows) that puts a coordinator and a senior clinician on call. Takes three
   real suspected-MSCC referrals through ``referral_create`` and acknowledges
   them through ``referral_acknowledge``: each then has a met acknowledgement
   clock and a running MRI clock.
3. Bulk-loads (COPY) referrals, patients and clocks copied field for field
   from the first real referral, with their own ids, NHS numbers and times.
   Each clock's ``next_escalation_at`` is what the engine's own rule
   (``escalation_rules.next_fire_at`` on the service's policy) gives for the
   clock's start and due times. At the reference time REF exactly ``--due``
   (100) running clocks are due: unacknowledged referrals whose first warning
   fell due 30 s to 5 minutes before REF. Every other running clock's next step
   is 1 to 11 hours after REF. Then ``VACUUM ANALYZE``.
4. At ``--small`` (10,000) and then ``--large`` (100,000) running clocks:
   a. Memory: a fresh subprocess runs two sweeps as of REF, each in a
      transaction it rolls back. It reports the tracemalloc peak of the second
      (warm) sweep, the growth of its peak resident set (VmHWM) across the
      first (cold) one, and its VmHWM at the end.
   b. Time: ``--rounds`` interleaved rounds, after ``--warmup`` rounds. Each
      round runs the raw index lookup of the due clocks (``SELECT … WHERE
      status = 'running' AND next_escalation_at <= REF ORDER BY
      next_escalation_at LIMIT 500``, with and without ``FOR UPDATE SKIP
      LOCKED``), the sweep's own SELECT of them exactly as the ORM sends it
      (with its joins; captured once from a sweep), one full
      ``sweep(now=REF)`` of them, and the same lookup and sweep as of a time
      when nothing is due. Each runs in its own
      transaction, which is rolled back, so every round sweeps the same 100
      clocks. Last in each round, one sweep that really commits, as beat's
      task does, with the due state restored after it (not timed).
   c. Queries: the SQL statements of one sweep with 0, 10 and 100 clocks due,
      grouped by statement and table, with the time each group took.
   d. ``EXPLAIN (ANALYZE, BUFFERS)`` of the raw lookup and of the sweep's own
      SELECT.
5. Latency: starts a real Celery worker and beat (``python -m celery -A mscc
   worker`` / ``beat``) against the same database and Redis (its own queue,
   ``MSCC_SWEEP_SECONDS`` = ``--sweep-seconds``). It waits for the first sweep
   to clear the clocks already due. Then it takes ``--latency-clocks`` (200)
   real referrals through ``referral_create``, with received times chosen so
   that each one's first escalation step (in-app, to the on-call coordinator)
   falls due at its own moment spread over ``--latency-spread`` (30) seconds
   from a few seconds ahead. It waits until all their in-app deliveries are
   sent. Latency = ``delivery.sent_at`` - ``escalation.fire_at``. Then it stops
   worker and beat.
6. Prints a table and the aims, and writes JSON to ``bench/results/``.

Aims (issue 4):

* sweep / raw index lookup, 100 due among 100,000 running: <= 1.5x.
* sweep peak memory (tracemalloc) flat from 10,000 to 100,000 running
  (here: at most 1.2x).
* end-to-end latency p99 < MSCC_SWEEP_SECONDS + 2 s.

A sweep of 100 due clocks also writes 100 escalation rows, their delivery rows
and 100 clock updates, so its ratio to the lookup includes that work. The
sweep with nothing due shows the cost of the sweep itself over the lookup. A
missed aim is reported ("MISSES AIM"), not turned into a failing exit status.
The exit status is 1 when a check fails: a sweep or lookup that finds the
wrong number of clocks, or a delivery that is never sent.

Run from the repository root:  python bench/sweep.py  [--quick]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from math import ceil
from pathlib import Path
from statistics import median
from typing import Any

import psycopg
import sweep_sql  # bench/ is not a package: found through sys.path
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

SERVICE = "BENCH-MSCC"
ORGANISATION = "BENCH-GP"
ALLIANCE = "BENCH"
REFERRER = "bench-referrer"
COORDINATOR = "bench-coordinator"
SENIOR = "bench-senior"

AIM_SQL_RATIO = 2.5  # sweep / the set-based SQL writing the same rows (issue 12)
AIM_FLAT_RATIO = 1.2  # largest size / smallest: "flat" in the number of running clocks
AIM_MEMORY_RATIO = 1.2
BATCH = 500  # the sweep's default batch_size
LATENCY_SLACK_S = 2.0

REAL_REFERRALS = 3
# The due clocks' first step fell due this long before REF (spread evenly);
# less than the 7.5 minutes to the second step, so each raises one step.
DUE_LAG = (timedelta(seconds=30), timedelta(minutes=5))
# The other running clocks' next step falls due this long after REF.
FUTURE_LEAD = (timedelta(hours=1), timedelta(hours=11))
# A time before every due clock's step: a sweep then finds nothing due.
IDLE_BEFORE = timedelta(minutes=15)

PATIENT = {
    "given_name": "Bench",
    "family_name": "Patient",
    "date_of_birth": date(1955, 4, 1),
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

# --- options -----------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    sizes: list[int]
    due_counts: list[int]
    rounds: int
    warmup: int
    latency_clocks: int
    latency_spread: float
    sweep_seconds: float
    concurrency: int
    pg_url: str
    database: str
    redis_url: str
    latency: bool
    explain: bool
    profile: bool
    write_json: bool


def counts(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def parse_options(argv: list[str] | None = None) -> Options | tuple[str, str]:
    """The options; or, in the memory-probe child, (REF, now) as ISO strings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small counts for a smoke run (overrides the counts below)",
    )
    parser.add_argument(
        "--sizes",
        type=counts,
        default=[10_000, 100_000, 1_000_000],
        help="running clocks, comma-separated, ascending (default 10000,100000,1000000)",
    )
    parser.add_argument(
        "--due-counts",
        type=counts,
        default=[100, 5_000],
        help="clocks due at each measured instant, comma-separated (default 100,5000)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per size")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument(
        "--latency-clocks",
        type=int,
        default=200,
        help="referrals whose first escalation falls due during the latency test",
    )
    parser.add_argument(
        "--latency-spread",
        type=float,
        default=30.0,
        help="seconds over which their due times are spread",
    )
    parser.add_argument(
        "--sweep-seconds",
        type=float,
        default=5.0,
        help="MSCC_SWEEP_SECONDS for beat in the latency test",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=os.cpu_count() or 1,
        help="Celery worker processes (default: cores)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server, without a database name",
    )
    parser.add_argument(
        "--database",
        default="mscc_sweep_bench",
        help="database to DROP and recreate (never an existing real one)",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="Celery broker for the latency test (a private queue is used in it)",
    )
    parser.add_argument(
        "--no-latency",
        dest="latency",
        action="store_false",
        help="skip the end-to-end latency test (no Celery, no Redis)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the full EXPLAIN ANALYZE plans",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile of one sweep at each due count, at the largest size",
    )
    parser.add_argument(
        "--no-json",
        dest="write_json",
        action="store_false",
        help="do not write bench/results/*.json",
    )
    parser.add_argument("--memory-probe", nargs=2, metavar=("REF", "NOW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        return args.memory_probe[0], args.memory_probe[1]
    if args.quick:
        args.sizes, args.due_counts, args.warmup = [5_000, 20_000], [100, 1_000], 1
        args.latency_clocks, args.latency_spread = 40, 10.0
    args.sizes, args.due_counts = sorted(args.sizes), sorted(args.due_counts)
    floor = REAL_REFERRALS + 2 * max(args.due_counts)
    if min(args.due_counts) < 10:
        parser.error("--due-counts must be at least 10")
    if min(args.sizes) < floor - 10:
        # 10,000 with 5,000 due is 10,003: the due referrals' clocks and the 3 real ones.
        parser.error(f"need {floor} <= the smallest size (3 real + 2 per due referral)")
    if args.rounds < 1 or args.latency_clocks < 1 or args.sweep_seconds <= 0:
        parser.error("--rounds, --latency-clocks and --sweep-seconds must be positive")
    if "bench" not in args.database:
        parser.error("--database is dropped each run: its name must contain 'bench'")
    del args.quick, args.memory_probe
    return Options(**vars(args))


# --- statistics --------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with p% of values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, ceil(p / 100 * len(ordered)) - 1)]


def summary(name: str, values: list[float], digits: int = 3) -> dict[str, Any]:
    return {
        "name": name,
        "n": len(values),
        "min": round(min(values), digits) if values else None,
        "p50": round(percentile(values, 50), digits) if values else None,
        "p90": round(percentile(values, 90), digits) if values else None,
        "p99": round(percentile(values, 99), digits) if values else None,
        "max": round(max(values), digits) if values else None,
        "values": [round(v, digits) for v in values],
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


class Problems:
    """Checks that failed (wrong counts, undelivered messages): exit status 1."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, ok: bool, message: str) -> None:
        if not ok and len(self.items) < 20:
            self.items.append(message)


# --- the benchmark database and Django in this process -------------------------


def recreate_database(opts: Options) -> None:
    with psycopg.connect(f"{opts.pg_url}/postgres", autocommit=True) as conn:
        name = sql.Identifier(opts.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def base_environment(opts: Options, var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "mscc.settings",
            "DATABASE_URL": f"{opts.pg_url}/{opts.database}",
            "DEBUG": "false",
            "MSCC_BASE_URL": "http://127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
            "MSCC_VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
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


def patient_details(nhs_number: str) -> Any:
    from referrals.inputs import PatientDetails

    return PatientDetails(nhs_number=nhs_number, **PATIENT)


@dataclass
class World:
    """The service and who works in it, and the escalation timings of its policy."""

    service: Any
    organisation: Any
    referrer: Any
    coordinator: Any
    senior: Any
    timings: list[Any]
    create_seconds: float = 0.0


def create_world(numbers: Iterator[str]) -> World:
    """One service set up as a new service is: default pathway and escalation
    policy; a coordinator and a senior clinician on call; three real referrals
    taken and acknowledged through the service layer."""
    from django.utils import timezone

    from coordinator.services import referral_acknowledge, referral_create, service_provision
    from core.roles import Role
    from notifications.codes import OnCallRole
    from notifications.models import Shift
    from notifications.selectors.policies import policy_steps, step_timings
    from referrals.codes import OrganisationKind
    from referrals.models import Alliance, Organisation, Service, User

    alliance = Alliance.objects.create(code=ALLIANCE, name="Bench alliance")
    service = Service.objects.create(code=SERVICE, name="Bench MSCC", alliance=alliance)
    organisation = Organisation.objects.create(
        code=ORGANISATION, name="Bench GP", kind=OrganisationKind.GP_PRACTICE, alliance=alliance
    )

    def user(username: str, role: str, **scope: Any) -> Any:
        return User.objects.create_user(
            username=username,
            password=secrets.token_urlsafe(16),
            role=role,
            email=f"{username}@example.invalid",
            **scope,
        )

    referrer = user(REFERRER, Role.REFERRER, organisation=organisation)
    coordinator = user(COORDINATOR, Role.COORDINATOR, service=service)
    senior = user(SENIOR, Role.SENIOR_CLINICIAN, service=service)
    service.lead = senior
    service.save(update_fields=["lead"])
    _, policy = service_provision(service=service)
    now = timezone.now()
    for role, person in (
        (OnCallRole.COORDINATOR, coordinator),
        (OnCallRole.SENIOR_CLINICIAN, senior),
    ):
        Shift.objects.create(
            service=service,
            role=role,
            user=person,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=2),
        )
    started = time.perf_counter()
    for _ in range(REAL_REFERRALS):
        referral = referral_create(
            user=referrer,
            now=timezone.now(),
            organisation=organisation,
            service=service,
            patient=patient_details(next(numbers)),
            clinical=dict(SUSPECTED_MSCC),
        )
        referral_acknowledge(referral=referral, user=coordinator, now=timezone.now())
    per_create = (time.perf_counter() - started) / REAL_REFERRALS
    timings = step_timings(policy_steps({policy.pk})[policy.pk])
    return World(service, organisation, referrer, coordinator, senior, timings, per_create)


# --- bulk load: COPY rows copied from a real referral ---------------------------


def copy_rows(model: Any, template: Any, rows: Iterable[dict[str, Any]]) -> int:
    """COPY rows into ``model``'s table: every column as in ``template`` except
    the attributes each row gives. Values are prepared by the model's own
    fields (``get_db_prep_save``), as ``bulk_create`` would."""
    from django.db import connection

    fields = model._meta.concrete_fields
    by_name = {f.attname: f for f in fields}
    base = {f.attname: f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for overrides in rows:
            values = dict(base)
            for name, value in overrides.items():
                values[name] = by_name[name].get_db_prep_save(value, connection)
            copy.write_row([values[f.attname] for f in fields])
            count += 1
    return count


def reserve_ids(model: Any, n: int) -> list[int]:
    """``n`` ids from the table's identity sequence, as inserts would take them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, n],
        )
        return [row[0] for row in cursor.fetchall()]


_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def bulk_reference(n: int) -> str:
    """A referral reference from a counter ("MSCC-" + 8 characters, like the
    real ones but never random, so never a repeat)."""
    chars = []
    for _ in range(8):
        n, digit = divmod(n, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "MSCC-" + "".join(reversed(chars))


def spread(lo: timedelta, hi: timedelta, i: int, n: int) -> timedelta:
    return lo + (hi - lo) * (i / (n - 1) if n > 1 else 0)


class Loader:
    """Bulk rows modelled on the first real referral and its two clocks."""

    def __init__(self, world: World, numbers: Iterator[str], ref: datetime) -> None:
        from pathways.codes import ClockKind
        from referrals.models import Referral

        self.world = world
        self.numbers = numbers
        self.ref = ref
        self.template = Referral.objects.filter(service=world.service).earliest("received_at")
        clocks = {c.kind: c for c in self.template.clocks.all()}
        self.ack = clocks[ClockKind.ACKNOWLEDGEMENT]
        self.mri = clocks[ClockKind.MRI]
        self.patient = self.template.patient
        self.references = 0
        self.future_loaded = 0
        self.due_clock_ids: list[Any] = []

    def first_step_after_start(self, target: timedelta) -> timedelta:
        """How long after a clock starts its first escalation step falls due."""
        from notifications import escalation_rules

        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        first = escalation_rules.next_fire_at(self.world.timings, epoch, epoch + target)
        assert first is not None
        return first - epoch

    def _next(self, started: datetime, target: timedelta) -> datetime | None:
        from notifications import escalation_rules

        return escalation_rules.next_fire_at(self.world.timings, started, started + target)

    def load(self, *, due: int, future: int) -> None:
        """``due`` unacknowledged referrals whose acknowledgement clock's first
        step fell due before REF, and ``future`` acknowledged ones whose MRI
        clock's first step falls due 1 to 11 hours after REF. Each referral has
        an acknowledgement clock and an MRI clock, as a real one has."""
        from django.db import transaction

        from pathways.codes import ClockStatus
        from pathways.models import Clock
        from referrals.codes import ReferralStatus
        from referrals.models import Patient, Referral

        n = due + future
        ack_first = self.first_step_after_start(self.ack.target)
        mri_first = self.first_step_after_start(self.mri.target)
        patient_ids = reserve_ids(Patient, n)
        referrals: list[dict[str, Any]] = []
        ack_rows: list[dict[str, Any]] = []
        mri_rows: list[dict[str, Any]] = []
        acknowledged_after = self.template.acknowledged_at - self.template.received_at
        for i in range(n):
            referral_id = uuid.uuid4()
            if i < due:
                received = self.ref - spread(*DUE_LAG, i, due) - ack_first
                acknowledged = None
            else:
                received = self.ref + spread(*FUTURE_LEAD, i - due, future) - mri_first
                acknowledged = received + acknowledged_after
            referrals.append(
                {
                    "id": referral_id,
                    "reference": bulk_reference(self.references),
                    "patient_id": patient_ids[i],
                    "received_at": received,
                    "suspected_at": received,
                    "status": ReferralStatus.TRIAGED if acknowledged else ReferralStatus.RECEIVED,
                    "status_changed_at": acknowledged,
                    "acknowledged_at": acknowledged,
                    "acknowledged_by_id": self.world.coordinator.pk if acknowledged else None,
                }
            )
            self.references += 1
            # The clinical events that started and stopped the template's clocks
            # are not copied: the copies point at none.
            ack_clock = {
                "id": uuid.uuid4(),
                "referral_id": referral_id,
                "started_at": received,
                "due_at": received + self.ack.target,
                "next_escalation_at": self._next(received, self.ack.target),
                "stopped_by_event_id": None,
                "started_by_event_id": None,
            }
            if acknowledged:
                ack_clock.update(
                    stopped_at=acknowledged,
                    status=ClockStatus.MET,
                    stop_reason=self.ack.stop_reason,
                )
            else:
                ack_clock.update(stopped_at=None, status=ClockStatus.RUNNING, stop_reason="")
                self.due_clock_ids.append(ack_clock["id"])
            ack_rows.append(ack_clock)
            mri_rows.append(
                {
                    "id": uuid.uuid4(),
                    "referral_id": referral_id,
                    "started_at": received,
                    "due_at": received + self.mri.target,
                    "next_escalation_at": self._next(received, self.mri.target),
                    "started_by_event_id": None,
                }
            )
        with transaction.atomic():
            copy_rows(
                Patient,
                self.patient,
                ({"id": pid, "nhs_number": next(self.numbers)} for pid in patient_ids),
            )
            copy_rows(Referral, self.template, referrals)
            copy_rows(Clock, self.ack, ack_rows)
            copy_rows(Clock, self.mri, mri_rows)

    def load_future(self, n: int, chunk: int = 250_000) -> None:
        """``n`` acknowledged referrals, set-based (``INSERT … SELECT`` from
        ``generate_series``, bench/sweep_sql.py): each a met acknowledgement
        clock and a running MRI clock whose first step falls due 1 to 11 hours
        after REF, as ``load`` makes them, in chunks of ``chunk`` referrals."""
        from django.db import connection, transaction

        from pathways.models import Clock
        from referrals.codes import ReferralStatus
        from referrals.models import Referral

        qn = connection.ops.quote_name
        first_g = self.future_loaded
        span = max(n - 1, 1)
        acknowledged_after = self.template.acknowledged_at - self.template.received_at
        referral_values = {
            "id": "gen_random_uuid()",
            "reference": "'MSCC-f' || lpad(g::text, 10, '0')",
            "received_at": "x.received",
            "suspected_at": "x.received",
            "status": "%(status)s",
            "status_changed_at": "x.received + %(ack_after)s::interval",
            "acknowledged_at": "x.received + %(ack_after)s::interval",
            "acknowledged_by_id": "%(coordinator)s",
        }
        ack_values = {
            "id": "gen_random_uuid()",
            "referral_id": "r.id",
            "started_at": "r.received_at",
            "due_at": "r.received_at + c.target",
            "stopped_at": "r.acknowledged_at",
            "next_escalation_at": "NULL",
            "started_by_event_id": "NULL",
            "stopped_by_event_id": "NULL",
        }
        mri_values = {
            "id": "gen_random_uuid()",
            "referral_id": "r.id",
            "started_at": "r.received_at",
            "due_at": "r.received_at + c.target",
            "next_escalation_at": "r.received_at + %(mri_first)s::interval",
            "started_by_event_id": "NULL",
            "stopped_by_event_id": "NULL",
        }

        def statement(template: str, model: Any, values: dict[str, str], alias: str) -> str:
            columns = [f.column for f in model._meta.concrete_fields]
            return template.format(
                columns=", ".join(qn(c) for c in columns),
                values=", ".join(values.get(c, f"{alias}.{qn(c)}") for c in columns),
            )

        load_referrals = statement(sweep_sql.LOAD_REFERRALS, Referral, referral_values, "t")
        load_ack = statement(sweep_sql.LOAD_CLOCKS, Clock, ack_values, "c")
        load_mri = statement(sweep_sql.LOAD_CLOCKS, Clock, mri_values, "c")
        mri_first = self.first_step_after_start(self.mri.target)
        for start in range(first_g, first_g + n, chunk):
            last = min(start + chunk, first_g + n) - 1
            params = {
                "first": start,
                "last": last,
                "start": first_g,
                "span": span,
                "ref": self.ref,
                "lo": FUTURE_LEAD[0],
                "hi": FUTURE_LEAD[1],
                "mri_first": mri_first,
                "ack_after": acknowledged_after,
                "template": self.template.pk,
                "status": ReferralStatus.TRIAGED,
                "coordinator": self.world.coordinator.pk,
            }
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(load_referrals, params)
                cursor.execute(load_ack, {**params, "clock": self.ack.pk})
                cursor.execute(load_mri, {**params, "clock": self.mri.pk})
        self.future_loaded += n


def running_clocks() -> int:
    from pathways.codes import ClockStatus
    from pathways.models import Clock

    return Clock.objects.filter(status=ClockStatus.RUNNING).count()


def vacuum_analyze() -> None:
    """As autovacuum would leave a service that has been running: visibility
    map set, planner statistics current."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def grow_to(loader: Loader, target: int, due: int) -> None:
    """Load until ``target`` clocks are running: first the ``due`` referrals
    (COPY, each with two running clocks), then acknowledged ones set-based."""
    if not loader.due_clock_ids:
        loader.load(due=due, future=0)
    loader.load_future(max(0, target - running_clocks()))
    vacuum_analyze()


# --- what is measured ----------------------------------------------------------


def noop(_ids: list[str]) -> None:
    """The sweep's ``enqueue``: the measurement leaves Celery out."""


def raw_lookup_sql(*, lock: bool) -> str:
    """The bare index lookup of due clocks: every column of the clock, as the
    sweep reads it, without the sweep's joins and work."""
    from django.db import connection

    from pathways.models import Clock

    query = sql.SQL(
        "SELECT {} FROM {} WHERE status = %s AND next_escalation_at <= %s"
        " ORDER BY next_escalation_at LIMIT 500{}"
    ).format(
        sql.SQL(", ").join(sql.Identifier(f.column) for f in Clock._meta.concrete_fields),
        sql.Identifier(Clock._meta.db_table),
        sql.SQL(" FOR UPDATE SKIP LOCKED" if lock else ""),
    )
    connection.ensure_connection()
    return query.as_string(connection.connection)


def raw_lookup(query: str, now: datetime) -> int:
    return run_sql(query, ["running", now])


def timed_rolled_back(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(ms, result) of ``fn`` run inside a transaction that is then rolled back."""
    from django.db import transaction

    with transaction.atomic():
        started = time.perf_counter()
        out = fn()
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return elapsed, out


def escalations_of(result: Any) -> int:
    return len(result.escalations)


def set_based_sweep(now: datetime) -> dict[str, int]:
    """The hand-written sweep (bench/sweep_sql.py): per batch of 500 due clocks
    one statement that locks them and writes their escalations, deliveries
    and next escalation times; then the storm notice, and the repeat and
    lost-delivery lookups, as the sweep runs them."""
    from django.conf import settings
    from django.db import connection

    out = {"clocks": 0, "escalations": 0, "deliveries": 0, "moved": 0}
    per_service: dict[str, int] = {}
    params = {"now": now, "batch": BATCH, "base_url": settings.MSCC_BASE_URL}
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sweep_sql.SWEEP_BATCH, params)
            taken, raised, sent, moved, services = cursor.fetchone()
            for key, value in zip(out, (taken, raised, sent, moved), strict=True):
                out[key] += value
            for service, n in services.items():
                per_service[service] = per_service.get(service, 0) + n
            if taken < BATCH:
                break
        for service, n in per_service.items():
            if n > settings.MSCC_ESCALATION_STORM_THRESHOLD:
                cursor.execute(sweep_sql.STORM_NOTICE, {**params, "service": service, "n": n})
                out["deliveries"] += cursor.rowcount
        cursor.execute(sweep_sql.REPEATS, params)
        cursor.fetchall()
        cursor.execute(sweep_sql.LOST, params)
        cursor.fetchall()
    return out


def rows_written(now: datetime, due_ids: list[Any]) -> dict[str, Any]:
    """What a sweep as of ``now`` wrote, by natural key, for comparison: every
    column but the generated ids and the subject and body text."""
    from notifications.models import Delivery, Escalation
    from pathways.models import Clock

    names = {
        pk: (str(clock), step)
        for pk, clock, step in Escalation.objects.filter(raised_at=now).values_list(
            "id", "clock_id", "step_id"
        )
    }
    return {
        "escalations": sorted(
            (names[e[0]], *e[1:])
            for e in Escalation.objects.filter(raised_at=now).values_list(
                "id", "fire_at", "round", "next_repeat_at", "superseded_by_id", "acknowledged_at"
            )
        ),
        "deliveries": sorted(
            (names.get(d[0], ("notice", 0)), *d[1:])
            for d in Delivery.objects.filter(created_at=now).values_list(
                "escalation_id",
                "round",
                "channel",
                "recipient_id",
                "recipient_key",
                "address",
                "status",
                "attempts",
                "last_error",
            )
        ),
        "clocks": sorted(
            (str(pk), at)
            for pk, at in Clock.objects.filter(pk__in=due_ids).values_list(
                "id", "next_escalation_at"
            )
        ),
    }


def timed_and_rows(
    fn: Callable[[], Any], now: datetime, due_ids: list[Any]
) -> tuple[float, Any, dict[str, Any]]:
    """(ms, result, rows written) of ``fn`` in a transaction then rolled back;
    the rows are read after the clock stops."""
    from django.db import transaction

    with transaction.atomic():
        started = time.perf_counter()
        out = fn()
        elapsed = (time.perf_counter() - started) * 1000
        rows = rows_written(now, due_ids)
        transaction.set_rollback(True)
    return elapsed, out, rows


def measure_rounds(
    opts: Options, due_times: dict[int, datetime], due_ids: list[Any], problems: Problems
) -> dict[str, Any]:
    """Interleaved: each round runs, for each due count, the set-based SQL and
    the sweep (their order alternating by round), each in a transaction that
    is rolled back, so every run finds the same clocks due. The rows each
    wrote are compared in every round."""
    from notifications.services.sweep import sweep

    out: dict[str, Any] = {
        str(n): {"sql": [], "sweep": [], "load": [], "rows": {}} for n in due_counts(due_times)
    }
    for round_ in range(opts.warmup + opts.rounds):
        for n, now in due_times.items():
            runs = [
                ("sql", lambda now=now: set_based_sweep(now)),
                ("sweep", lambda now=now: sweep(now=now, enqueue=noop)),
            ]
            if round_ % 2:
                runs.reverse()
            written: dict[str, dict[str, Any]] = {}
            for key, fn in runs:
                ms, _, written[key] = timed_and_rows(fn, now, due_ids)
                if round_ >= opts.warmup:
                    out[str(n)][key].append(ms)
            if round_ >= opts.warmup:
                out[str(n)]["load"].append(os.getloadavg()[0])
            sql_rows, sweep_rows = written["sql"], written["sweep"]
            problems.check(
                len(sweep_rows["escalations"]) == n,
                f"{n} due: the sweep raised {len(sweep_rows['escalations'])} escalations",
            )
            problems.check(
                sql_rows == sweep_rows,
                f"{n} due: the set-based SQL and the sweep wrote different rows",
            )
            out[str(n)]["rows"] = {k: len(v) for k, v in sweep_rows.items()}
            out[str(n)]["same_rows"] = sql_rows == sweep_rows
    for series in out.values():
        series["sql_ms"] = round(median(series["sql"]), 3)
        series["sweep_ms"] = round(median(series["sweep"]), 3)
        series["ratio"] = ratio(series["sweep_ms"], series["sql_ms"])
        series["load_1m"] = round(median(series["load"]), 2)
    return out


def due_counts(due_times: dict[int, datetime]) -> list[int]:
    return list(due_times)


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"(\w+)"')


def statement_label(statement: str) -> str:
    """A statement's verb and first table: "SELECT pathways_clock", "SAVEPOINT", …"""
    verb = statement.split(None, 1)[0].upper()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    match = _TABLE.search(statement)
    return f"{verb} {match.group(1)}" if match else verb


@dataclass
class QueryLog:
    """Every statement one sweep sent, with its time (ms)."""

    statements: list[tuple[str, str, Any, float]] = field(default_factory=list)

    def __call__(self, execute: Any, statement: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            self.statements.append((statement_label(statement), statement, params, elapsed))

    def grouped(self) -> list[dict[str, Any]]:
        groups: dict[str, dict[str, Any]] = {}
        for label, _, _, ms in self.statements:
            group = groups.setdefault(label, {"statement": label, "count": 0, "ms": 0.0})
            group["count"] += 1
            group["ms"] += ms
        for group in groups.values():
            group["ms"] = round(group["ms"], 3)
        return sorted(groups.values(), key=lambda g: -g["ms"])


def logged_sweep(now: datetime) -> tuple[float, int, QueryLog]:
    """One sweep, rolled back, with every statement logged: (ms, escalations, log)."""
    from django.db import connection

    from notifications.services.sweep import sweep

    log = QueryLog()
    with connection.execute_wrapper(log):
        ms, result = timed_rolled_back(lambda: sweep(now=now, enqueue=noop))
    return ms, escalations_of(result), log


def nth_due_time(due_ids: list[Any], n: int) -> datetime:
    from pathways.models import Clock

    times = sorted(
        Clock.objects.filter(pk__in=due_ids).values_list("next_escalation_at", flat=True)
    )
    return times[n - 1]


def measure_queries(due_times: dict[int, datetime]) -> dict[str, Any]:
    """The statements of one sweep at each due count."""
    out: dict[str, Any] = {}
    for n, now in due_times.items():
        ms, escalations, log = logged_sweep(now)
        out[str(n)] = {
            "due": n,
            "escalations": escalations,
            "sweep_ms": round(ms, 3),
            "queries": len(log.statements),
            "db_ms": round(sum(s[3] for s in log.statements), 3),
            "by_statement": log.grouped(),
        }
    return out


def sweep_select(now: datetime) -> tuple[str, Any]:
    """The SQL and parameters of the sweep's own SELECT of due clocks (with
    its joins and ``FOR UPDATE OF … SKIP LOCKED``), as the ORM sends it."""
    _, _, log = logged_sweep(now)
    return next(
        (statement, params)
        for label, statement, params, _ in log.statements
        if label == "SELECT pathways_clock" and "FOR UPDATE" in statement
    )


def run_sql(statement: str, params: Any) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return len(cursor.fetchall())


def explain(ref: datetime) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the raw lookup and of the sweep's own
    SELECT of due clocks (as the ORM sends it), both rolled back."""
    from django.db import connection

    plans = {}
    for name, (statement, params) in (
        ("raw lookup (FOR UPDATE SKIP LOCKED)", (raw_lookup_sql(lock=True), ["running", ref])),
        ("sweep's SELECT of due clocks", sweep_select(ref)),
    ):

        def run(statement: str = statement, params: Any = params) -> str:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
                return "\n".join(row[0] for row in cursor.fetchall())

        plans[name] = timed_rolled_back(run)[1]
    return plans


def plan_summary(plan: str) -> str:
    uses = "index clock_escalation_due" if "clock_escalation_due" in plan else "NOT the index"
    seq = ", SEQ SCAN of pathways_clock" if "Seq Scan on pathways_clock" in plan else ""
    execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
    took = f"{execution.group(1)} ms" if execution else "?"
    return f"uses {uses}{seq}; execution {took}"


def profile_sweep(now: datetime) -> str:
    """cProfile of one sweep as of ``now`` (rolled back): the 25 functions
    with the most time of their own, then the 25 with the most in all."""
    from notifications.services.sweep import sweep

    profiler = cProfile.Profile()
    timed_rolled_back(lambda: profiler.runcall(sweep, now=now, enqueue=noop))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
    return out.getvalue()


# --- memory, in a fresh process --------------------------------------------------


def vm_hwm_kib() -> int:
    """This process's peak resident set size (VmHWM). Not ru_maxrss: Linux
    carries the parent's peak over into a child across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def memory_probe(ref_iso: str, now_iso: str) -> None:
    """Child process: a cold and then a warm sweep as of NOW, each rolled
    back. Prints one JSON line."""
    setup_django(dict(os.environ))
    from django.db import connection

    from notifications.services.sweep import sweep

    ref, now = datetime.fromisoformat(ref_iso), datetime.fromisoformat(now_iso)
    connection.ensure_connection()
    # Nothing due: loads the sweep's code paths that do not depend on the count.
    timed_rolled_back(lambda: sweep(now=ref - IDLE_BEFORE, enqueue=noop))
    gc.collect()
    hwm_before = vm_hwm_kib()
    _, cold = timed_rolled_back(lambda: sweep(now=now, enqueue=noop))
    hwm_after = vm_hwm_kib()
    del cold
    gc.collect()
    tracemalloc.start()
    _, warm = timed_rolled_back(lambda: sweep(now=now, enqueue=noop))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "escalations": len(warm.escalations),
                "tracemalloc_peak_kib": round(peak / 1024, 1),
                "vm_hwm_before_kib": hwm_before,
                "vm_hwm_after_cold_sweep_kib": hwm_after,
                "vm_hwm_growth_kib": hwm_after - hwm_before,
                "vm_hwm_end_kib": vm_hwm_kib(),
            }
        )
    )


def run_memory_probe(env: dict[str, str], ref: datetime, now: datetime) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--memory-probe",
            ref.isoformat(),
            now.isoformat(),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_size(
    opts: Options,
    env: dict[str, str],
    ref: datetime,
    due_times: dict[int, datetime],
    loader: Loader,
    problems: Problems,
) -> dict[str, Any]:
    running = running_clocks()
    print(
        f"At {running:,} running clocks: memory (subprocess), {opts.rounds} rounds ...", flush=True
    )
    memory = {}
    for n, now in due_times.items():
        memory[str(n)] = run_memory_probe(env, ref, now)
        problems.check(
            memory[str(n)]["escalations"] == n,
            f"memory probe at {running}, {n} due: {memory[str(n)]['escalations']} escalations",
        )
    series = measure_rounds(opts, due_times, loader.due_clock_ids, problems)
    for n, s in series.items():
        print(
            f"  {n:>5} due: sweep {s['sweep_ms']:9.2f} ms, set-based SQL {s['sql_ms']:9.2f} ms, "
            f"{fmt(s['ratio'], 'x')}, load {s['load_1m']:.2f}, same rows: {s['same_rows']}",
            flush=True,
        )
    return {
        "running_clocks": running,
        "memory": memory,
        "series": series,
        "queries": measure_queries(due_times),
    }


# --- end-to-end latency: a real worker and beat ---------------------------------


def start_celery(
    role: str, env: dict[str, str], queue: str, opts: Options, var_dir: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    log = var_dir / f"celery-{role}.log"
    command = [sys.executable, "-m", "celery", "-A", "mscc", role, "--loglevel=INFO"]
    if role == "worker":
        command += [
            "-Q", queue, "-n", f"{queue}@%h", "--concurrency", str(opts.concurrency),
            "--without-mingle", "--without-gossip", "--without-heartbeat",
        ]  # fmt: skip
    else:
        command += ["-s", str(var_dir / "celerybeat-schedule")]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped by its id
        )
    return process, log


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # Celery: warm shutdown
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_until(
    what: str, ready: Callable[[], bool], timeout_s: float, processes: list[Any]
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a Celery process exited with {process.returncode} ({what})")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def backlog_cleared(since: datetime) -> bool:
    """A sweep ran since ``since``; nothing is due and nothing is pending."""
    from django.utils import timezone

    from notifications.codes import DeliveryStatus
    from notifications.models import Delivery, Heartbeat
    from pathways.codes import ClockStatus
    from pathways.models import Clock

    beat = Heartbeat.objects.filter(name="sweep").first()
    if beat is None or beat.at < since:
        return False
    due = Clock.objects.filter(
        status=ClockStatus.RUNNING, next_escalation_at__lte=timezone.now()
    ).exists()
    return not due and not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()


def create_latency_referrals(
    opts: Options, world: World, numbers: Iterator[str], first_step: timedelta
) -> tuple[list[Any], datetime, datetime]:
    """Real referrals whose first escalation step falls due spread over the
    next ``--latency-spread`` seconds: each is received ``first_step`` before
    its planned due time. Returns (ids, first due time, when all were in)."""
    from django.utils import timezone

    from coordinator.services import referral_create

    n = opts.latency_clocks
    # Room to create them all before the first falls due (each commits on its own).
    lead = timedelta(seconds=3 + 2 * world.create_seconds * n)
    first_due = timezone.now() + lead
    span = timedelta(seconds=opts.latency_spread)
    ids = []
    for i in range(n):
        due_at = first_due + spread(timedelta(0), span, i, n)
        referral = referral_create(
            user=world.referrer,
            now=due_at - first_step,
            organisation=world.organisation,
            service=world.service,
            patient=patient_details(next(numbers)),
            clinical=dict(SUSPECTED_MSCC),
        )
        ids.append(referral.pk)
    return ids, first_due, timezone.now()


def latency_rows(referral_ids: list[Any]) -> list[dict[str, Any]]:
    from notifications.codes import Channel
    from notifications.models import Delivery

    return list(
        Delivery.objects.filter(
            escalation__clock__referral_id__in=referral_ids,
            escalation__step__position=1,
            channel=Channel.IN_APP,
            round=0,
        ).values("status", "sent_at", "escalation__fire_at", "escalation__raised_at")
    )


def sent_count(referral_ids: list[Any]) -> int:
    from notifications.codes import DeliveryStatus

    return sum(1 for r in latency_rows(referral_ids) if r["status"] == DeliveryStatus.SENT)


_SUCCEEDED = re.compile(r"Task (notifications\.tasks\.\w+)\[[^\]]+\] succeeded in ([\d.]+)s")


def task_runtimes(log: Path) -> dict[str, list[float]]:
    runtimes: dict[str, list[float]] = {}
    for match in _SUCCEEDED.finditer(log.read_text(errors="replace")):
        runtimes.setdefault(match.group(1), []).append(float(match.group(2)) * 1000)
    return runtimes


def forget_queue(redis_url: str, queue: str) -> int:
    """Delete this run's own keys from the shared Redis (its queue name is in them)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{queue}*", count=1000))
        for binding in client.scan_iter(match="_kombu.binding.*", count=1000):
            for member in client.smembers(binding):
                if queue.encode() in member:
                    client.srem(binding, member)
        return client.delete(*keys) if keys else 0
    finally:
        client.close()


def measure_latency(
    opts: Options, env: dict[str, str], loader: Loader, var_dir: Path
) -> dict[str, Any]:
    from django.utils import timezone

    queue = f"mscc-sweep-bench-{secrets.token_hex(4)}"
    child_env = {
        **env,
        "CELERY_BROKER_URL": opts.redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MSCC_SWEEP_SECONDS": f"{opts.sweep_seconds:g}",
    }
    first_step = loader.first_step_after_start(loader.ack.target)
    worker, worker_log = start_celery("worker", child_env, queue, opts, var_dir)
    beat, beat_log = start_celery("beat", child_env, queue, opts, var_dir)
    processes = [worker, beat]
    try:
        wait_until(
            "the worker to be ready",
            lambda: " ready." in worker_log.read_text(errors="replace"),
            60,
            processes,
        )
        since = timezone.now()
        print("Latency: waiting for the first sweep to clear what is already due ...", flush=True)
        wait_until("the backlog", lambda: backlog_cleared(since), 120, processes)
        print(
            f"Latency: {opts.latency_clocks} referrals, first steps due over "
            f"{opts.latency_spread:g}s, sweep every {opts.sweep_seconds:g}s ...",
            flush=True,
        )
        ids, first_due, created_by = create_latency_referrals(
            opts, loader.world, loader.numbers, first_step
        )
        last_due = first_due + timedelta(seconds=opts.latency_spread)
        budget = (last_due - timezone.now()).total_seconds() + opts.sweep_seconds + 60
        try:
            wait_until(
                "every delivery to be sent",
                lambda: sent_count(ids) >= opts.latency_clocks,
                max(budget, 10),
                processes,
            )
        except RuntimeError as exc:
            print(f"  {exc}", file=sys.stderr)
        rows = latency_rows(ids)
    except Exception:
        for log in (worker_log, beat_log):
            print(f"--- {log.name} ---\n{log.read_text(errors='replace')[-4000:]}", file=sys.stderr)
        raise
    finally:
        stop_process(beat)
        stop_process(worker)
        removed = forget_queue(opts.redis_url, queue)
    sent = [r for r in rows if r["sent_at"] is not None]
    latencies = [(r["sent_at"] - r["escalation__fire_at"]).total_seconds() for r in sent]
    to_raise = [
        (r["escalation__raised_at"] - r["escalation__fire_at"]).total_seconds() for r in sent
    ]
    to_send = [(r["sent_at"] - r["escalation__raised_at"]).total_seconds() for r in sent]
    runtimes = task_runtimes(worker_log)
    return {
        "queue": queue,
        "sweep_seconds": opts.sweep_seconds,
        "concurrency": opts.concurrency,
        "clocks": opts.latency_clocks,
        "spread_s": opts.latency_spread,
        "sent": len(sent),
        "deliveries": len(rows),
        "setup_overran_s": round(max(0.0, (created_by - first_due).total_seconds()), 3),
        "latency_s": summary("due -> sent (sent_at - fire_at)", latencies),
        "due_to_raised_s": summary("due -> raised by the sweep", to_raise),
        "raised_to_sent_s": summary("raised -> sent by the deliver task", to_send),
        "task_ms": {name: summary(name, values) for name, values in runtimes.items()},
        "redis_keys_removed": removed,
    }


# --- the run -------------------------------------------------------------------


def measure(
    opts: Options, env: dict[str, str], var_dir: Path, problems: Problems
) -> dict[str, Any]:
    from django.utils import timezone

    load_before = os.getloadavg()
    setup_django(env)
    numbers = fresh_nhs_numbers()
    world = create_world(numbers)
    ref = timezone.now()
    loader = Loader(world, numbers, ref)
    sizes = []
    due_times: dict[int, datetime] = {}
    for target in opts.sizes:
        started = time.perf_counter()
        grow_to(loader, target, max(opts.due_counts))
        print(
            f"Loaded to {running_clocks():,} running clocks in "
            f"{time.perf_counter() - started:.1f}s (COPY and INSERT … SELECT, then "
            f"VACUUM ANALYZE).",
            flush=True,
        )
        if not due_times:
            due_times = {n: nth_due_time(loader.due_clock_ids, n) for n in opts.due_counts}
        sizes.append(measure_size(opts, env, ref, due_times, loader, problems))
    first = due_times[opts.due_counts[0]]
    plans = explain(first)
    profiles = (
        {str(n): profile_sweep(now) for n, now in due_times.items()} if opts.profile else None
    )
    latency = measure_latency(opts, env, loader, var_dir) if opts.latency else None
    if latency:
        problems.check(
            latency["sent"] == opts.latency_clocks,
            f"latency: {latency['sent']} of {opts.latency_clocks} in-app deliveries sent",
        )
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": asdict(opts),
        "cpu_count": os.cpu_count(),
        "load_average_1m": {"before": load_before[0], "after": os.getloadavg()[0]},
        "ref": ref.isoformat(),
        "sizes": sizes,
        "explain": plans,
        "profile": profiles,
        "latency": latency,
    }


# --- the report ------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "meets aim" if ok else "MISSES AIM"


def fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def report(result: dict[str, Any], problems: Problems) -> None:
    opts = result["options"]
    print()
    print(
        f"MSCC escalation sweep benchmark  {result['when']}  cores={result['cpu_count']}  "
        f"load avg 1m {result['load_average_1m']['before']:.2f} before, "
        f"{result['load_average_1m']['after']:.2f} after"
    )
    print(
        f"In process, sweep(now=..., enqueue=no-op) against the set-based SQL writing the "
        f"same rows; interleaved, median of {opts['rounds']} rounds after {opts['warmup']} "
        "warm-up, each rolled back."
    )
    head = (
        f"  {'running':>10} {'due':>6} {'sweep ms':>10} {'SQL ms':>9} {'ratio':>7} "
        f"{'load 1m':>8} {'peak KiB':>10} {'stmts':>6} {'same rows':>9}"
    )
    print(head)
    print("  " + "-" * (len(head) - 2))
    for size in result["sizes"]:
        for n, s in size["series"].items():
            memory = size["memory"][n]
            queries = size["queries"][n]
            print(
                f"  {size['running_clocks']:>10,} {int(n):>6,} {s['sweep_ms']:>10.2f} "
                f"{s['sql_ms']:>9.2f} {fmt(s['ratio'], 'x'):>7} {s['load_1m']:>8.2f} "
                f"{memory['tracemalloc_peak_kib']:>10,.1f} {queries['queries']:>6} "
                f"{'yes' if s['same_rows'] else 'NO':>9}"
            )
    small, large = result["sizes"][0], result["sizes"][-1]
    n_small, n_large = f"{small['running_clocks']:,}", f"{large['running_clocks']:,}"
    print()
    for n, q in large["queries"].items():
        print(f"Statements of one sweep of {n} due clocks at {n_large} running:")
        for g in q["by_statement"]:
            print(f"  {g['statement']:<44} {g['count']:>5} x  {g['ms']:9.3f} ms")
        print(f"  in the database {q['db_ms']:.3f} ms of {q['sweep_ms']:.3f} ms")
    print()
    for name, plan in result["explain"].items():
        print(f"EXPLAIN {name}: {plan_summary(plan)}")
        if opts["explain"]:
            print("  " + plan.replace("\n", "\n  "))
    print()
    checks: list[tuple[str, str, str, bool | None]] = []
    for size in result["sizes"]:
        for n, s in size["series"].items():
            checks.append(
                (
                    f"sweep / SQL, {int(n):,} due, {size['running_clocks']:,} running",
                    fmt(s["ratio"], "x"),
                    f"<= {AIM_SQL_RATIO:g}x",
                    s["ratio"] is not None and s["ratio"] <= AIM_SQL_RATIO,
                )
            )
    if len(result["sizes"]) > 1:
        for n in small["series"]:
            growth = ratio(large["series"][n]["sweep_ms"], small["series"][n]["sweep_ms"])
            sql_growth = ratio(large["series"][n]["sql_ms"], small["series"][n]["sql_ms"])
            mem = ratio(
                large["memory"][n]["tracemalloc_peak_kib"],
                small["memory"][n]["tracemalloc_peak_kib"],
            )
            checks += [
                (f"sweep at {n_large} / at {n_small}, {int(n):,} due", fmt(growth, "x"),
                 f"<= {AIM_FLAT_RATIO:g}x", growth is not None and growth <= AIM_FLAT_RATIO),
                (f"SQL at {n_large} / at {n_small}, {int(n):,} due", fmt(sql_growth, "x"),
                 "context", None),
                (f"sweep peak memory at {n_large} / at {n_small}, {int(n):,} due",
                 fmt(mem, "x"), f"<= {AIM_MEMORY_RATIO:g}x",
                 mem is not None and mem <= AIM_MEMORY_RATIO),
            ]  # fmt: skip
    print("Aims:")
    for name, value, aim, ok in checks:
        outcome = "" if ok is None else verdict(ok)
        print(f"  {name:<56} {value:>9}   aim {aim:<9} {outcome}")
    latency = result["latency"]
    if latency:
        print()
        print(
            f"End-to-end latency, due -> in-app delivery sent: {latency['clocks']} clocks due "
            f"over {latency['spread_s']:g}s; Celery worker (prefork, {latency['concurrency']}) "
            f"and beat, MSCC_SWEEP_SECONDS={latency['sweep_seconds']:g}, Redis broker"
        )
        head = f"  {'phase':<40} {'n':>4} {'p50 s':>8} {'p90 s':>8} {'p99 s':>8} {'max s':>8}"
        print(head)
        print("  " + "-" * (len(head) - 2))
        for key in ("latency_s", "due_to_raised_s", "raised_to_sent_s"):
            s = latency[key]
            cells = " ".join(f"{fmt(s[k], digits=3):>8}" for k in ("p50", "p90", "p99", "max"))
            print(f"  {s['name']:<40} {s['n']:>4} {cells}")
        for name, s in sorted(latency["task_ms"].items()):
            print(
                f"  worker task {name.rsplit('.', 1)[1]:<20} runs {s['n']:>4}  p50 "
                f"{fmt(s['p50'], ' ms', 1)}  max {fmt(s['max'], ' ms', 1)}"
            )
        p99 = latency["latency_s"]["p99"]
        limit = latency["sweep_seconds"] + LATENCY_SLACK_S
        print(
            f"  sent {latency['sent']} of {latency['clocks']}; setup overran the first due "
            f"time by {latency['setup_overran_s']:.3f}s"
        )
        print(
            f"  {'latency p99':<48} {fmt(p99, 's', 3):>9}   aim < {limit:g}s    "
            f"{verdict(p99 is not None and p99 < limit)}"
        )
    for n, profile in (result["profile"] or {}).items():
        print()
        print(f"cProfile of one sweep of {n} due clocks at {n_large} running:")
        print(profile)
    if problems.items:
        print("\nERRORS:")
        for item in problems.items:
            print(f"  {item}")


def save(result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["when"].replace(":", "").replace("-", "").replace("+0000", "Z")
    path = RESULTS / f"sweep-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


def main(argv: list[str] | None = None) -> int:
    opts = parse_options(argv)
    if isinstance(opts, tuple):
        memory_probe(*opts)
        return 0
    var_dir = Path(tempfile.mkdtemp(prefix="mscc-sweep-bench-"))
    problems = Problems()
    try:
        env = base_environment(opts, var_dir)
        recreate_database(opts)
        manage(env, "migrate", "--no-input")
        print(f"Recreated and migrated database {opts.database}.", flush=True)
        result = measure(opts, env, var_dir, problems)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    result["problems"] = problems.items
    report(result, problems)
    if opts.write_json:
        print(f"\nJSON: {save(result).relative_to(ROOT)}")
    return 1 if problems.items else 0


if __name__ == "__main__":
    sys.exit(main())
