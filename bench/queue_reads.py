"""Benchmark: the coordinator's reads (queue, list, detail) in process against
the hand-written SQL the same answers need.

What it does, in order (everything on loopback, every count bounded):

1. Drops and recreates a PostgreSQL database (``mscc_bench_queue`` by
   default; the name must contain ``bench``), runs ``manage.py migrate`` and
   ``manage.py seed_demo``, and sets Django up in this process against it.
2. Makes three referrals to DEMO-MSCC through ``referral_create`` (the API's
   own service): a suspected MSCC and a suspected spinal metastases referral,
   the templates, and one more suspected MSCC referral that gets 200 clinical
   events through ``referral_event_add`` (walking assessments: they move no
   clock). A fresh referral has no events.
3. Loads open referrals set-based (``INSERT ... SELECT`` from
   ``generate_series``): each copies a template's patient (a new valid NHS
   number from the 999 range), its referral row and its clocks, shifted to
   its own received time (one every 20 s before now, the two categories
   alternating), and the stored queue order is filled by the statement the
   migration uses. Then ``VACUUM ANALYZE``. First up to ``--small`` (1,000)
   open referrals, then up to ``--large`` (10,000).
4. At each size, ``--runs`` (3) interleaved rounds, each of ``--repeat``
   (30) calls of every series after a warm-up; each round's figure is the
   median call, the result the median of the rounds:
   * ``GET /api/v1/queue/`` through DRF's ``APIClient`` with a real token
     (authentication, the view, the serializer, JSON rendering, the access
     record), and the hand-written SQL for the same answer: the token lookup,
     the page's statements (the count, one statement for the page with its
     patients, codes, clocks and events as JSON, the due-soon fractions) and
     the access record's INSERT, in one transaction on a psycopg connection
     of this process;
   * at the small size also ``GET /api/v1/referrals/`` (the first page of
     the list) and its SQL, and ``GET /api/v1/referrals/{id}/`` for the
     referral with no events and the one with 200, and their SQL;
   * ``GET /api/v1/queue/`` with the order computed per request (the
     selector ``queue_computed_for``: the Case and correlated subquery of
     the queue before the stored order), for comparison.
5. Prints the table with the load average (``os.getloadavg``) before and
   after each size, the aims, and the plan of the queue's page query with
   ``--explain``; ``--profile`` prints a cProfile of 30 queue calls. Writes
   JSON to ``bench/results/`` (git-ignored) unless ``--no-json``.

Aims: queue <= 2x its SQL at 1,000 open; queue at 10,000 <= 1.2x the queue
at 1,000; list and detail <= 3x their SQL; detail with 200 events <= 1.3x
detail with none. A missed aim prints "MISSES AIM" and does not change the
exit status; a request that fails, or a page whose references differ from
the SQL's, does (exit 1).

Run from the repository root:  python bench/queue_reads.py  [--quick]
"""

# The statements are built from the models' column names and constants; every
# value is bound. TOKEN_LOOKUP is a statement, not a secret.
# ruff: noqa: S608, S105

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVICE = "DEMO-MSCC"
COORDINATOR = "demo-coordinator"
REFERRER = "demo-referrer"
TERMINAL = ("closed", "closed_not_mscc", "died", "redirected", "withdrawn")
PAGE = 50
NHS_FIRST_STEM = 999_300_000
AIMS = {
    "queue / SQL at small": 2.0,
    "queue large / queue small": 1.2,
    "list / SQL": 3.0,
    "detail / SQL": 3.0,
    "detail 200 events / SQL": 3.0,
    "detail 200 events / detail no events": 1.3,
}


def options(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--database", default="mscc_bench_queue")
    p.add_argument("--small", type=int, default=1_000)
    p.add_argument("--large", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="100 and 1,000 open, 10 calls a round")
    p.add_argument("--explain", action="store_true")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--no-json", action="store_true")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database a previous run loaded, as it is (no drop, no load): "
        "e.g. run from another checkout to compare its code on the same rows",
    )
    opts = p.parse_args(argv)
    if "bench" not in opts.database:
        p.error("--database must contain 'bench': it is dropped and recreated")
    if opts.quick:
        opts.small, opts.large, opts.repeat, opts.warmup = 100, 1_000, 10, 2
    return opts


