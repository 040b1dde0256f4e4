"""The audit summary against an independent computation of NICE QS56.

A seeded set of synthetic referrals, written as rows of the historic CSV, is
taken into the database through the live services; then the oracle below
works out, in plain Python over the rows alone, what each QS56 / NG234
figure must be, and the summary (and its raw figures) must agree to the case
for every standard, breakdown and month.

The oracle is the definition, not a second implementation of the clock
engine: it knows the default pathway's standards only as NG234 states them
(what starts each, what stops it, its target, who it is for), and the
summary's rules in the words of the audit spec (not appropriate out of the
denominator; eligible = stopped or still running past due; pending = running,
not yet due; a death ends a clock that had not stopped, and a clock that
ended so is not counted).
"""

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from audit.historic.columns import COLUMNS as HISTORIC_COLUMNS
from audit.models import PostcodeDeprivation
from audit.periods import Month
from audit.selectors.figures import Scope, raw_figures
from audit.selectors.summary import AuditScope, audit_summary
from referrals.codes import OrganisationKind
from referrals.models import Alliance, Organisation, Service, User
from tests.audit.historic_rows import (
    EVENT_COLUMNS,
    KNOWN_POSTCODES,
    ZONE,
    Period,
    RowMaker,
    codes,
    load_rows,
    local,
    utc,
    when,
)
from tests.factories import AllianceFactory, CoordinatorFactory, OrganisationFactory, ServiceFactory

FIRST, LAST = Month(2025, 1), Month(2025, 6)
# An hour after the last month ends: late clocks are breached, the newest pending.
NOW = local(2025, 7, 1, 1, 0)
PERIOD = Period(start=local(2025, 1, 1), end=local(2025, 7, 1), now=NOW)
POPULATION = 1_000_000
ORGANISATIONS = {
    "HIST-GP1": OrganisationKind.GP_PRACTICE,
    "HIST-GP2": OrganisationKind.GP_PRACTICE,
    "HIST-GP3": OrganisationKind.GP_PRACTICE,
    "HIST-WARD": OrganisationKind.WARD,
    "HIST-ED": OrganisationKind.EMERGENCY_DEPARTMENT,
    "HIST-OTHER": OrganisationKind.OTHER,
}
SERVICES = ("HIST-ONE", "HIST-TWO")


# --- The standards, as NG234 and QS56 state them (default pathway) -----------

MSCC, METS = "suspected_mscc", "suspected_spinal_metastases"
EMERGENCY = "emergency_spinal_assessment"
ALL = frozenset({MSCC, EMERGENCY, METS, "oncology_assessment", "safety_net", "no_action"})


@dataclass(frozen=True)
class Standard:
    clock: str
    reference: str
    target: timedelta | None  # None: measured (NG234 sets no time)
    categories: frozenset[str]
    start: str  # the row's column the clock runs from
    stops: tuple[str, ...]  # the row's columns whose time stops it
    condition: str = ""

    @property
    def key(self) -> tuple[str, str, float | None]:
        hours = None if self.target is None else self.target.total_seconds() / 3600
        return (self.clock, self.reference, hours)

    @property
    def category(self) -> str | None:
        return next(iter(self.categories)) if len(self.categories) == 1 else None


