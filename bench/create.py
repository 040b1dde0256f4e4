"""Benchmark: the referral create (POST /api/v1/referrals/) against the SQL it must run.

What it does, in order (everything on loopback, every count bounded):

1. Drops and recreates a PostgreSQL database (``mscc_bench_create`` by
   default; the name must contain ``bench``), runs ``manage.py migrate`` and
   ``manage.py seed_demo`` (the environment is ``bench/intake_queue.py``'s).
2. In process, ``--runs`` (3) runs of ``--rounds`` (150) rounds. Each round
   sends one ``POST /api/v1/referrals/`` through DRF's ``APIClient`` with a
   real knox token in the ``Authorization`` header (so the token check is
   counted), then runs the hand-written transaction on a psycopg connection
   to the same database: the token lookup, then in one transaction the
   INSERTs that one create writes (patient and its history row, referral and
   its history row, its clocks and their history rows in one statement each,
   the access-log row). The rows' values are those of a referral the service
   wrote (read once, before timing), with fresh ids, reference, NHS number
   and times. The two alternate, so both see the same drift. Medians per run,
   the median of the runs, the ratio, and the load average are printed, with
   the statements each side sends (``CaptureQueriesContext``).
3. ``--profile``: a cProfile of ``--profile-rounds`` in-process creates.
4. Over HTTP, for information: gunicorn (DEBUG off, ``--workers``), the
   referrer signed in once; ``--runs`` runs of ``--http-requests`` baseline
   ``GET /api/v1/auth/me/`` then as many creates, from ``--clients`` (16)
   clients; throughput of each and the ratio.
5. Memory: the server answers requests (creates and ``/auth/me/`` in turn)
   until it has answered ``--memory-requests`` (10,000) in all, then each
   worker's VmRSS and VmHWM are read from ``/proc``.

Aims: in process, create <= 4x its hand-written transaction; over HTTP,
16-client create throughput >= 1/5 of the baseline's; each worker's RSS
<= 100 MiB after 10,000 requests. A missed aim prints ``MISSES AIM``; the
exit status is 1 only when a request fails.

Run from the repository root:  python bench/create.py  [--quick] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent))

import intake_queue as iq

AIM_IN_PROCESS = 4.0
AIM_HTTP_SHARE = 0.2
AIM_RSS_MIB = 100.0


@dataclass(frozen=True)
class Options:
    runs: int
    rounds: int
    warmup: int
    clients: int
    http_requests: int
    memory_requests: int
    workers: int
    pg_url: str
    database: str
    profile: bool
    profile_rounds: int
    http: bool


def parse_options(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small counts for a smoke run")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--rounds", type=int, default=150, help="creates (and SQL) per run")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--http-requests", type=int, default=400, help="per series per run")
    p.add_argument("--memory-requests", type=int, default=10_000)
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--database", default="mscc_bench_create")
    p.add_argument("--profile", action="store_true", help="print a cProfile of the create")
    p.add_argument("--profile-rounds", type=int, default=200)
    p.add_argument("--no-http", action="store_true", help="in-process figures only")
    a = p.parse_args(argv)
    if "bench" not in a.database:
        p.error("--database must contain 'bench': it is dropped and recreated")
    if a.quick:
        a.rounds, a.warmup, a.http_requests, a.memory_requests = 40, 10, 100, 1_000
        a.profile_rounds = 50
    return Options(
        runs=a.runs,
        rounds=a.rounds,
        warmup=a.warmup,
        clients=a.clients,
        http_requests=a.http_requests,
        memory_requests=a.memory_requests,
        workers=a.workers,
        pg_url=a.pg_url,
        database=a.database,
        profile=a.profile,
        profile_rounds=a.profile_rounds,
        http=not a.no_http,
    )


def intake_options(opts: Options) -> iq.Options:
    """intake_queue's options, for its database and environment helpers."""
    return iq.parse_options(
        ["--database", opts.database, "--pg-url", opts.pg_url, "--workers", str(opts.workers)]
    )


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# --- in process: the create through Django's handler -------------------------


