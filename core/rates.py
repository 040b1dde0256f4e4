"""Rates written as settings: ``"60/h"`` is 60 in any hour (plain Python).

The count and a period: ``s``, ``m``, ``h`` or ``d`` (or a word starting
with one: ``60/hour``, ``600/day``), as DRF's throttle rates are written.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    period: timedelta

    @property
    def period_name(self) -> str:
        """``hour`` for an hour: "in the last hour"."""
        return _describe(self.period)

    def __str__(self) -> str:
        return f"{self.count} per {self.period_name}"


@lru_cache(maxsize=32)
def parse_rate(text: str) -> Rate:
    """``"60/h"`` → Rate(60, 1 hour); ValueError for anything else."""
    count, sep, period = text.strip().partition("/")
    if not sep or not count.strip().isdigit() or not period.strip():
        raise ValueError(f"A rate is written 'N/s', 'N/m', 'N/h' or 'N/d', not {text!r}.")
    seconds = _PERIODS.get(period.strip()[0].lower())
    if seconds is None:
        raise ValueError(f"A rate's period is s, m, h or d, not {period!r}.")
    return Rate(int(count), timedelta(seconds=seconds))


def _describe(period: timedelta) -> str:
    names = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}
    return names.get(int(period.total_seconds()), f"{int(period.total_seconds())} seconds")