STANDARDS = (
    # Acknowledged by the coordinator: 30 minutes for the emergencies, 4 hours otherwise.
    Standard("acknowledgement", "Local (NG234 1.1.6, 1.3.2)", timedelta(minutes=30),
             frozenset({MSCC, EMERGENCY}), "received_at", ("acknowledged_at",)),
    Standard("acknowledgement", "Local (NG234 1.1.6)", timedelta(hours=4),
             ALL - {MSCC, EMERGENCY}, "received_at", ("acknowledged_at",)),
    # 1.3.3: advice to the referrer of suspected spinal metastases within 24 hours.
    Standard("advice", "NG234 1.3.3", timedelta(hours=24), frozenset({METS}),
             "received_at", ("advice_given_at",)),
    # QS56 statement 3 / 1.5.2: MRI within 24 hours of suspected MSCC; statement 2 /
    # 1.5.3: within a week of suspected spinal metastases. CT (or myelography)
    # where MRI is contraindicated is the imaging the standard waited for (1.5.7).
    Standard("mri", "NG234 1.5.2; QS56 statement 3", timedelta(hours=24), frozenset({MSCC}),
             "suspected_at", ("mri_performed_at", "ct_performed_at", "myelography_performed_at")),
    Standard("mri", "NG234 1.5.3; QS56 statement 2", timedelta(days=7), frozenset({METS}),
             "suspected_at", ("mri_performed_at", "ct_performed_at", "myelography_performed_at")),
    # 1.4.4: senior advice on spinal stability within 24 hours of immobilisation.
    Standard("stability_advice", "NG234 1.4.4", timedelta(hours=24), frozenset({MSCC, METS}),
             "immobilisation_started_at", ("stability_advice_given_at",)),
    # QS56 statement 6 / 1.10.4: radiotherapy within 24 hours of the decision, for
    # MSCC not suitable for surgery (no decision to operate before it).
    Standard("radiotherapy", "NG234 1.10.4, 1.1.21; QS56 statement 6", timedelta(hours=24),
             frozenset({MSCC}), "rt_decision_at", ("rt_delivered_at",), "without_surgery"),
    # Measured: postoperative radiotherapy (1.10.8), radiotherapy of spinal
    # metastases without MSCC (1.10.2), dexamethasone (1.8.1, 1.8.5), surgery (1.11.3).
    Standard("radiotherapy", "NG234 1.10.8 (postoperative; measured)", None, frozenset({MSCC}),
             "rt_decision_at", ("rt_delivered_at",), "after_surgery"),
    Standard("radiotherapy", "NG234 1.10.2 (without MSCC; measured)", None, frozenset({METS}),
             "rt_decision_at", ("rt_delivered_at",)),
    Standard("dexamethasone", "NG234 1.8.1, 1.8.5 (measured)", None, frozenset({MSCC, METS}),
             "suspected_at", ("dexamethasone_given_at",), "dexamethasone_indicated"),
    Standard("surgery", "NG234 1.11.3 (measured)", None, frozenset({MSCC, METS}),
             "surgery_decision_at", ("surgery_performed_at",)),
)  # fmt: skip

HAEMATOLOGICAL = {"myeloma", "lymphoma", "other_haematological"}
AGE_BANDS = ((18, "under_18"), (50, "18_49"), (60, "50_59"), (70, "60_69"), (80, "70_79"))


# --- The oracle ---------------------------------------------------------------


def _time(row: dict[str, str], column: str) -> datetime | None:
    if column == "suspected_at":  # blank: taken as the time of receipt
        return when(row["suspected_at"]) or when(row["received_at"])
    return when(row[column])


def month_of(row: dict[str, str]) -> int:
    received = when(row["received_at"]).astimezone(ZONE)  # type: ignore[union-attr]
    return Month(received.year, received.month).index()


def mri_done_at_referral(row: dict[str, str]) -> bool:
    """A whole-spine MRI sent with the referral that already shows what the
    standard looks for: the MRI standard was met at suspicion."""
    if row["imaging_modality"] != "mri_whole_spine":
        return False
    wanted = {MSCC: {"cord_compression"}, METS: {"spinal_metastases", "cord_compression"}}
    return row["imaging_findings"] in wanted.get(row["category"], set())


@dataclass(frozen=True)
class Outcome:
    """One clock: ``what`` is not_appropriate, met, met_late, breached,
    pending or cancelled; ``hours`` from start to stop for a stopped one."""

    what: str
    hours: float | None = None


