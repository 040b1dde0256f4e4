"""Benchmark: historic import and export rates (``manage.py import_referrals``
and ``manage.py export_referrals``), on PostgreSQL.

What it does, in order (every count bounded):

1. Drops and recreates a PostgreSQL database (``mscc_bench_import`` by
   default; the name must contain ``bench``), runs ``manage.py migrate`` and
   ``manage.py seed_demo`` against it.
2. Writes a synthetic historic CSV of ``--rows`` (20,000) referrals from the
   demo's organisations to ``DEMO-MSCC``: four kinds of record in turn
   (suspected MSCC treated with radiotherapy; suspected spinal metastases,
   both ruled out, closed not MSCC; suspected MSCC who died, MRI not
   appropriate; suspected MSCC operated on), received over the past year,
   NHS numbers from the never-issued 999 range with valid check digits.
3. Times ``manage.py import_referrals FILE`` (the real command, in a child
   process): the command's own figure (rows/s from its summary line) and the
   wall time of the process, start-up included.
4. Times the same import again: every row already held, so it only reads,
   checks and skips (the idempotent re-run).
5. Times ``manage.py export_referrals --alliance DEMO --output FILE`` and
   polls the process's peak resident memory (VmHWM) while it runs: the
   export streams, so the peak should not grow with the rows.

Run from the repository root:  python bench/import_rate.py  [--rows N] [--quick]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Pure modules (no Django): the format and the NHS number check.
from audit.historic.columns import COLUMNS  # noqa: E402
from referrals.nhs_number import check_digit  # noqa: E402

SERVICE = "DEMO-MSCC"
ORGANISATIONS = ("DEMO-GP", "DEMO-GP2", "DEMO-WARD")
SUMMARY = re.compile(r"rows read (\d+), imported (\d+), skipped (\d+), ([\d.]+) s, ([\d.]+) rows/s")


@dataclass(frozen=True)
class Options:
    rows: int
    pg_url: str
    database: str
    seed: int
    write_json: bool


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="referrals in the file")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 500 rows")
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server, without a database name",
    )
    parser.add_argument(
        "--database",
        default="mscc_bench_import",
        help="database to DROP and recreate (never an existing real one)",
    )
    parser.add_argument("--seed", type=int, default=20260101, help="the synthetic data's seed")
    parser.add_argument(
        "--no-json",
        dest="write_json",
        action="store_false",
        help="do not write bench/results/*.json",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = 500
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if "bench" not in args.database:
        parser.error("--database is dropped each run: its name must contain 'bench'")
    del args.quick
    return Options(**vars(args))


# --- the database and the commands ---------------------------------------------------


def recreate_database(opts: Options) -> None:
    with psycopg.connect(f"{opts.pg_url}/postgres", autocommit=True) as conn:
        name = sql.Identifier(opts.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def environment(opts: Options, var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "mscc.settings",
            "DATABASE_URL": f"{opts.pg_url}/{opts.database}",
            "DEBUG": "false",
            "MSCC_BASE_URL": "http://127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
            "SECURE_SSL_REDIRECT": "false",
            "MSCC_VAR_DIR": str(var_dir),
            "MSCC_DEMO_PASSWORD": secrets.token_urlsafe(18),
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


@dataclass
class Run:
    """One timed command."""

    name: str
    rows: int
    wall_s: float
    command_s: float | None = None
    command_rows_per_s: float | None = None
    imported: int | None = None
    skipped: int | None = None
    peak_rss_kib: int | None = None
    output_bytes: int | None = None

    @property
    def wall_rows_per_s(self) -> float:
        return self.rows / self.wall_s if self.wall_s else 0.0


def timed(env: dict[str, str], name: str, rows: int, *args: str) -> tuple[Run, str]:
    """Run ``manage.py <args>``, polling its peak resident memory and passing
    its progress lines (stderr) through; (run, stdout and stderr)."""
    lines: list[str] = []

    def relay(stream: Any) -> None:
        for line in stream:
            lines.append(line)
            print(f"  {name}: {line.rstrip()}", flush=True)

    with tempfile.TemporaryFile(mode="w+") as out_file:
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=out_file,
            stderr=subprocess.PIPE,
            text=True,
        )
        reader = threading.Thread(target=relay, args=(child.stderr,), daemon=True)
        reader.start()
        peak = 0
        while child.poll() is None:
            peak = max(peak, vm_hwm_kib(child.pid))
            time.sleep(0.2)
        wall = time.monotonic() - started
        reader.join(timeout=10)
        out_file.seek(0)
        out, err = out_file.read(), "".join(lines)
    if child.returncode != 0:
        raise RuntimeError(f"{name} failed ({child.returncode}):\n{err[-4000:]}")
    return Run(name=name, rows=rows, wall_s=wall, peak_rss_kib=peak or None), out + err


def vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- the synthetic file --------------------------------------------------------------


def nhs_numbers() -> Iterator[str]:
    """Valid Modulus 11 numbers from the never-issued 999 range, clear of the
    demo's and the tests' (from 999 300 0000)."""
    for stem in range(999_300_000, 1_000_000_000):
        digit = check_digit(str(stem))
        if digit is not None:
            yield f"{stem}{digit}"


def _iso(at: datetime) -> str:
    return at.isoformat()


def synthetic_rows(count: int, seed: int, now: datetime) -> Iterator[dict[str, str]]:
    """``count`` historic referrals received in the year before ``now``."""
    rng = random.Random(seed)
    numbers = nhs_numbers()
    # Received 30 to 360 days ago: every event (the latest, three weeks
    # after receipt) is in the past.
    span = timedelta(days=330).total_seconds()
    for i in range(count):
        received = now - timedelta(days=30) - timedelta(seconds=rng.uniform(0, span))
        received = received.replace(microsecond=0)

        def at(hours: float, received: datetime = received) -> str:
            return _iso(received + timedelta(hours=hours))

        row = {
            "reference": f"BENCH-{i:07d}",
            "nhs_number": next(numbers),
            "date_of_birth": date(1930 + rng.randrange(60), 1 + rng.randrange(12), 1).isoformat(),
            "sex": rng.choice(("female", "male")),
            "postcode": "LS1 4AP",
            "imd_decile": str(rng.randint(1, 10)) if rng.random() < 0.7 else "",
            "referring_organisation": ORGANISATIONS[i % len(ORGANISATIONS)],
            "service": SERVICE,
            "received_at": _iso(received),
            "cancer_status": "current_or_past",
            "primary_tumour": rng.choice(("breast", "prostate", "lung", "renal", "myeloma")),
            "pain_features": "progressive",
            "suspected_at": at(-rng.uniform(0.5, 6)),
            "imaging_findings": "none",
            "acknowledged_at": at(rng.uniform(0.05, 0.5)),
            "ambulatory_at_presentation": rng.choice(("true", "false", "")),
        }
        kind = i % 4
        if kind == 0:  # suspected MSCC, radiotherapy
            row.update(
                category="suspected_mscc",
                neuro_features="limb_weakness",
                neuro_onset_at=at(-12),
                advice_given_at=at(0.6),
                dexamethasone_given_at=at(0.8),
                mri_requested_at=at(1),
                mri_performed_at=at(rng.uniform(4, 30)),
                mri_reported_at=at(31),
                mscc_confirmed_at=at(31),
                rt_decision_at=at(36),
                rt_delivered_at=at(36 + rng.uniform(4, 30)),
                ambulatory_assessed_at=at(24 * 14),
                ambulatory_after_treatment=rng.choice(("true", "false")),
                discharged_at=at(24 * 15),
                status="closed",
            )
        elif kind == 1:  # suspected spinal metastases, both ruled out
            row.update(
                category="suspected_spinal_metastases",
                advice_given_at=at(2),
                mri_performed_at=at(rng.uniform(24, 24 * 9)),
                mri_reported_at=at(24 * 9 + 1),
                mscc_ruled_out_at=at(24 * 9 + 1),
                spinal_metastases_ruled_out_at=at(24 * 9 + 1),
                status="closed_not_mscc",
            )
        elif kind == 2:  # suspected MSCC, died; MRI not appropriate
            row.update(
                category="suspected_mscc",
                neuro_features="bladder_bowel",
                neuro_onset_at=at(-6),
                dexamethasone_given_at=at(1),
                died_at=at(rng.uniform(24, 24 * 20)),
                status="died",
                mri_not_appropriate_reason="Too unwell for MRI.",
            )
        else:  # suspected MSCC, surgery
            row.update(
                category="suspected_mscc",
                neuro_features="gait",
                neuro_onset_at=at(-20),
                mri_performed_at=at(rng.uniform(3, 20)),
                mscc_confirmed_at=at(21),
                surgery_decision_at=at(22),
                surgery_performed_at=at(22 + rng.uniform(6, 40)),
                status="closed",
            )
        yield row


def write_file(path: Path, opts: Options, now: datetime) -> int:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for row in synthetic_rows(opts.rows, opts.seed, now):
            writer.writerow([row.get(c, "") for c in COLUMNS])
    return path.stat().st_size


# --- measuring and reporting -----------------------------------------------------------


def measure(opts: Options, env: dict[str, str], work: Path) -> dict[str, Any]:
    source = work / "historic.csv"
    size = write_file(source, opts, datetime.now(UTC))
    print(f"Wrote {opts.rows:,} synthetic rows ({size / 1e6:.1f} MB).", flush=True)
    load_before = os.getloadavg()[0]

    every = max(opts.rows // 10, 100)
    runs = []
    for name in ("import", "import again (all skipped)"):
        run, output = timed(
            env, name, opts.rows, "import_referrals", str(source), "--progress-every", str(every)
        )
        match = SUMMARY.search(output)
        if match is None:
            raise RuntimeError(f"{name}: no summary line in:\n{output[-2000:]}")
        read, imported, skipped = (int(match.group(i)) for i in (1, 2, 3))
        run.command_s, run.command_rows_per_s = float(match.group(4)), float(match.group(5))
        run.imported, run.skipped = imported, skipped
        expected = (opts.rows, 0) if name == "import" else (0, opts.rows)
        if read != opts.rows or (imported, skipped) != expected:
            raise RuntimeError(f"{name}: read {read}, imported {imported}, skipped {skipped}")
        runs.append(run)
        print(f"{name}: {run.command_rows_per_s:,.1f} rows/s", flush=True)

    exported = work / "export.csv"
    run, output = timed(
        env,
        "export",
        opts.rows,
        "export_referrals",
        "--alliance",
        "DEMO",
        "--output",
        str(exported),
        "--progress-every",
        str(every),
    )
    with exported.open(newline="", encoding="utf-8") as f:
        lines = sum(1 for _ in csv.reader(f)) - 1
    # seed_demo's own open referrals are exported too.
    if lines < opts.rows:
        raise RuntimeError(f"export wrote {lines} rows for {opts.rows} imported")
    match = re.search(r"Exported (\d+) referrals, ([\d.]+) s, ([\d.]+) rows/s", output)
    if match:
        run.command_s, run.command_rows_per_s = float(match.group(2)), float(match.group(3))
    run.rows, run.output_bytes = lines, exported.stat().st_size
    runs.append(run)
    print(f"export: {run.command_rows_per_s or 0:,.1f} rows/s", flush=True)
    return {
        "options": asdict(opts),
        "started_at": datetime.now(UTC).isoformat(),
        "cpus": os.cpu_count(),
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "file_bytes": size,
        "runs": [dict(asdict(r), wall_rows_per_s=round(r.wall_rows_per_s, 1)) for r in runs],
    }


def report(result: dict[str, Any]) -> None:
    load = result["load_average_1m"]
    print(
        f"\nHistoric import/export, {result['options']['rows']:,} rows, "
        f"{result['cpus']} CPUs, load {load['before']:.2f} -> {load['after']:.2f}\n"
    )
    header = (
        f"{'run':<28} {'rows':>8} {'command s':>10} {'rows/s':>9} {'wall s':>8} {'peak RSS':>10}"
    )
    print(header)
    print("-" * len(header))
    for run in result["runs"]:
        rss = f"{run['peak_rss_kib'] / 1024:.0f} MiB" if run["peak_rss_kib"] else "-"
        print(
            f"{run['name']:<28} {run['rows']:>8,} {run['command_s'] or 0:>10.1f} "
            f"{run['command_rows_per_s'] or 0:>9,.1f} {run['wall_s']:>8.1f} {rss:>10}"
        )
    print(
        "\nrows/s is the command's own figure (reading, checking and writing; "
        "Django's start-up excluded); wall s includes start-up."
    )


def save(result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"import_rate-{stamp}.json"
    path.write_text(json.dumps(result, indent=2))
    return path


def main(argv: list[str] | None = None) -> int:
    opts = parse_options(argv)
    work = Path(tempfile.mkdtemp(prefix="mscc-bench-import-"))
    try:
        env = environment(opts, work / "var")
        recreate_database(opts)
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo")
        print(f"Recreated database {opts.database}; migrated and seeded.", flush=True)
        result = measure(opts, env, work)
    finally:
        # The files hold synthetic patient identifiers: never left behind.
        shutil.rmtree(work, ignore_errors=True)
    report(result)
    if opts.write_json:
        print(f"\nJSON: {save(result).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
