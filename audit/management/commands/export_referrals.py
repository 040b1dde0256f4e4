"""python manage.py export_referrals [--alliance CODE] [--from YYYY-MM] [--to YYYY-MM]
[--output FILE]: referrals as historic records, in the import's format.

One row per referral received in the months given (Europe/London; either
end may be left open), in received_at order, duplicates left out
(``audit/historic/exporting.py``). To stdout, or to FILE (created readable by
its owner only: it holds patient identifiers). Progress and the summary go to
stderr, never a row."""

import csv
import os
import time
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.historic.columns import COLUMNS
from audit.historic.exporting import historic_rows
from audit.periods import Month
from referrals.models import Alliance


class Command(BaseCommand):
    help = "Export referrals as historic records (CSV, the import's format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--alliance", metavar="CODE", help="one alliance's referrals")
        parser.add_argument("--from", dest="first", metavar="YYYY-MM", help="first month")
        parser.add_argument("--to", dest="last", metavar="YYYY-MM", help="last month")
        parser.add_argument("--output", metavar="FILE", help="write here, not to stdout")
        parser.add_argument(
            "--progress-every",
            type=int,
            default=1000,
            metavar="N",
            help="a progress line on stderr every N rows (0: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        alliance = None
        if options["alliance"]:
            alliance = Alliance.objects.filter(code=options["alliance"]).first()
            if alliance is None:
                raise CommandError(f"--alliance: no alliance {options['alliance']}.")
        first, last = _month(options["first"], "--from"), _month(options["last"], "--to")
        if first and last and first > last:
            raise CommandError("--from is after --to.")
        rows = historic_rows(alliance=alliance, first=first, last=last)
        if not options["output"]:
            self._write(self.stdout, rows, options["progress_every"])
            return
        path = Path(options["output"])
        partial = path.with_name(path.name + ".partial")
        try:
            # Owner-only from the start, and in place only once complete.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w", encoding="utf-8", newline="") as out:
                self._write(out, rows, options["progress_every"])
            partial.replace(path)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error}") from error
        finally:
            partial.unlink(missing_ok=True)

    def _write(self, out: TextIO | Any, rows: Any, every: int) -> None:
        started = time.monotonic()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        count = 0
        for count, row in enumerate(rows, start=1):
            writer.writerow(row)
            if every > 0 and count % every == 0:
                rate = count / max(time.monotonic() - started, 1e-9)
                self.stderr.write(f"{count} rows, {rate:.1f} rows/s")
        seconds = time.monotonic() - started
        self.stderr.write(
            f"Exported {count} referrals, {seconds:.1f} s, {count / max(seconds, 1e-9):.1f} rows/s"
        )


def _month(text: str | None, option: str) -> Month | None:
    if not text:
        return None
    try:
        return Month.parse(text)
    except ValueError as error:
        raise CommandError(f"{option}: {error}") from error