def last_moment(row: dict[str, str]) -> datetime:
    """The latest time the row knows of (a historic record ends there)."""
    times = [when(row[c]) for c in (*EVENT_COLUMNS, "received_at")]
    return max(t for t in times if t is not None)


def clock_outcome(
    row: dict[str, str], standard: Standard, *, historic: bool = False
) -> Outcome | None:
    """What QS56 makes of this row for ``standard`` (None: not for this row).
    ``historic``: the row is a finished record, nothing after its last moment."""
    if row["category"] not in standard.categories:
        return None
    if standard.condition == "dexamethasone_indicated" and not (
        codes(row["neuro_features"])
        or (row["cancer_status"] == "current_or_past" and row["primary_tumour"] in HAEMATOLOGICAL)
    ):
        return None
    started_by = _time(row, standard.start)
    if started_by is None:
        return None
    if standard.condition in ("without_surgery", "after_surgery"):
        operated = any(
            (t := _time(row, c)) is not None and t <= started_by
            for c in ("surgery_decision_at", "surgery_performed_at")
        )
        if operated != (standard.condition == "after_surgery"):
            return None
    started_by_event = standard.start not in ("received_at", "suspected_at")
    if historic and started_by_event and started_by >= last_moment(row):
        # The import closes the record at its last moment, and nothing starts
        # as the pathway ends: a clock its last event would start is never
        # made (so its "not appropriate" reason is lost: see
        # test_a_clock_started_by_the_last_event_of_an_imported_record_keeps_its_reason).
        return None
    start = started_by
    onset = _time(row, "neuro_onset_at")
    if standard.clock == "surgery" and onset is not None and onset <= started_by:
        start = onset  # 1.11.3: surgery as soon as possible after the onset
    if row[f"{standard.clock}_not_appropriate_reason"]:
        return Outcome("not_appropriate")
    stops = [t for c in standard.stops if (t := _time(row, c)) is not None and t >= start]
    stop = (
        start if standard.clock == "mri" and mri_done_at_referral(row) else min(stops, default=None)
    )
    # The pathway ends at a death, or with a historic record's last moment.
    ended = _time(row, "died_at") or (last_moment(row) if historic else None)
    if stop is not None and (ended is None or stop <= ended):
        hours = (stop - start).total_seconds() / 3600
        late = standard.target is not None and stop > start + standard.target
        return Outcome("met_late" if late else "met", hours)
    due = None if standard.target is None else start + standard.target
    # Not done by its due time, whatever came after: the standard was missed
    # (QS56: in the denominator, not the numerator).
    if due is not None and due <= (ended or NOW):
        return Outcome("breached")
    # Ended before it was due (or measured): no outcome to count.
    return Outcome("cancelled") if ended is not None else Outcome("pending")


@dataclass
class Row:
    not_appropriate: int = 0
    eligible: int = 0
    pending: int = 0
    met: int = 0
    hours: list[float] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        if outcome.what == "not_appropriate":
            self.not_appropriate += 1
        elif outcome.what == "pending":
            self.pending += 1
        elif outcome.what in ("met", "met_late", "breached"):
            self.eligible += 1
            self.met += outcome.what == "met"
            if outcome.hours is not None:
                self.hours.append(outcome.hours)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def age_band(row: dict[str, str]) -> str:
    on = when(row["received_at"]).astimezone(ZONE).date()  # type: ignore[union-attr]
    born = date.fromisoformat(row["date_of_birth"])
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((band for below, band in AGE_BANDS if age < below), "80_plus")


def walking(value: str) -> str:
    return {"true": "yes", "false": "no"}.get(value, "not_recorded")