# --- database and Django ----------------------------------------------------------


def environment(opts: argparse.Namespace, var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "mscc.settings",
            "DATABASE_URL": f"{opts.pg_url}/{opts.database}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "MSCC_BASE_URL": "http://127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "MSCC_VAR_DIR": var_dir,
            "MSCC_DEMO_PASSWORD": secrets.token_urlsafe(18),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def fresh_database(opts: argparse.Namespace, env: dict[str, str]) -> None:
    with psycopg.connect(f"{opts.pg_url}/postgres", autocommit=True) as conn:
        name = sql.Identifier(opts.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    for args in (("migrate", "--no-input"), ("seed_demo",)):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def nhs_numbers(first_stem: int, count: int) -> list[str]:
    """``count`` valid NHS numbers (Modulus 11) from the unissued 999 range."""
    out: list[str] = []
    stem = first_stem
    while len(out) < count:
        digits = [int(d) for d in f"{stem:09d}"]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        stem += 1
        if check == 10:
            continue
        out.append(f"{stem - 1:09d}{0 if check == 11 else check}")
    return out


# --- the data ----------------------------------------------------------------------


def templates() -> dict[str, Any]:
    """The referrals the load copies, and the two the detail reads, made
    through the service the API uses."""
    from django.utils import timezone

    from coordinator.services import referral_create, referral_event_add
    from referrals.inputs import PatientDetails
    from referrals.models import Organisation, Service, User

    referrer = User.objects.get(username=REFERRER)
    coordinator = User.objects.get(username=COORDINATOR)
    service = Service.objects.get(code=SERVICE)
    organisation = Organisation.objects.get(pk=referrer.organisation_id)
    numbers = iter(nhs_numbers(NHS_FIRST_STEM - 100, 10))
    now = timezone.now()

    def make(minutes_ago: int, **clinical: Any) -> Any:
        patient = PatientDetails(
            nhs_number=next(numbers),
            given_name="Bench",
            family_name="Patient",
            date_of_birth=datetime(1950, 6, 1, tzinfo=UTC).date(),
            sex="female",
            postcode="LS1 4AP",
        )
        return referral_create(
            user=referrer,
            now=now - timedelta(minutes=minutes_ago),
            organisation=organisation,
            service=service,
            patient=patient,
            clinical={"cancer_status": "current_or_past", "primary_tumour": "breast", **clinical},
        )

    mscc = make(600, neuro_features=["limb_weakness"])
    mets = make(590, neuro_features=[], pain_features=["mechanical"])
    busy = make(580, neuro_features=["limb_weakness"])
    started = time.perf_counter()
    for i in range(200):
        referral_event_add(
            referral=busy,
            user=coordinator,
            now=now,
            kind="ambulatory_assessed",
            occurred_at=busy.received_at + timedelta(minutes=1 + i),
            ambulatory=i % 2 == 0,
        )
    print(f"  200 events through referral_event_add: {time.perf_counter() - started:.1f} s")
    return {
        "mscc": mscc.pk,
        "mets": mets.pk,
        "no_events": mscc.pk,
        "events_200": busy.pk,
        "coordinator": coordinator,
        "service_id": service.pk,
    }


def reused() -> dict[str, Any]:
    """The rows a previous run made: a referral with no events, the one with 200."""
    from django.db.models import Count

    from referrals.models import Referral, Service, User

    service = Service.objects.get(code=SERVICE)
    copies = Referral.objects.filter(service=service, reference__startswith="MSCC-0")
    busy = (
        Referral.objects.filter(service=service)
        .annotate(n=Count("events"))
        .filter(n__gte=200)
        .values_list("pk", flat=True)
        .first()
    )
    return {
        "no_events": copies.values_list("pk", flat=True).first(),
        "events_200": busy,
        "coordinator": User.objects.get(username=COORDINATOR),
        "service_id": service.pk,
    }


def _columns(model: Any, overrides: dict[str, str], alias: str) -> tuple[str, str]:
    names, exprs = [], []
    for f in model._meta.concrete_fields:
        names.append(f'"{f.column}"')
        exprs.append(overrides.get(f.column, f'{alias}."{f.column}"'))
    return ", ".join(names), ", ".join(exprs)


def load_open(conn: psycopg.Connection[Any], t: dict[str, Any], first: int, last: int) -> float:
    """Referrals ``first``..``last`` (1-based), set-based, in one transaction."""
    from pathways.models import Clock
    from referrals.models import Patient, Referral

    started = time.perf_counter()
    numbers = nhs_numbers(NHS_FIRST_STEM, last)[first - 1 :]
    params: dict[str, Any] = {
        "first": first,
        "last": last,
        "nhs": numbers,
        "templates": [str(t["mscc"]), str(t["mets"])],
    }
    pcols, pexprs = _columns(
        Patient,
        {"id": "nextval(pg_get_serial_sequence('referrals_patient', 'id'))", "nhs_number": "n.num"},
        "tp",
    )
    rcols, rexprs = _columns(
        Referral,
        {
            "id": "gen_random_uuid()",
            # "0" is not in a real reference's alphabet: these never clash.
            "reference": "'MSCC-0' || lpad(g::text, 7, '0')",
            "patient_id": "p.id",
            "received_at": "now() - g * interval '20 seconds'",
            "suspected_at": "now() - g * interval '20 seconds' - (t.received_at - t.suspected_at)",
            "sent_given_name": "t.sent_given_name",
        },
        "t",
    )
    shift = "(r.received_at - t.received_at)"
    ccols, cexprs = _columns(
        Clock,
        {
            "id": "gen_random_uuid()",
            "referral_id": "r.id",
            "started_at": f"c.started_at + {shift}",
            "due_at": f"c.due_at + {shift}",
            "stopped_at": f"c.stopped_at + {shift}",
            "next_escalation_at": f"c.next_escalation_at + {shift}",
        },
        "c",
    )
    template = "(%(templates)s::uuid[])[1 + g %% 2]"
    statements = [
        f"""INSERT INTO referrals_patient ({pcols})
            SELECT {pexprs}
            FROM generate_series(%(first)s::int, %(last)s::int) g
            JOIN referrals_referral t ON t.id = {template}
            JOIN referrals_patient tp ON tp.id = t.patient_id
            JOIN LATERAL (SELECT (%(nhs)s::text[])[g - %(first)s + 1] AS num) n ON true""",
        f"""INSERT INTO referrals_referral ({rcols})
            SELECT {rexprs}
            FROM generate_series(%(first)s::int, %(last)s::int) g
            JOIN referrals_referral t ON t.id = {template}
            JOIN referrals_patient p ON p.nhs_number = (%(nhs)s::text[])[g - %(first)s + 1]""",
        f"""INSERT INTO pathways_clock ({ccols})
            SELECT {cexprs}
            FROM referrals_referral r
            JOIN referrals_referral t
              ON t.id = (%(templates)s::uuid[])[1 + substr(r.reference, 7)::int %% 2]
            JOIN pathways_clock c ON c.referral_id = t.id
            WHERE r.reference LIKE 'MSCC-0%%'
              AND substr(r.reference, 7)::int BETWEEN %(first)s AND %(last)s""",
        # The migration's fill (referrals 0018), for the loaded rows.
        """UPDATE referrals_referral r SET queue_due_at = (
               SELECT min(c.due_at) FROM pathways_clock c
               WHERE c.referral_id = r.id AND c.status = 'running' AND c.due_at IS NOT NULL)
           WHERE r.reference LIKE 'MSCC-0%%'
             AND substr(r.reference, 7)::int BETWEEN %(first)s AND %(last)s""",
    ]
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)
    conn.commit()
    conn.autocommit = True
    for table in ("referrals_patient", "referrals_referral", "pathways_clock"):
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    conn.autocommit = False
    return time.perf_counter() - started


# --- the hand-written SQL ------------------------------------------------------------

TOKEN_LOOKUP = """SELECT t.digest, t.expiry, u.id, u.username, u.role, u.service_id,
       u.organisation_id, u.alliance_id, u.is_active
FROM knox_authtoken t JOIN referrals_user u ON u.id = t.user_id
WHERE t.token_key = %(token_key)s"""

FRACTIONS = """SELECT policy_id, min(fraction) FROM notifications_escalationstep
WHERE policy_id = ANY(%(policies)s) AND "when" = 'warning' AND fraction > 0 AND fraction < 1
GROUP BY policy_id"""

ACCESS = """INSERT INTO referrals_patientdataaccess
  (at, user_id, view, path, referral_ids, patient_ids)
VALUES (now(), %(user)s, %(view)s, %(path)s, %(ids)s, '[]')"""

# One row per referral of the page: what the summary shows, with its clocks
# (due first, measured last) and events (for the stage) as JSON, and the
# reference of another open referral for the same person.
ROW = """
SELECT r.id, r.reference, r.category, r.triage_category, r.status, r.received_at,
       r.suspected_at, r.suspected_at_assumed, r.acknowledged_at, r.identity_check_required,
       r.escalation_policy_id, r.duplicate_of_id, r.status_reason, r.cancer_status,
       r.haematological, r.sent_given_name, r.sent_family_name, r.sent_date_of_birth,
       r.sent_sex, r.sent_postcode,
       p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.sex, p.postcode,
       o.code, s.code,
       (SELECT json_agg(json_build_object('id', c.id, 'kind', c.kind, 'status', c.status,
                'started_at', c.started_at, 'due_at', c.due_at, 'stopped_at', c.stopped_at,
                'target', c.target, 'reference', c.reference, 'stop_reason', c.stop_reason,
                'not_appropriate', c.not_appropriate,
                'not_appropriate_reason', c.not_appropriate_reason)
                ORDER BY c.due_at NULLS LAST, c.started_at)
          FROM pathways_clock c WHERE c.referral_id = r.id) AS clocks,
       (SELECT json_agg(json_build_object('id', e.id, 'kind', e.kind,
                'occurred_at', e.occurred_at, 'corrects', e.corrects_id))
          FROM pathways_clinicalevent e WHERE e.referral_id = r.id) AS events,
       (SELECT d.reference FROM referrals_referral d
          WHERE d.patient_id = r.patient_id AND d.service_id = r.service_id
            AND d.duplicate_of_id IS NULL AND d.id <> r.id
            AND d.status NOT IN ('closed', 'closed_not_mscc', 'died', 'redirected', 'withdrawn')
          ORDER BY d.received_at LIMIT 1) AS open_duplicate
FROM page r
JOIN referrals_patient p ON p.id = r.patient_id
JOIN referrals_organisation o ON o.id = r.referring_organisation_id
JOIN referrals_service s ON s.id = r.service_id
"""

OPEN = "r.status NOT IN ('closed', 'closed_not_mscc', 'died', 'redirected', 'withdrawn')"

QUEUE_COUNT = (
    f"SELECT count(*) FROM referrals_referral r WHERE r.service_id = %(service)s AND {OPEN}"
)
QUEUE_PAGE = f"""WITH page AS MATERIALIZED (
  SELECT * FROM referrals_referral r WHERE r.service_id = %(service)s AND {OPEN}
  ORDER BY r.queue_rank, r.queue_due_at NULLS LAST, r.received_at LIMIT {PAGE})
{ROW}
ORDER BY r.queue_rank, r.queue_due_at NULLS LAST, r.received_at"""

LIST_COUNT = "SELECT count(*) FROM referrals_referral r WHERE r.service_id = %(service)s"
LIST_PAGE = f"""WITH page AS MATERIALIZED (
  SELECT * FROM referrals_referral r WHERE r.service_id = %(service)s
  ORDER BY r.received_at DESC LIMIT {PAGE})
{ROW}
ORDER BY r.received_at DESC"""

DETAIL = f"""WITH page AS MATERIALIZED (
  SELECT * FROM referrals_referral r WHERE r.service_id = %(service)s AND r.id = %(id)s)
SELECT pr.*, r.*, v.number,
  (SELECT json_agg(json_build_object('id', e.id, 'kind', e.kind, 'occurred_at', e.occurred_at,
        'recorded_at', e.recorded_at, 'recorded_by', u.username, 'details', e.details,
        'corrects', e.corrects_id, 'ambulatory', e.ambulatory)
        ORDER BY e.occurred_at, e.recorded_at)
     FROM pathways_clinicalevent e JOIN referrals_user u ON u.id = e.recorded_by_id
     WHERE e.referral_id = r.id) AS events_full,
  (SELECT json_agg(m) FROM pathways_mdtdecision m WHERE m.referral_id = r.id) AS mdt,
  (SELECT json_agg(sc) FROM pathways_scorerecord sc WHERE sc.referral_id = r.id) AS scores,
  (SELECT json_agg(json_build_object('esc', x, 'deliveries',
        (SELECT json_agg(dl) FROM notifications_delivery dl WHERE dl.escalation_id = x.id)))
     FROM notifications_escalation x JOIN pathways_clock c ON c.id = x.clock_id
     WHERE c.referral_id = r.id) AS escalations
FROM ({ROW}) pr
JOIN referrals_referral r ON r.id = pr.id
JOIN pathways_pathwayversion v ON v.id = r.pathway_version_id"""


def hand_written(
    conn: psycopg.Connection[Any],
    token_key: str,
    user_id: int,
    statements: list[str],
    params: dict[str, Any],
    view: str,
    path: str,
) -> list[str]:
    """The token lookup, the page's statements and the access record: one
    transaction. Returns the references of the last statement's rows."""
    rows: list[Any] = []
    with conn.cursor() as cursor:
        cursor.execute(TOKEN_LOOKUP, {"token_key": token_key})
        cursor.fetchall()
        for statement in statements:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
        page_rows = rows  # the last statement's: the page
        policies = list({r[10] for r in page_rows if r[10] is not None})
        cursor.execute(FRACTIONS, {"policies": policies})
        cursor.fetchall()
        ids = json.dumps([str(r[0]) for r in page_rows])
        cursor.execute(ACCESS, {"user": user_id, "view": view, "path": path, "ids": ids})
    conn.commit()
    return [r[1] for r in page_rows]


# --- timing ----------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure(
    series: dict[str, Callable[[], Any]], runs: int, repeat: int, warmup: int
) -> dict[str, list[float]]:
    """Interleaved: each round runs every series ``repeat`` times in turn;
    a round's figure is the median call (ms)."""
    for call in series.values():
        for _ in range(warmup):
            call()
    out: dict[str, list[float]] = {name: [] for name in series}
    for _ in range(runs):
        times: dict[str, list[float]] = {name: [] for name in series}
        for _ in range(repeat):
            for name, call in series.items():
                started = time.perf_counter()
                call()
                times[name].append((time.perf_counter() - started) * 1000)
        for name in series:
            out[name].append(median(times[name]))
    return out


