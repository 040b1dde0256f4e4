"""Loading the postcode → LSOA → IMD decile lookup (NG234 1.1.13: the audit's
inequalities by deprivation).

The published lookups name their columns differently (the ONS postcode
directory's ``pcds`` and ``lsoa21cd``; the English indices' "LSOA code (2011)"
and "Index of Multiple Deprivation (IMD) Decile"), so each column is found by
any of its known names. The whole file is checked before anything is written
and every bad line is reported; then it is written in batches, so a file of
every UK postcode (about 2.7 million lines) loads in flat memory.
"""

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from audit.models import PostcodeDeprivation
from core.logs import get_logger

log = get_logger(__name__)

BATCH = 5000
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "postcode": ("postcode", "pcds", "pcd", "pcd7", "pcd8"),
    "lsoa_code": (
        "lsoa_code",
        "lsoa code",
        "lsoa code (2011)",
        "lsoa code (2021)",
        "lsoa11",
        "lsoa11cd",
        "lsoa21",
        "lsoa21cd",
    ),
    "imd_decile": (
        "imd_decile",
        "imd decile",
        "index of multiple deprivation (imd) decile",
        "index of multiple deprivation decile",
        "index of multiple deprivation (imd) decile (where 1 is most deprived 10% of lsoas)",
    ),
}
MOST_ERRORS = 50


class LookupFileError(Exception):
    """The file is not a lookup that can be loaded; ``errors`` says each problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class LoadResult:
    rows: int
    replaced: bool


def canonical_postcode(value: str) -> str | None:
    """Upper case with one space before the inward code, as patients' are
    stored ("ls14ap", "LS1  4AP" → "LS1 4AP"); None if it is not a postcode."""
    compact = re.sub(r"\s+", "", value.upper())
    match = _POSTCODE.match(f"{compact[:-3]} {compact[-3:]}")
    return f"{match.group(1)} {match.group(2)}" if match else None


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    normalised = [h.strip().lower() for h in header]
    for column, names in COLUMN_NAMES.items():
        for position, name in enumerate(normalised):
            if name in names:
                found[column] = position
                break
    missing = [c for c in COLUMN_NAMES if c not in found]
    if missing:
        raise LookupFileError(
            [
                f"line 1: no {column} column (any of: {', '.join(COLUMN_NAMES[column])})"
                for column in missing
            ]
        )
    return found


def _rows(path: Path) -> Iterator[tuple[int, str, str, str]]:
    """(line, postcode, lsoa, decile) as written, with the header checked."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise LookupFileError(["line 1: the file is empty"])
        columns = _columns(header)
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            cells = [row[columns[c]] if columns[c] < len(row) else "" for c in COLUMN_NAMES]
            yield reader.line_num, cells[0], cells[1], cells[2]


def _checked(line: int, postcode: str, lsoa: str, decile: str) -> PostcodeDeprivation | list[str]:
    """The row, or a message for each of its columns at fault."""
    errors = []
    code = canonical_postcode(postcode)
    if code is None:
        errors.append(f"line {line}, column postcode: not a UK postcode")
    lsoa = lsoa.strip()
    if not lsoa or len(lsoa) > 16:
        errors.append(f"line {line}, column lsoa_code: give the LSOA code (up to 16 characters)")
    value = int(decile.strip()) if decile.strip().isdigit() else 0
    if not 1 <= value <= 10:
        errors.append(f"line {line}, column imd_decile: a decile is a whole number from 1 to 10")
    if errors or code is None:
        return errors
    return PostcodeDeprivation(postcode=code, lsoa_code=lsoa, imd_decile=value)


def postcode_deprivation_load(
    *, path: Path, replace: bool = False, progress: Callable[[int], None] | None = None
) -> LoadResult:
    """Load ``path``: all of it checked first, then written (or nothing)."""
    errors: list[str] = []
    for line, *cells in _rows(path):
        checked = _checked(line, *cells)
        if isinstance(checked, list):
            errors += checked
            if len(errors) >= MOST_ERRORS:
                errors.append(f"... stopped after {MOST_ERRORS} errors")
                break
    if errors:
        raise LookupFileError(errors)
    with transaction.atomic():
        if replace:
            PostcodeDeprivation.objects.all().delete()
        batch: list[PostcodeDeprivation] = []
        written = 0
        for line, *cells in _rows(path):
            row = _checked(line, *cells)
            assert not isinstance(row, list)  # checked above  # noqa: S101
            batch.append(row)
            if len(batch) >= BATCH:
                written += _write(batch)
                batch = []
                if progress:
                    progress(written)
        written += _write(batch)
    log.info("audit.imd_loaded", rows=written, replaced=replace)
    return LoadResult(rows=written, replaced=replace)


def _write(batch: list[PostcodeDeprivation]) -> int:
    # A postcode loaded again takes the file's values (a newer release); one
    # written twice in a batch, its last line (PostgreSQL refuses to update a
    # row twice in one statement).
    rows = list({row.postcode: row for row in batch}.values())
    PostcodeDeprivation.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["postcode"],
        update_fields=["lsoa_code", "imd_decile"],
    )
    return len(rows)