def breakdowns(row: dict[str, str]) -> dict[str, str]:
    """Each incidence and outcome breakdown's code for the row."""
    received = when(row["received_at"])
    died = when(row["died_at"])
    decile = row["imd_decile"] or str(KNOWN_POSTCODES.get(row["postcode"], "unknown"))
    return {
        "category": row["category"],
        "primary_tumour": row["primary_tumour"] or "none_known",
        "referring_setting": ORGANISATIONS[row["referring_organisation"]].value,
        "organisation": row["referring_organisation"],
        "age_band": age_band(row),
        "sex": row["sex"],
        "imd_decile": decile,
        "ambulatory_at_presentation": walking(row["ambulatory_at_presentation"]),
        "ambulatory_after_treatment": walking(row["ambulatory_after_treatment"]),
        "died_within_30_days": (
            "yes" if died is not None and died < received + timedelta(days=30) else "no"  # type: ignore[operator]
        ),
    }


INTERVALS = {
    "onset_to_referral": ("neuro_onset_at", "received_at"),
    "referral_to_acknowledgement": ("received_at", "acknowledged_at"),
}


@dataclass
class Oracle:
    counts: dict[tuple[str, int | None, str], int]
    timeliness: dict[tuple[int | None, Any], Row]
    intervals: dict[tuple[int | None, str], list[float]]


def oracle(rows: list[dict[str, str]], *, historic: bool = False) -> Oracle:
    """Every figure, by month and for the whole period (``None``)."""
    counts: dict[tuple[str, int | None, str], int] = defaultdict(int)
    timeliness: dict[tuple[int | None, Any], Row] = defaultdict(Row)
    intervals: dict[tuple[int | None, str], list[float]] = defaultdict(list)
    for row in rows:
        for period in (month_of(row), None):
            counts[("total", period, "")] += 1
            for dimension, code in breakdowns(row).items():
                counts[(dimension, period, code)] += 1
            for standard in STANDARDS:
                outcome = clock_outcome(row, standard, historic=historic)
                if outcome is not None:
                    timeliness[(period, standard.key)].add(outcome)
            for name, (start, end) in INTERVALS.items():
                if row[start] and row[end]:
                    hours = (when(row[end]) - when(row[start])).total_seconds() / 3600  # type: ignore[operator]
                    intervals[(period, name)].append(hours)
    return Oracle(dict(counts), dict(timeliness), dict(intervals))


# --- The data -----------------------------------------------------------------


# Nothing else happened (but what a row names).
QUIET = {
    column: ""
    for column in (
        *EVENT_COLUMNS,
        "neuro_onset_at",
        *(
            f"{k}_not_appropriate_reason"
            for k in ("acknowledgement", "advice", "mri", "stability_advice", "radiotherapy")
        ),
    )
    if column not in ("received_at",)
} | {"imaging_findings": "none", "imaging_modality": "", "ambulatory_after_treatment": ""}