class InProcess:
    def __init__(self, token: str) -> None:
        from rest_framework.test import APIClient

        self.client = APIClient(SERVER_NAME="127.0.0.1")
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def create(self, nhs_number: str) -> float:
        body = json.dumps(iq.create_body(nhs_number))
        started = time.perf_counter()
        response = self.client.post(iq.CREATE_PATH, body, content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201 or response.json()["category"] != "suspected_mscc":
            raise RuntimeError(
                f"create answered {response.status_code}: {response.content[:300]!r}"
            )
        return elapsed

    def statements(self, nhs_number: str) -> list[str]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.create(nhs_number)
        return [q["sql"] for q in captured.captured_queries]


# --- the hand-written transaction ---------------------------------------------


TABLES = (
    "referrals_patient",
    "referrals_historicalpatient",
    "referrals_referral",
    "referrals_historicalreferral",
    "pathways_clock",
    "pathways_historicalclock",
    "referrals_patientdataaccess",
)


class HandWritten:
    """The token check and the seven INSERTs of one create, on psycopg.

    Every row copies a row the service wrote for a real create (read once,
    before timing), with new ids, reference, NHS number and times: the same
    columns, types and sizes as the service's rows."""

    def __init__(self, dsn: str, token: str, referral_id: str) -> None:
        self.conn = psycopg.connect(dsn, row_factory=dict_row)
        from knox.settings import CONSTANTS

        self.token_key = token[: CONSTANTS.TOKEN_KEY_LENGTH]
        self.templates: dict[str, list[dict[str, Any]]] = {}
        self.jsonb: dict[str, set[str]] = {}
        self.serial: dict[str, str] = {}
        with self.conn.transaction():
            r = self.conn.execute(
                "SELECT * FROM referrals_referral WHERE id = %s", [referral_id]
            ).fetchone()
            assert r is not None
            pid = r["patient_id"]
            self.templates["referrals_referral"] = [r]
            self.templates["referrals_historicalreferral"] = self._rows(
                "SELECT * FROM referrals_historicalreferral WHERE id = %s", referral_id
            )
            self.templates["referrals_patient"] = self._rows(
                "SELECT * FROM referrals_patient WHERE id = %s", pid
            )
            self.templates["referrals_historicalpatient"] = self._rows(
                "SELECT * FROM referrals_historicalpatient WHERE id = %s", pid
            )
            self.templates["pathways_clock"] = self._rows(
                "SELECT * FROM pathways_clock WHERE referral_id = %s ORDER BY kind", referral_id
            )
            self.templates["pathways_historicalclock"] = self._rows(
                "SELECT * FROM pathways_historicalclock WHERE referral_id = %s ORDER BY kind",
                referral_id,
            )
            self.templates["referrals_patientdataaccess"] = self._rows(
                "SELECT * FROM referrals_patientdataaccess WHERE referral_ids @> %s::jsonb",
                json.dumps([referral_id]),
            )
            for table in TABLES:
                assert self.templates[table], table
                cols = self.conn.execute(
                    "SELECT column_name, data_type, column_default FROM information_schema.columns"
                    " WHERE table_name = %s",
                    [table],
                ).fetchall()
                self.jsonb[table] = {c["column_name"] for c in cols if c["data_type"] == "jsonb"}
                for c in cols:  # serial/identity keys are left to the database
                    if (c["column_default"] or "").startswith("nextval") or c["column_name"] in (
                        "history_id",
                    ):
                        self.serial[table] = c["column_name"]
            ident = self.conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE is_identity = 'YES' AND table_name = ANY(%s)",
                [list(TABLES)],
            ).fetchall()
            for row in ident:
                self.serial[row["table_name"]] = row["column_name"]
        self.conn.commit()
        self.sql = {t: self._insert_sql(t) for t in TABLES}
        self.count = 0

    def _rows(self, query: str, arg: Any) -> list[dict[str, Any]]:
        return self.conn.execute(query, [arg]).fetchall()

    def _columns(self, table: str) -> list[str]:
        return [c for c in self.templates[table][0] if c != self.serial.get(table)]

    def _insert_sql(self, table: str) -> sql.Composed:
        cols = self._columns(table)
        one = sql.SQL("({})").format(sql.SQL(", ").join(sql.Placeholder() * len(cols)))
        rows = sql.SQL(", ").join([one] * len(self.templates[table]))
        returning = (
            sql.SQL(" RETURNING {}").format(sql.Identifier(self.serial[table]))
            if (table in ("referrals_patient",) and table in self.serial)
            else sql.SQL("")
        )
        return sql.SQL("INSERT INTO {} ({}) VALUES {}{}").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, cols)),
            rows,
            returning,
        )

    def _params(self, table: str, changes: list[dict[str, Any]]) -> list[Any]:
        params: list[Any] = []
        jsonb = self.jsonb[table]
        for template, change in zip(self.templates[table], changes, strict=True):
            row = {**template, **change}
            for col in self._columns(table):
                value = row[col]
                params.append(Jsonb(value) if col in jsonb and value is not None else value)
        return params

    def create(self, nhs_number: str) -> float:
        started = time.perf_counter()
        now = datetime.now(UTC)
        self.count += 1
        conn = self.conn
        with conn.transaction():
            user = conn.execute(
                "SELECT t.digest, t.expiry, u.id, u.is_active FROM knox_authtoken t"
                " JOIN referrals_user u ON u.id = t.user_id"
                " WHERE t.token_key = %s AND (t.expiry IS NULL OR t.expiry > %s)",
                [self.token_key, now],
            ).fetchone()
            assert user is not None
        with conn.transaction():
            patient_id = conn.execute(
                self.sql["referrals_patient"],
                self._params("referrals_patient", [{"nhs_number": nhs_number, "created_at": now}]),
            ).fetchone()["id"]  # type: ignore[index]
            history = {"history_date": now}
            conn.execute(
                self.sql["referrals_historicalpatient"],
                self._params(
                    "referrals_historicalpatient",
                    [{"id": patient_id, "nhs_number": nhs_number, "created_at": now, **history}],
                ),
            )
            referral_id = uuid4()
            reference = f"BH{os.getpid() % 10_000:04d}{self.count:08d}"
            referral = {
                "id": referral_id,
                "reference": reference,
                "patient_id": patient_id,
                "received_at": now,
                "suspected_at": now,
            }
            conn.execute(
                self.sql["referrals_referral"], self._params("referrals_referral", [referral])
            )
            conn.execute(
                self.sql["referrals_historicalreferral"],
                self._params("referrals_historicalreferral", [{**referral, **history}]),
            )
            clocks = []
            for template in self.templates["pathways_clock"]:
                clocks.append(
                    {
                        "id": uuid4(),
                        "referral_id": referral_id,
                        "started_at": now if template["started_at"] else None,
                        "due_at": now + (template["due_at"] - template["started_at"])
                        if template["due_at"] and template["started_at"]
                        else None,
                        "next_escalation_at": now + timedelta(minutes=15)
                        if template["next_escalation_at"]
                        else None,
                    }
                )
            conn.execute(self.sql["pathways_clock"], self._params("pathways_clock", clocks))
            conn.execute(
                self.sql["pathways_historicalclock"],
                self._params(
                    "pathways_historicalclock",
                    [
                        {k: v for k, v in c.items() if k != "next_escalation_at"} | history
                        for c in clocks
                    ],
                ),
            )
            conn.execute(
                self.sql["referrals_patientdataaccess"],
                self._params(
                    "referrals_patientdataaccess",
                    [{"at": now, "referral_ids": [str(referral_id)]}],
                ),
            )
        return (time.perf_counter() - started) * 1000

    # token SELECT, BEGIN, 7 INSERTs, COMMIT (the token check is autocommit in
    # Django: psycopg wraps it in its own transaction here, two statements more)
    STATEMENTS = "token SELECT + BEGIN + 7 INSERTs + COMMIT"