def main(argv: list[str] | None = None) -> int:
    opts = options(argv)
    var_dir = tempfile.mkdtemp(prefix="mscc-queue-bench-")
    env = environment(opts, var_dir)
    if opts.reuse:
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
    else:
        print(f"database {opts.database}: migrate and seed_demo ...", flush=True)
        fresh_database(opts, env)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.services import token_create
    from coordinator import selectors

    t = reused() if opts.reuse else templates()
    coordinator = t["coordinator"]
    token = token_create(user=coordinator).token
    token_key = token[:15]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"{opts.pg_url}/{opts.database}"
    conn = psycopg.connect(url)
    failures: list[str] = []
    result: dict[str, Any] = {"options": vars(opts), "sizes": {}}

    def api(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path)
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")
            return response

        return call

    def sql_call(
        statements: list[str], params: dict[str, Any], view: str, path: str
    ) -> Callable[[], Any]:
        return lambda: hand_written(conn, token_key, coordinator.pk, statements, params, view, path)

    queue_params = {"service": t["service_id"]}
    stored = selectors.queue_for
    computed_for = getattr(selectors, "queue_computed_for", None)  # absent before issue 12

    def computed(*, user: Any) -> Any:
        # As the queue was before the stored order: the same prefetches.
        return selectors._with_display_relations(computed_for(user=user))

    def queue_computed() -> Any:
        selectors.queue_for = computed
        try:
            return api("/api/v1/queue/")()
        finally:
            selectors.queue_for = stored  # type: ignore[assignment]

    copies = 0  # beside the 3 made through the service
    sizes = [(0, "reuse")] if opts.reuse else [(opts.small, "small"), (opts.large, "large")]
    for size, label in sizes:
        want = size - 3
        seconds = load_open(conn, t, copies + 1, want) if want > copies else 0.0
        copies = max(copies, want)
        open_count = conn.execute(QUEUE_COUNT, queue_params).fetchone()[0]  # type: ignore[index]
        conn.commit()
        print(f"\n{open_count:,} open referrals (load {seconds:.1f} s)", flush=True)
        # The same page, both ways.
        api_refs = [r["reference"] for r in api("/api/v1/queue/")().json()["results"]]
        sql_refs = hand_written(
            conn,
            token_key,
            coordinator.pk,
            [QUEUE_COUNT, QUEUE_PAGE],
            queue_params,
            "api.queue",
            "/api/v1/queue/",
        )
        if api_refs != sql_refs:
            failures.append(f"queue page at {open_count}: references differ from the SQL's")
        series: dict[str, Callable[[], Any]] = {
            "queue": api("/api/v1/queue/"),
            "queue SQL": sql_call(
                [QUEUE_COUNT, QUEUE_PAGE], queue_params, "api.queue", "/api/v1/queue/"
            ),
        }
        if computed_for is not None:
            series["queue, order computed per request"] = queue_computed
        if label != "large":
            for name, rid in (("detail", t["no_events"]), ("detail 200 events", t["events_200"])):
                series[name] = api(f"/api/v1/referrals/{rid}/")
                series[f"{name} SQL"] = sql_call(
                    [DETAIL],
                    {**queue_params, "id": rid},
                    "api.referral.detail",
                    f"/api/v1/referrals/{rid}/",
                )
            series["list"] = api("/api/v1/referrals/")
            series["list SQL"] = sql_call(
                [LIST_COUNT, LIST_PAGE], queue_params, "api.referral.list", "/api/v1/referrals/"
            )
        load_before = os.getloadavg()
        times = measure(series, opts.runs, opts.repeat, opts.warmup)
        load_after = os.getloadavg()
        medians = {name: median(v) for name, v in times.items()}
        with CaptureQueriesContext(connection) as ctx:
            api("/api/v1/queue/")()
        statements = len(ctx.captured_queries)
        print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
        print(f"queue statements (token, page, prefetches, access): {statements}")
        print(f"{'series':<38} {'median ms':>10} {'runs':>24} {'/ SQL':>7}")
        for name, value in medians.items():
            sql_name = f"{name} SQL"
            if name.endswith("computed per request"):
                sql_name = "queue SQL"
            r = value / medians[sql_name] if sql_name in medians and sql_name != name else None
            runs = ", ".join(f"{x:.2f}" for x in times[name])
            print(f"{name:<38} {value:>10.2f} {runs:>24} {'' if r is None else f'{r:.2f}x':>7}")
        result["sizes"][label] = {
            "open": open_count,
            "load_s": seconds,
            "load_average": [load_before, load_after],
            "times_ms": times,
            "medians_ms": medians,
            "queue_statements": statements,
        }
        if opts.explain:
            plan = conn.execute(
                "EXPLAIN (ANALYZE, BUFFERS) "
                + QUEUE_PAGE.replace("%(service)s", str(t["service_id"]))
            ).fetchall()
            conn.commit()
            print("\n".join(row[0] for row in plan))

    if opts.profile:
        profiler = cProfile.Profile()
        call = api("/api/v1/queue/")
        profiler.enable()
        for _ in range(30):
            call()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

    small = result["sizes"]["reuse" if opts.reuse else "small"]["medians_ms"]
    large = result["sizes"]["reuse" if opts.reuse else "large"]["medians_ms"]
    ratios = {
        "queue / SQL at small": small["queue"] / small["queue SQL"],
        "queue large / queue small": large["queue"] / small["queue"],
        "list / SQL": small["list"] / small["list SQL"],
        "detail / SQL": small["detail"] / small["detail SQL"],
        "detail 200 events / SQL": small["detail 200 events"] / small["detail 200 events SQL"],
        "detail 200 events / detail no events": small["detail 200 events"] / small["detail"],
    }
    print("\naims")
    for name, value in ratios.items():
        verdict = "meets aim" if value <= AIMS[name] else "MISSES AIM"
        print(f"  {name:<40} {value:5.2f}x  (aim <= {AIMS[name]}x)  {verdict}")
    result["ratios"] = ratios
    result["failures"] = failures
    for failure in failures[:10]:
        print("FAILED:", failure)
    if not opts.no_json:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"queue_reads-{stamp}.json"
        path.write_text(json.dumps(result, indent=1, default=str))
        print(f"\nwrote {path}")
    conn.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