def edge_rows(maker: RowMaker) -> list[dict[str, str]]:
    """Rows on the boundaries the definitions turn on."""
    return [
        # 00:30 BST on 1 June: June, though it is still 31 May in UTC; and the
        # 60th birthday falls that day (60_69 in London, 50_59 by the UTC date).
        maker.row(received=utc(2025, 5, 31, 23, 30), category="no_action",
                  date_of_birth=date(1965, 6, 1)),
        # 23:59 GMT on 31 January: January.
        maker.row(received=utc(2025, 1, 31, 23, 59), category="safety_net"),
        # 23:30 BST on 30 June, unacknowledged an hour and a half later: pending (4 h).
        maker.row(received=local(2025, 6, 30, 23, 30), category="safety_net",
                  acknowledged_at="", acknowledgement_not_appropriate_reason=""),
        # Suspected MSCC at 20:00 on 30 June, no MRI yet: pending until 20:00 on 1 July.
        maker.row(received=local(2025, 6, 30, 20, 10), category=MSCC,
                  suspected_at=local(2025, 6, 30, 20, 0).isoformat(),
                  neuro_onset_at="", mri_performed_at="", ct_performed_at="",
                  mri_not_appropriate_reason="", died_at="",
                  imaging_findings="none", imaging_modality=""),
        # Radiotherapy decided at 22:00 on 30 June, not yet given: pending.
        maker.row(received=local(2025, 6, 29, 9, 0), category=MSCC,
                  rt_decision_at=local(2025, 6, 30, 22, 0).isoformat(), rt_delivered_at="",
                  surgery_decision_at="", surgery_performed_at="", died_at="",
                  ambulatory_assessed_at="", ambulatory_after_treatment="",
                  radiotherapy_not_appropriate_reason=""),
        # Died exactly 30 days after receipt (not within), and a minute before;
        # and 30 calendar days across the change to BST, an hour short of 30 days.
        maker.row(received=local(2025, 4, 10, 12, 0), category="oncology_assessment",
                  died_at=local(2025, 5, 10, 12, 0).isoformat()),
        maker.row(received=local(2025, 4, 11, 12, 0), category="oncology_assessment",
                  died_at=local(2025, 5, 11, 11, 59).isoformat()),
        maker.row(received=local(2025, 3, 10, 12, 0), category="oncology_assessment",
                  died_at=local(2025, 4, 9, 12, 0).isoformat()),
        # Died ten hours after suspected MSCC, no MRI: the clock ended before
        # it was due (not counted); died three days after: the MRI standard
        # had been missed (breached).
        *(
            maker.row(
                received=local(2025, 5, 5, 9, 0),
                category=MSCC,
                suspected_at=local(2025, 5, 5, 9, 0).isoformat(),
                **QUIET
                | {
                    "acknowledged_at": local(2025, 5, 5, 9, 10).isoformat(),
                    "died_at": died.isoformat(),
                },
            )
            for died in (local(2025, 5, 5, 19, 0), local(2025, 5, 8, 9, 0))
        ),
        # An MRI performed before the suspicion does not meet the standard.
        maker.row(received=local(2025, 2, 3, 10, 0), category=METS,
                  suspected_at=local(2025, 2, 3, 9, 0).isoformat(),
                  mri_performed_at=local(2025, 2, 3, 8, 0).isoformat(), ct_performed_at="",
                  mri_requested_at="", mri_not_appropriate_reason="", died_at="",
                  imaging_findings="none", imaging_modality=""),
    ]  # fmt: skip


@dataclass
class Data:
    alliance: Alliance
    services: dict[str, Service]
    rows: list[dict[str, str]]


def make_data(seed: int, count: int, *, imported_from: Path | None = None) -> Data:
    """The rows, taken in through the live services as they happened, or
    (``imported_from``: a directory to write the file in) by ``manage.py
    import_referrals``, which closes each record at its last moment."""
    alliance = AllianceFactory(
        code="HIST", name="Historic", suppression_threshold=1, population=POPULATION
    )
    services = {code: ServiceFactory(code=code, alliance=alliance) for code in SERVICES}
    organisations: dict[str, Organisation] = {
        code: OrganisationFactory(code=code, name=code, kind=kind, alliance=alliance)
        for code, kind in ORGANISATIONS.items()
    }
    PostcodeDeprivation.objects.bulk_create(
        PostcodeDeprivation(postcode=p, lsoa_code=f"E0100{d:04d}", imd_decile=d)
        for p, d in KNOWN_POSTCODES.items()
    )
    maker = RowMaker(seed, PERIOD, list(ORGANISATIONS), list(SERVICES))
    rows = maker.rows(count) + edge_rows(maker)
    # Not counted: December, up to its last minute (GMT is UTC).
    before = Period(start=local(2024, 12, 1), end=local(2025, 1, 1), now=NOW)
    december = RowMaker(seed + 1, before, list(ORGANISATIONS), list(SERVICES), prefix="DEC")
    outside = [*december.rows(4), december.row(received=utc(2024, 12, 31, 23, 59))]
    # Nor another alliance's referrals in the same months.
    other = AllianceFactory(code="ELSEWHERE")
    other_service = ServiceFactory(code="ELSEWHERE-MSCC", alliance=other)
    other_gp = OrganisationFactory(code="ELSEWHERE-GP", alliance=other)
    elsewhere = RowMaker(
        seed + 2, PERIOD, [other_gp.code], [other_service.code], prefix="ELSE"
    ).rows(6)
    if imported_from is not None:
        path = imported_from / "historic.csv"
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(HISTORIC_COLUMNS)
            for row in [*rows, *outside, *elsewhere]:
                writer.writerow([row.get(c, "") for c in HISTORIC_COLUMNS])
        call_command("import_referrals", str(path), stdout=io.StringIO(), stderr=io.StringIO())
        return Data(alliance, services, rows)
    coordinators: dict[str, User] = {
        code: CoordinatorFactory(username=f"coordinator-{code}", service=service)
        for code, service in services.items()
    }
    load_rows(
        rows + outside, coordinators=coordinators, organisations=organisations, services=services
    )
    load_rows(
        elsewhere,
        coordinators={other_service.code: CoordinatorFactory(service=other_service)},
        organisations={other_gp.code: other_gp},
        services={other_service.code: other_service},
    )
    return Data(alliance, services, rows)