# --- the run -----------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def in_process(opts: Options, token: str, numbers: Iterator[str]) -> dict[str, Any]:
    from referrals.models import Referral

    client = InProcess(token)
    for _ in range(opts.warmup):
        client.create(next(numbers))
    statements = client.statements(next(numbers))
    template = Referral.objects.order_by("-received_at").values_list("id", flat=True).first()
    hand = HandWritten(f"{opts.pg_url}/{opts.database}", token, str(template))
    for _ in range(opts.warmup):
        hand.create(next(numbers))
    runs = []
    for run in range(opts.runs):
        before = load()
        orm: list[float] = []
        raw: list[float] = []
        for _ in range(opts.rounds):
            orm.append(client.create(next(numbers)))
            raw.append(hand.create(next(numbers)))
        runs.append(
            {
                "run": run + 1,
                "create_ms": round(median(orm), 3),
                "sql_ms": round(median(raw), 3),
                "ratio": round(median(orm) / median(raw), 2),
                "load": f"{before} -> {load()}",
            }
        )
        print(
            f"  run {run + 1}: create {median(orm):.2f} ms, SQL {median(raw):.2f} ms,"
            f" ratio {median(orm) / median(raw):.2f}x (load {runs[-1]['load']})",
            flush=True,
        )
    hand.conn.close()
    control = {"BEGIN", "COMMIT"}
    return {
        "runs": runs,
        "create_ms": median([r["create_ms"] for r in runs]),
        "sql_ms": median([r["sql_ms"] for r in runs]),
        "ratio": median([r["ratio"] for r in runs]),
        "create_statements": len(statements),
        "create_statements_without_transaction_control": len(
            [
                s
                for s in statements
                if s not in control and not s.startswith(("SAVEPOINT", "RELEASE"))
            ]
        ),
        "create_statement_list": statements,
        "sql_statements": 10,
    }


