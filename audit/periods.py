"""Audit periods: whole calendar months in the service's time zone (Europe/London).

A referral belongs to the month it was received. Periods are whole months
only, so that two overlapping queries cannot be differenced down to a day.
"""

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        """``YYYY-MM``; ValueError otherwise."""
        match = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValueError("Give a month as YYYY-MM, for example 2026-01.")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError("The month must be 01 to 12.")
        if not 1900 <= year <= 2100:
            raise ValueError("The year must be between 1900 and 2100.")
        return cls(year, month)

    @classmethod
    def of(cls, moment: datetime, zone: tzinfo) -> "Month":
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start(self, zone: tzinfo) -> datetime:
        """Midnight on the 1st, local time (aware)."""
        return datetime(self.year, self.month, 1, tzinfo=zone)

    def index(self) -> int:
        return self.year * 12 + self.month - 1


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last`` inclusive."""
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = month.next()
    return months