# --- The comparison -----------------------------------------------------------


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance


def raw_disagreements(expected: Oracle, scope: Scope) -> list[str]:
    """Every raw figure that differs from the oracle's, described."""
    raw = raw_figures(scope, now=NOW)
    problems = []
    month_counts = {k: v for k, v in expected.counts.items() if k[1] is not None}
    if raw.counts != month_counts:
        for key in sorted(set(raw.counts) | set(month_counts), key=str):
            if raw.counts.get(key) != month_counts.get(key):
                problems.append(
                    f"count {key}: summary {raw.counts.get(key)}, QS56 {month_counts.get(key)}"
                )
    keys = set(raw.timeliness) | set(expected.timeliness)
    for period, standard in sorted(keys, key=str):
        got = raw.timeliness.get((period, standard))
        want = expected.timeliness.get((period, standard), Row())
        figures = {
            "not_appropriate": (got.not_appropriate if got else 0, want.not_appropriate),
            "eligible": (got.eligible if got else 0, want.eligible),
            "pending": (got.pending if got else 0, want.pending),
            "met": (got.met if got else 0, want.met),
            "stopped": (got.stopped if got else 0, len(want.hours)),
        }
        for name, (a, b) in figures.items():
            if a != b:
                problems.append(f"{standard} {period} {name}: summary {a}, QS56 {b}")
        for name, function in (("median", median), ("p90", p90)):
            a = getattr(got, f"{name}_hours") if got else None
            if not _close(a, function(want.hours), 1e-6):
                problems.append(
                    f"{standard} {period} {name}: summary {a}, QS56 {function(want.hours)}"
                )
    for (period, name), values in expected.intervals.items():
        got_interval = raw.intervals.get((period, name))
        assert got_interval is not None, (period, name)
        if got_interval.count != len(values):
            problems.append(f"{name} {period} count: {got_interval.count} vs {len(values)}")
        for label, function in (("median", median), ("p90", p90)):
            a = getattr(got_interval, f"{label}_hours")
            if not _close(a, function(values), 1e-6):
                problems.append(f"{name} {period} {label}: summary {a}, QS56 {function(values)}")
    return problems