def profile(opts: Options, token: str, numbers: Iterator[str]) -> str:
    client = InProcess(token)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(opts.profile_rounds):
        client.create(next(numbers))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(45)
    return out.getvalue()


def over_http(
    opts: Options, env: dict[str, str], var_dir: Path, numbers: Iterator[str]
) -> dict[str, Any]:
    port = iq.free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = var_dir / "gunicorn.log"
    server = iq.start_server(env, port, opts.workers, log)
    answered = 0
    try:
        iq.wait_for_health(base_url, server)
        token = iq.sign_in(
            base_url, iq.REFERRER, env["MSCC_DEMO_PASSWORD"], env["MSCC_DEMO_TOTP_SECRET"]
        )
        me = iq.Call("GET", iq.ME_PATH, token, 200)

        def creates(n: int) -> list[iq.Call]:
            return [
                iq.Call("POST", iq.CREATE_PATH, token, 201, iq.create_body(next(numbers)))
                for _ in range(n)
            ]

        warm = iq.run_concurrent(base_url, "warm-up", [me] * 40 + creates(40), opts.clients)
        iq.require_success([warm])
        answered += 80
        runs = []
        failures = 0
        for run in range(opts.runs):
            before = load()
            baseline = iq.run_concurrent(base_url, "me", [me] * opts.http_requests, opts.clients)
            create = iq.run_concurrent(
                base_url, "create", creates(opts.http_requests), opts.clients
            )
            answered += 2 * opts.http_requests
            failures += baseline.errors + create.errors
            for s in (baseline, create):
                if s.errors:
                    print(f"  {s.name}: {s.errors} errors, e.g. {s.error_samples[:1]}")
            me_rate = len(baseline.latencies_ms) / (baseline.wall_s or 1)
            create_rate = len(create.latencies_ms) / (create.wall_s or 1)
            runs.append(
                {
                    "run": run + 1,
                    "me_req_s": round(me_rate, 1),
                    "create_req_s": round(create_rate, 1),
                    "share": round(create_rate / me_rate, 3),
                    "load": f"{before} -> {load()}",
                }
            )
            print(
                f"  run {run + 1}: /auth/me/ {me_rate:.0f} req/s, create {create_rate:.0f} req/s,"
                f" share {create_rate / me_rate:.2f} (load {runs[-1]['load']})",
                flush=True,
            )
        # Memory: keep the server answering (creates and /me/ in turn) until it
        # has answered --memory-requests in all, then read each worker.
        left = max(0, opts.memory_requests - answered)
        while left > 0:
            batch = min(left, 1_000)
            calls = [
                c
                for pair in zip(creates(batch // 2), [me] * (batch // 2), strict=True)
                for c in pair
            ]
            s = iq.run_concurrent(base_url, "memory", calls, opts.clients)
            failures += s.errors
            answered += len(calls)
            left = max(0, opts.memory_requests - answered)
            if not calls:
                break
        memory = iq.server_memory(server.pid)
    except Exception:
        print(f"--- gunicorn log ({log}) ---\n{log.read_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        iq.stop_server(server)
    return {
        "runs": runs,
        "me_req_s": median([r["me_req_s"] for r in runs]),
        "create_req_s": median([r["create_req_s"] for r in runs]),
        "share": median([r["share"] for r in runs]),
        "requests_answered": answered,
        "memory": memory,
        "failures": failures,
    }


def verdict(ok: bool) -> str:
    return "meets aim" if ok else "MISSES AIM"


def main(argv: list[str] | None = None) -> int:
    opts = parse_options(argv)
    io_opts = intake_options(opts)
    var_dir = Path(tempfile.mkdtemp(prefix="mscc-create-bench-"))
    env = iq.server_environment(io_opts, var_dir)
    print(f"load before: {load()}; database {opts.database} (dropped and recreated)", flush=True)
    iq.recreate_database(io_opts)
    iq.manage(env, "migrate")
    iq.manage(env, "seed_demo")
    iq.setup_django(env)
    from knox.models import AuthToken

    from referrals.models import User

    _, token = AuthToken.objects.create(User.objects.get(username=iq.REFERRER))
    numbers = iq.fresh_nhs_numbers()
    result: dict[str, Any] = {"load_before": load()}
    print(f"In process: {opts.runs} runs of {opts.rounds} creates and SQL, interleaved ...")
    result["in_process"] = ip = in_process(opts, token, numbers)
    if opts.profile:
        result["profile"] = profile(opts, token, numbers)
        print(result["profile"])
    failures = 0
    if opts.http:
        print(f"HTTP: {opts.workers} gunicorn workers, {opts.clients} clients ...", flush=True)
        result["http"] = http = over_http(opts, env, var_dir, numbers)
        failures = http["failures"]
    result["load_after"] = load()

    print()
    print(f"| in process ({opts.rounds} rounds x {opts.runs} runs) | median ms | statements |")
    print("| --- | --- | --- |")
    print(
        f"| POST /api/v1/referrals/ (APIClient, token) | {ip['create_ms']:.2f} |"
        f" {ip['create_statements']} ({ip['create_statements_without_transaction_control']}"
        " without BEGIN/SAVEPOINT/RELEASE/COMMIT) |"
    )
    print(f"| hand-written transaction (psycopg) | {ip['sql_ms']:.2f} | {HandWritten.STATEMENTS} |")
    print(
        f"ratio {ip['ratio']:.2f}x (aim <= {AIM_IN_PROCESS:g}x): "
        f"{verdict(ip['ratio'] <= AIM_IN_PROCESS)}"
    )
    if opts.http:
        share_ok = http["share"] >= AIM_HTTP_SHARE
        print(
            f"HTTP, {opts.clients} clients: /auth/me/ {http['me_req_s']:.0f} req/s, create"
            f" {http['create_req_s']:.0f} req/s, share {http['share']:.2f}"
            f" (aim >= {AIM_HTTP_SHARE:g}): {verdict(share_ok)}"
        )
        print(f"Memory after {http['requests_answered']} requests:")
        for row in http["memory"]:
            rss = row.get("VmRSS", 0) / 1024
            flag = "" if row["role"] == "master" else f" {verdict(rss <= AIM_RSS_MIB)}"
            print(
                f"  {row['role']} {row['pid']}: VmRSS {rss:.1f} MiB,"
                f" VmHWM {row.get('VmHWM', 0) / 1024:.1f} MiB{flag}"
            )
    print(f"load: before {result['load_before']}, after {result['load_after']}")
    iq.RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = iq.RESULTS / f"create-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"written {path.relative_to(iq.ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
