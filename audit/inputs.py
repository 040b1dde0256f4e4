"""The audit's query parameters, read once for the API and the pages."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from audit.periods import Month
from core.errors import DomainError

# Ten years of a large alliance is what the service is built for; twice that
# is the most one request may ask for, so no request can ask for centuries.
MOST_MONTHS = 240
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class Period:
    first: Month
    last: Month


def _month(value: str, parameter: str) -> Month:
    try:
        return Month.parse(value)
    except ValueError as error:
        raise DomainError(str(error), field=parameter) from None


def period_from(query: Mapping[str, str], *, now: datetime, zone: tzinfo) -> Period:
    """``from`` and ``to`` (YYYY-MM, whole months). Without them: the last 12
    whole months before this one."""
    this_month = Month.of(now, zone)
    raw_to, raw_from = query.get("to"), query.get("from")
    last = _month(raw_to, "to") if raw_to else this_month.previous()
    if raw_from:
        first = _month(raw_from, "from")
    else:
        first = last
        for _ in range(DEFAULT_MONTHS - 1):
            first = first.previous()
    if last > this_month:
        raise DomainError("The period cannot end after this month.", field="to")
    if first > last:
        raise DomainError("The period must start on or before its end.", field="from")
    if last.index() - first.index() + 1 > MOST_MONTHS:
        raise DomainError(f"Ask for at most {MOST_MONTHS} months at a time.", field="from")
    return Period(first, last)


FORMATS = ("json", "csv")


def format_from(query: Mapping[str, str]) -> str:
    value = query.get("format") or "json"
    if value not in FORMATS:
        raise DomainError("Give format=json or format=csv.", field="format")
    return value