def summary_disagreements(expected: Oracle, summary: dict[str, Any]) -> tuple[list[str], int, int]:
    """Every figure the summary shows that differs from the oracle's; how
    many it withheld, of how many."""
    problems: list[str] = []
    withheld = checked = 0
    sections: list[tuple[int | None, int, dict[str, Any]]] = [
        (None, len(summary["months"]), summary["totals"])
    ] + [(Month.parse(m["month"]).index(), 1, m) for m in summary["months"]]

    def check(what: str, shown: Any, want: Any, tolerance: float = 0.0) -> None:
        nonlocal withheld, checked
        checked += 1
        if shown is None and want is not None:
            withheld += 1
            return
        if isinstance(want, float) or isinstance(shown, float):
            if not _close(shown, want, tolerance):
                problems.append(f"{what}: summary {shown}, QS56 {want}")
        elif shown != want:
            problems.append(f"{what}: summary {shown}, QS56 {want}")

    def count(dimension: str, period: int | None, code: str) -> int:
        return expected.counts.get((dimension, period, code), 0)

    for period, months, section in sections:
        referrals = section["referrals"]
        check(f"{period} referrals", referrals["total"], count("total", period, ""))
        for name, cells in [*section["incidence"].items(), *section["outcomes"].items()]:
            for cell in cells:
                value = cell.get("referrals", cell.get("count"))
                want = count(name, period, cell["code"])
                check(f"{period} {name} {cell['code']}", value, want)
                if "rate_per_100000" in cell and value is not None:
                    rate = round(want / POPULATION * 100_000 * 12 / months, 2)
                    check(
                        f"{period} {name} {cell['code']} rate", cell["rate_per_100000"], rate, 1e-9
                    )
        for code, value in referrals.items():
            if code not in ("total", "suppressed", "withheld"):
                check(f"{period} referrals {code}", value, count("category", period, code))
        for row in section["timeliness"]:
            key = (row["clock"], row["reference"], row["target_hours"])
            want = expected.timeliness.get((period, key), Row())
            what = f"{period} {key}"
            standard = next((s for s in STANDARDS if s.key == key), None)
            assert standard is not None, f"a timeliness row of no NG234 standard: {key}"
            check(f"{what} category", row["category"], standard.category)
            for name in ("eligible", "not_appropriate", "pending"):
                check(f"{what} {name}", row[name], getattr(want, name))
            if standard.target is None:
                check(f"{what} met", row["met"], None)
            else:
                check(f"{what} met", row["met"], want.met)
                if row["percent_met"] is not None:
                    check(
                        f"{what} %",
                        row["percent_met"],
                        round(100 * want.met / want.eligible, 1),
                        0.05,
                    )
            for name, function in (("median_hours", median), ("p90_hours", p90)):
                if row[name] is not None:
                    check(f"{what} {name}", row[name], function(want.hours), 0.05 + 1e-9)
        for interval in section["intervals"]:
            values = expected.intervals.get((period, interval["interval"]), [])
            check(f"{period} {interval['interval']}", interval["count"], len(values))
            for name, function in (("median_hours", median), ("p90_hours", p90)):
                if interval[name] is not None:
                    check(
                        f"{period} {interval['interval']} {name}",
                        interval[name],
                        function(values),
                        0.05 + 1e-9,
                    )
    return problems, withheld, checked


def assert_agrees(
    data: Data, rows: list[dict[str, str]], service: Service | None, *, historic: bool = False
) -> None:
    expected = oracle(rows, historic=historic)
    scope = Scope(data.alliance.pk, service.pk if service else None, FIRST, LAST)
    problems = raw_disagreements(expected, scope)
    assert not problems, "\n".join(problems[:40])
    summary = audit_summary(
        scope=AuditScope(alliance=data.alliance, service=service), first=FIRST, last=LAST, now=NOW
    )
    problems, withheld, checked = summary_disagreements(expected, summary)
    assert not problems, "\n".join(problems[:40])
    # Threshold 1: only the ones (and their partners) are withheld, so most
    # figures are compared (the adversary's tests judge what is withheld).
    assert withheld < checked / 2, (withheld, checked)
    # Every NG234 standard the rows have is a row of the summary.
    shown = {
        (r["clock"], r["reference"], r["target_hours"]) for r in summary["totals"]["timeliness"]
    }
    assert {key for (period, key), row in expected.timeliness.items() if period is None} <= shown


def _has(expected: Oracle, what: Callable[[Row], int], key: Any) -> bool:
    return any(
        what(row)
        for (period, k), row in expected.timeliness.items()
        if k == key and period is not None
    )


