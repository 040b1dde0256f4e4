"""The audit summary: incidence, timeliness, outcomes and intervals for an
alliance (or one of its services) over whole months, by month and in total,
with small numbers suppressed (docs/clinical-rules.md, section 6).

One function builds what the API answers, the CSV holds and the dashboard
shows, so the three can never disagree.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.labels import BREAKDOWNS, FIXED_CODES, OUTCOMES
from audit.periods import Month, months_between
from audit.selectors.figures import (
    DIMENSIONS,
    INTERVALS,
    Interval,
    RawFigures,
    Scope,
    StandardKey,
    Timeliness,
    raw_figures,
)
from audit.suppression import Sum, is_small, suppressed_cells
from referrals.models import Alliance, Organisation, Service

TOTAL = "total"
COUNTED = ("eligible", "not_appropriate", "pending", "met")
# A period: a month's index, or None for the whole period.
Period = int | None


@dataclass(frozen=True)
class AuditScope:
    alliance: Alliance
    service: Service | None = None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class _Cells:
    """Every count in the summary, keyed, with the sums that tie them."""

    def __init__(self) -> None:
        self.values: dict[Any, int] = {}
        self.sums: list[Sum] = []
        self.forced: set[Any] = set()
        self.exempt: set[Any] = set()
        self.unshown: set[Any] = set()


def _codes(dimension: str, raw: RawFigures, organisations: dict[str, str]) -> dict[str, str]:
    """A breakdown's codes with their labels, zeros included, so a table has
    the same rows every month (an absent row would itself say "0")."""
    if dimension == "organisation":
        return organisations
    codes = dict(FIXED_CODES[dimension])
    for name, _, code in raw.counts:
        if name == dimension and code not in codes:
            codes[code] = code
    return codes


def audit_summary(*, scope: AuditScope, first: Month, last: Month, now: datetime) -> dict[str, Any]:
    """The summary as JSON-ready data (the public shape of the audit API)."""
    alliance = scope.alliance
    months = months_between(first, last)
    raw = raw_figures(
        Scope(alliance.pk, scope.service.pk if scope.service else None, first, last), now=now
    )
    threshold = alliance.suppression_threshold
    periods: list[Period] = [m.index() for m in months]
    seen_organisations = {code for name, _, code in raw.counts if name == "organisation"}
    organisations = {
        code: f"{name} ({code})"
        for code, name in Organisation.objects.filter(code__in=seen_organisations)
        .order_by("name")
        .values_list("code", "name")
    }
    codes = {d: _codes(d, raw, organisations) for d in DIMENSIONS}
    standards = sorted(
        {key for _, key in raw.timeliness},
        key=lambda k: (k[0], k[2] if k[2] is not None else float("inf"), k[1]),
    )
    cells = _Cells()
    _referral_cells(cells, raw, codes, periods)
    _timeliness_cells(cells, raw, standards, periods, threshold)
    _interval_cells(cells, raw, periods)
    # Only the alliance's whole-period total is coarse enough to show as it is.
    exempt = [("n", None, TOTAL, "")] if scope.service is None else []
    # ``met`` is at most its row's ``eligible``: shown beside a suppressed
    # one it would bound it, so it goes wherever eligible goes.
    follows = {
        key: ("t", key[1], key[2], "met")
        for key in cells.values
        if key[0] == "t" and key[3] == "eligible" and ("t", key[1], key[2], "met") in cells.values
    }
    hidden = suppressed_cells(
        cells.values,
        threshold=threshold,
        sums=cells.sums,
        exempt=[*exempt, *cells.exempt],
        forced=cells.forced,
        unshown=cells.unshown,
        follows=follows,
    )
    population = alliance.population if scope.service is None else None
    build = _Builder(cells.values, hidden, raw, codes, standards, threshold, population)
    return {
        "alliance": alliance.code,
        "service": scope.service.code if scope.service else None,
        "from": first.label,
        "to": last.label,
        "generated_at": now.isoformat(),
        "suppression_threshold": threshold,
        "population": population,
        "totals": build.section(None, len(months)),
        "months": [{"month": m.label, **build.section(m.index(), 1)} for m in months],
    }


def _referral_cells(
    cells: _Cells, raw: RawFigures, codes: dict[str, dict[str, str]], periods: list[Period]
) -> None:
    for dimension in ("total", *DIMENSIONS):
        for code in codes.get(dimension, {"": ""}):
            by_month = [("n", p, dimension, code) for p in periods]
            for key, period in zip(by_month, periods, strict=True):
                cells.values[key] = raw.counts.get((dimension, period, code), 0)  # type: ignore[arg-type]
            whole = ("n", None, dimension, code)
            cells.values[whole] = sum(cells.values[k] for k in by_month)
            cells.sums.append(Sum(whole, tuple(by_month)))
    # Each breakdown divides its period's referrals (every referral has one code).
    for period in [*periods, None]:
        for dimension in DIMENSIONS:
            members = tuple(("n", period, dimension, code) for code in codes[dimension])
            cells.sums.append(Sum(("n", period, TOTAL, ""), members))


def _timeliness_cells(
    cells: _Cells,
    raw: RawFigures,
    standards: list[StandardKey],
    periods: list[Period],
    threshold: int,
) -> None:
    for standard in standards:
        for name in COUNTED:
            by_month = [("t", p, standard, name) for p in periods]
            for key, period in zip(by_month, periods, strict=True):
                row = raw.timeliness.get((period, standard), Timeliness())
                cells.values[key] = getattr(row, name)
            whole = ("t", None, standard, name)
            cells.values[whole] = raw.timeliness.get((None, standard), Timeliness()).__dict__[name]
            cells.sums.append(Sum(whole, tuple(by_month)))
        for period in [*periods, None]:
            row = raw.timeliness.get((period, standard), Timeliness())
            # The patients who missed the standard are a count too: where they
            # are few, met would give them away (eligible - met).
            if is_small(row.eligible - row.met, threshold):
                cells.forced.add(("t", period, standard, "met"))
        # Each referral of the standard's categories starts one clock of it
        # at intake, so eligible + not appropriate + pending is those
        # categories' referrals but for the clocks ended uncounted (a death
        # before acknowledgement), which a reader may guess as none: the
        # difference is taken as known, and the referrals together as a sum.
        categories = raw.standard_population.get(standard, ())
        for period in [*periods, None] if categories else []:
            together = ("t", period, standard, "referrals")
            uncounted = ("t", period, standard, "uncounted")
            counted = tuple(("t", period, standard, n) for n in COUNTED if n != "met")
            members = tuple(
                m for c in categories if (m := ("n", period, "category", c)) in cells.values
            )
            cells.values[together] = sum(cells.values[m] for m in members)
            cells.values[uncounted] = cells.values[together] - sum(cells.values[c] for c in counted)
            cells.unshown.add(together)
            cells.exempt.add(uncounted)
            cells.sums += [Sum(together, members), Sum(together, (*counted, uncounted))]


def _interval_cells(cells: _Cells, raw: RawFigures, periods: list[Period]) -> None:
    for name in INTERVALS:
        by_month = [("i", p, name) for p in periods]
        for key, period in zip(by_month, periods, strict=True):
            interval = raw.intervals.get((period, name))
            cells.values[key] = interval.count if interval else 0
        whole = ("i", None, name)
        interval = raw.intervals.get((None, name))
        cells.values[whole] = interval.count if interval else 0
        cells.sums.append(Sum(whole, tuple(by_month)))


class _Builder:
    """Turns counts and the hidden set into the summary's sections."""

    def __init__(
        self,
        values: dict[Any, int],
        hidden: frozenset[Any],
        raw: RawFigures,
        codes: dict[str, dict[str, str]],
        standards: list[StandardKey],
        threshold: int,
        population: int | None,
    ) -> None:
        self.values, self.hidden, self.raw = values, hidden, raw
        self.codes, self.standards = codes, standards
        self.threshold, self.population = threshold, population

    def _shown(self, key: Any) -> int | None:
        return None if key in self.hidden else self.values[key]

    def _rate(self, count: int | None, months: int) -> float | None:
        if count is None or not self.population:
            return None
        return round(count / self.population * 100_000 * 12 / months, 2)

    def section(self, period: Period, months: int) -> dict[str, Any]:
        referrals: dict[str, Any] = {TOTAL: self._shown(("n", period, TOTAL, ""))}
        for code in self.codes["category"]:
            referrals[code] = self._shown(("n", period, "category", code))
        withheld = [code for code, value in referrals.items() if value is None]
        referrals["suppressed"] = bool(withheld)
        referrals["withheld"] = withheld
        incidence = {d: self._cells(period, d, months, "referrals") for d in BREAKDOWNS}
        outcomes = {d: self._cells(period, d, months, "count") for d in OUTCOMES}
        return {
            "referrals": referrals,
            "timeliness": [self._timeliness(period, s) for s in self.standards],
            "incidence": incidence,
            "outcomes": outcomes,
            "intervals": [self._interval(period, name) for name in INTERVALS],
        }

    def _cells(self, period: Period, dimension: str, months: int, noun: str) -> list[Any]:
        rows = []
        for code, label in self.codes[dimension].items():
            count = self._shown(("n", period, dimension, code))
            row: dict[str, Any] = {"code": code, "label": label, noun: count}
            if noun == "referrals":
                row["rate_per_100000"] = self._rate(count, months)
            row["suppressed"] = count is None
            row["withheld"] = [noun, "rate_per_100000"][: 2 if noun == "referrals" else 1] * (
                count is None
            )
            rows.append(row)
        return rows

    def _timeliness(self, period: Period, standard: StandardKey) -> dict[str, Any]:
        kind, reference, target = standard
        raw = self.raw.timeliness.get((period, standard), Timeliness())
        measured = target is None
        counted = [n for n in COUNTED if not (measured and n == "met")]
        shown = {name: self._shown(("t", period, standard, name)) for name in counted}
        withheld = [name for name in counted if shown[name] is None]
        eligible, met = shown["eligible"], shown.get("met")
        percent = None
        if not measured:
            if eligible is None or met is None:
                withheld.append("percent_met")
            elif eligible:
                percent = round(100 * met / eligible, 1)
        # A median of a few people's times is theirs: withheld with the count.
        # Withheld, not blank, beside a suppressed count even when no clock
        # stopped: a blank would say so, and so that met is 0.
        timed = eligible is not None and raw.stopped > self.threshold
        if not timed and (raw.stopped or eligible is None or "met" in withheld):
            withheld += ["median_hours", "p90_hours"]
        return {
            "clock": kind,
            "category": self.raw.standard_category.get(standard),
            "reference": reference,
            "target_hours": target,
            "eligible": eligible,
            "not_appropriate": shown["not_appropriate"],
            "pending": shown["pending"],
            "met": met,
            "percent_met": percent,
            "median_hours": _round(raw.median_hours) if timed else None,
            "p90_hours": _round(raw.p90_hours) if timed else None,
            "suppressed": bool(withheld),
            "withheld": withheld,
        }

    def _interval(self, period: Period, name: str) -> dict[str, Any]:
        count = self._shown(("i", period, name))
        interval = self.raw.intervals.get((period, name)) or Interval()
        timed = count is not None and count > self.threshold
        withheld = [] if count is not None else ["count"]
        if not timed and (interval.count or count is None):
            withheld += ["median_hours", "p90_hours"]
        return {
            "interval": name,
            "count": count,
            "median_hours": _round(interval.median_hours) if timed else None,
            "p90_hours": _round(interval.p90_hours) if timed else None,
            "suppressed": bool(withheld),
            "withheld": withheld,
        }
