"""python manage.py import_referrals FILE.csv [--dry-run] [--create-missing]:
historic referrals into the audit, through the live services, all or none.

The whole file is checked first and every problem is reported, by line and
column, in one run; if there is any, nothing is written and the command fails.
A reference already held is skipped (imported before), so running the same
file again writes nothing new. The format and the rules: README, "Historic
audit data"; ``audit/historic/``."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.historic.importing import ImportRefused, ImportResult, referrals_import
from audit.historic.reading import Problem, read_historic
from core.errors import DomainError

SHOWN_SKIPPED = 20


class Command(BaseCommand):
    help = "Import historic referrals from a CSV file (all rows or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, the historic format)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything and report what would be written; write nothing",
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="make a missing organisation in its service's alliance, a missing service "
            "in its organisation's (never an alliance)",
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=1000,
            metavar="N",
            help="a progress line on stderr every N rows (0: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        path = Path(options["file"])
        try:
            # utf-8-sig: a spreadsheet's byte-order mark is not part of the header.
            with path.open(encoding="utf-8-sig", newline="") as lines:
                reading = read_historic(lines)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        if reading.problems:
            raise _refused(path, reading.problems)
        every = options["progress_every"]

        def progress(done: int, total: int) -> None:
            if every > 0 and (done % every == 0 or done == total):
                rate = done / max(time.monotonic() - started, 1e-9)
                self.stderr.write(f"{done}/{total} rows, {rate:.1f} rows/s")

        try:
            result = referrals_import(
                reading.rows,
                read=reading.read,
                create_missing=options["create_missing"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportRefused as refused:
            raise _refused(path, refused.problems) from None
        except DomainError as error:
            raise CommandError(f"Nothing was written: {error.message}") from error
        result.seconds = time.monotonic() - started
        self._report(result)

    def _report(self, result: ImportResult) -> None:
        would = "would be " if result.dry_run else ""
        for what, codes in (
            ("organisation", result.created_organisations),
            ("service", result.created_services),
        ):
            for code in codes:
                self.stdout.write(f"{what} {code} {would}created")
        if result.skipped:
            shown = ", ".join(result.skipped[:SHOWN_SKIPPED])
            more = len(result.skipped) - SHOWN_SKIPPED
            self.stdout.write(
                f"skipped, already imported: {shown}" + (f" and {more} more" if more > 0 else "")
            )
        prefix = "Dry run, nothing written: would import" if result.dry_run else "Imported"
        self.stdout.write(
            f"{prefix} {result.imported} referrals ({result.events} events); "
            f"rows read {result.read}, imported {result.imported}, "
            f"skipped {len(result.skipped)}, {result.seconds:.1f} s, {result.rate:.1f} rows/s"
        )


def _refused(path: Path, problems: list[Problem]) -> CommandError:
    rows = len({p.line for p in problems})
    lines = "\n".join(str(p) for p in sorted(problems, key=lambda p: p.line))
    return CommandError(
        f"Nothing was written: {len(problems)} problems on {rows} lines of {path}.\n{lines}"
    )