@pytest.mark.slow
def test_summary_is_qs56_to_the_case_for_every_standard_and_month(db):
    """Referrals taken in through the live services as they happened, some
    still open at ``NOW``."""
    data = make_data(seed=20250630, count=230)
    rows = data.rows
    expected = oracle(rows)
    # The data exercises what it must: every timed standard with met, met
    # late, breached and not-appropriate cases somewhere; pending ones for
    # most; clocks ended by a death before they were due.
    for standard in STANDARDS:
        outcomes = {o.what for row in rows if (o := clock_outcome(row, standard))}
        if standard.target is not None:
            wanted = {"met", "met_late", "breached", "not_appropriate"}
            assert wanted <= outcomes, (standard.key, outcomes)
    timed = [s for s in STANDARDS if s.target is not None]
    assert sum(_has(expected, lambda r: r.pending, s.key) for s in timed) >= 4
    assert any(clock_outcome(row, s) == Outcome("cancelled") for row in rows for s in STANDARDS)
    assert expected.counts[("died_within_30_days", None, "yes")] > 0
    assert expected.counts[("imd_decile", None, "unknown")] > 0
    deciles = {c for (d, p, c) in expected.counts if d == "imd_decile"}
    assert {"1", "3"} <= deciles

    assert_agrees(data, rows, None)
    for code, service in data.services.items():
        assert_agrees(data, [r for r in rows if r["service"] == code], service)


@pytest.mark.slow
def test_imported_referrals_are_qs56_to_the_case(db, tmp_path):
    """The same rows as a historic file, by ``manage.py import_referrals``:
    each record closed at its last moment, so a clock it never stopped is
    breached if it was due by then and left out if not."""
    data = make_data(seed=20250630, count=230, imported_from=tmp_path)
    rows = data.rows
    everything = set()
    for standard in STANDARDS:
        outcomes = {o.what for row in rows if (o := clock_outcome(row, standard, historic=True))}
        everything |= outcomes
        if standard.target is not None:
            assert {"met", "not_appropriate"} <= outcomes, (standard.key, outcomes)
    assert "pending" not in everything
    assert {"met_late", "breached", "cancelled"} <= everything
    assert_agrees(data, rows, None, historic=True)
    for code, service in data.services.items():
        historic = [r for r in rows if r["service"] == code]
        assert_agrees(data, historic, service, historic=True)


@pytest.mark.xfail(
    strict=True,
    reason="audit/historic/importing.py closes a record at its last moment, and the "
    "clocks start nothing at the moment the pathway ends: a clock the last event starts "
    "is never made, and the file's not-appropriate reason for it is lost.",
)
def test_a_clock_started_by_the_last_event_of_an_imported_record_keeps_its_reason(db, tmp_path):
    alliance = AllianceFactory(code="HIST")
    ServiceFactory(code="HIST-ONE", alliance=alliance)
    OrganisationFactory(code="HIST-GP1", alliance=alliance)
    maker = RowMaker(1, PERIOD, ["HIST-GP1"], ["HIST-ONE"])
    row = maker.row(
        received=local(2025, 5, 21, 17, 0),
        category=METS,
        **QUIET
        | {
            "acknowledged_at": local(2025, 5, 21, 18, 0).isoformat(),
            "immobilisation_started_at": local(2025, 5, 22, 0, 30).isoformat(),
            "stability_advice_not_appropriate_reason": "Declined (synthetic).",
        },
    )
    path = tmp_path / "one.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HISTORIC_COLUMNS)
        writer.writerow([row.get(c, "") for c in HISTORIC_COLUMNS])
    call_command("import_referrals", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    month = Month(2025, 5)
    raw = raw_figures(Scope(alliance.pk, None, month, month), now=NOW)
    stability = ("stability_advice", "NG234 1.4.4", 24.0)
    assert raw.timeliness[(None, stability)].not_appropriate == 1
