"""The audit summary as CSV: one row per figure, `*` where suppressed.

Built from the same dict the API answers, so the two cannot disagree. A
label that starts like a spreadsheet formula is quoted with a leading
apostrophe (an organisation's name is typed by an admin): core/csv_cells.py.
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

from core.csv_cells import spreadsheet_safe

COLUMNS = (
    "period",
    "table",
    "breakdown",
    "code",
    "label",
    "referrals",
    "rate_per_100000",
    "clock",
    "category",
    "reference",
    "target_hours",
    "eligible",
    "not_appropriate",
    "pending",
    "met",
    "percent_met",
    "median_hours",
    "p90_hours",
    "count",
    "suppressed",
)


def _rows(summary: dict[str, Any]) -> Iterator[dict[str, Any]]:
    sections = [("total", summary["totals"])] + [(m["month"], m) for m in summary["months"]]
    for period, section in sections:
        referrals = section["referrals"]
        for code, value in referrals.items():
            if code in ("suppressed", "withheld"):
                continue
            yield {
                "period": period,
                "table": "referrals",
                "code": code,
                "referrals": value,
                "suppressed": value is None,
                "withheld": ["referrals"] if value is None else [],
            }
        for row in section["timeliness"]:
            yield {"period": period, "table": "timeliness", **row}
        for table in ("incidence", "outcomes"):
            for breakdown, cells in section[table].items():
                for cell in cells:
                    yield {
                        "period": period,
                        "table": table,
                        "breakdown": breakdown,
                        **cell,
                    }
        for interval in section["intervals"]:
            yield {
                "period": period,
                "table": "intervals",
                "code": interval["interval"],
                **{k: v for k, v in interval.items() if k != "interval"},
            }


def summary_csv(summary: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _rows(summary):
        withheld = set(row.get("withheld", ()))
        cells = [
            "*" if column in withheld else spreadsheet_safe(row.get(column)) for column in COLUMNS
        ]
        writer.writerow(cells)
    return out.getvalue()
