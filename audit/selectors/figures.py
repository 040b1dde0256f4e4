"""The audit's raw figures: counts, medians and 90th percentiles computed by
the database in a fixed handful of queries, whatever the number of months or
referrals (no row per referral leaves the database).

Nothing here is suppressed: ``audit.selectors.summary`` applies suppression
before anything is shown. The definitions are those of
docs/clinical-rules.md, section 6 (QS56's numerators and denominators).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from audit.labels import BREAKDOWNS, OUTCOMES
from audit.models import PostcodeDeprivation
from audit.periods import Month
from audit.sql import HoursBetween, Percentile
from pathways.codes import ClockCondition, ClockStatus, EventKind
from pathways.defaults import INTAKE_ANCHORS
from pathways.models import ClinicalEvent, Clock, ClockDefinition
from referrals.models import Organisation, Patient, Referral, Service

DIMENSIONS = BREAKDOWNS + OUTCOMES

# Age bands at received_at (docs/clinical-rules.md, section 6).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under_18", 0, 18),
    ("18_49", 18, 50),
    ("50_59", 50, 60),
    ("60_69", 60, 70),
    ("70_79", 70, 80),
    ("80_plus", 80, None),
)
NO_PRIMARY = "none_known"
UNKNOWN_DECILE = "unknown"
# 30-day mortality counts deaths within 30 days of receipt.
MORTALITY_WINDOW = timedelta(days=30)

StandardKey = tuple[str, str, float | None]  # clock kind, reference, target hours


@dataclass(frozen=True)
class Scope:
    """Which referrals: an alliance's, or one service's, received in whole months."""

    alliance_id: int
    service_id: int | None
    first: Month
    last: Month


@dataclass
class Timeliness:
    not_appropriate: int = 0
    eligible: int = 0
    pending: int = 0
    met: int = 0
    stopped: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None


@dataclass
class Interval:
    count: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None


@dataclass
class RawFigures:
    # (dimension, month index, code) → referrals; dimension "total" has code "".
    counts: dict[tuple[str, int, str], int] = field(default_factory=dict)
    # Organisation code → its kind and name, for labels.
    organisations: dict[str, str] = field(default_factory=dict)
    # (month index or None for the whole period, standard) → the row.
    timeliness: dict[tuple[int | None, StandardKey], Timeliness] = field(default_factory=dict)
    # Standard → the single category its clock definitions apply to, if one.
    standard_category: dict[StandardKey, str | None] = field(default_factory=dict)
    # Standard → the categories each referral of which starts one clock of it
    # at intake (acknowledgement, advice, MRI): only standards whose every
    # definition does, unconditionally.
    standard_population: dict[StandardKey, tuple[str, ...]] = field(default_factory=dict)
    # (month index or None, interval name) → the interval.
    intervals: dict[tuple[int | None, str], Interval] = field(default_factory=dict)


def _month_index(path: str) -> Any:
    # Extract* use the current time zone (Europe/London), so a referral
    # received at 00:30 BST on 1 June counts in June on every database.
    return ExpressionWrapper(
        ExtractYear(path) * 12 + ExtractMonth(path) - 1, output_field=IntegerField()
    )


def referrals_in(scope: Scope) -> "QuerySet[Referral]":
    """The referrals a scope counts: received in its months, one per episode
    (a referral closed as another's duplicate is not counted again)."""
    zone = timezone.get_current_timezone()
    referrals = Referral.objects.filter(
        service__alliance_id=scope.alliance_id,
        received_at__gte=scope.first.start(zone),
        received_at__lt=scope.last.next().start(zone),
        duplicate_of__isnull=True,
    )
    if scope.service_id is not None:
        referrals = referrals.filter(service_id=scope.service_id)
    return referrals


def _per_referral_sql(scope: Scope) -> tuple[str, list[Any]]:
    """One row per referral with each dimension's code: the inner query the
    incidence aggregate groups (never fetched row by row).

    The embedded SQLite default's form (PostgreSQL: ``figures_postgres``):
    joins to the latest walking assessment, the death and the postcode's
    decile rather than a subquery per referral.
    """
    referral, patient = Referral._meta.db_table, Patient._meta.db_table
    organisation, service = Organisation._meta.db_table, Service._meta.db_table
    event, lookup = ClinicalEvent._meta.db_table, PostcodeDeprivation._meta.db_table
    zone = timezone.get_current_timezone_name()
    # Local time through Django's own SQLite functions (registered on every
    # connection); times are stored as UTC text, which julianday reads.
    utc = connection.timezone_name
    local_date = f"django_datetime_cast_date(r.received_at, %s, '{utc}')"
    part = "django_datetime_extract('{}', r.received_at, %s, '" + utc + "')"
    month = f"({part.format('year')} * 12 + {part.format('month')} - 1)"
    age = (
        f"(CAST(substr({local_date}, 1, 4) AS integer) - CAST(substr(p.date_of_birth, 1, 4) "
        f"AS integer) - (substr({local_date}, 6, 5) < substr(p.date_of_birth, 6, 5)))"
    )
    bands = age_band_sql(age)
    within_30_days = f"julianday(d.died_at) < julianday(r.received_at) + {MORTALITY_WINDOW.days}"
    withdrawn = f"EXISTS (SELECT 1 FROM {event} c WHERE c.corrects_id = e.id)"  # noqa: S608
    # As the database stores them: a raw parameter is not converted, and on
    # SQLite an aware time compared with the stored UTC text would put the
    # first hour of a summer month in the month before.
    adapt = connection.ops.adapt_datetimefield_value
    start = adapt(scope.first.start(timezone.get_current_timezone()))
    end = adapt(scope.last.next().start(timezone.get_current_timezone()))
    service_filter = "AND r.service_id = %s" if scope.service_id is not None else ""
    # Only the module's own table, column and code names are joined into the
    # text; every value is a parameter.
    sql = f"""
        SELECT
            {month} AS month,
            r.category AS d_category,
            CASE WHEN r.primary_tumour = '' THEN %s ELSE r.primary_tumour END AS d_primary_tumour,
            o.kind AS d_referring_setting,
            o.code AS d_organisation,
            {bands} AS d_age_band,
            p.sex AS d_sex,
            CASE WHEN COALESCE(p.imd_decile, pd.imd_decile) IS NULL THEN %s
                 ELSE CAST(COALESCE(p.imd_decile, pd.imd_decile) AS text) END
                AS d_imd_decile,
            CASE WHEN r.ambulatory THEN 'yes' WHEN NOT r.ambulatory THEN 'no'
                 ELSE 'not_recorded' END AS d_ambulatory_at_presentation,
            CASE WHEN w.ambulatory THEN 'yes' WHEN NOT w.ambulatory THEN 'no'
                 ELSE 'not_recorded' END AS d_ambulatory_after_treatment,
            CASE WHEN {within_30_days} THEN 'yes' ELSE 'no' END
                AS d_died_within_30_days
        FROM {referral} r
        JOIN {service} s ON s.id = r.service_id
        JOIN {organisation} o ON o.id = r.referring_organisation_id
        JOIN {patient} p ON p.id = r.patient_id
        LEFT JOIN {lookup} pd ON pd.postcode = p.postcode
        LEFT JOIN (
            SELECT referral_id, ambulatory FROM (
                SELECT e.referral_id, e.ambulatory, ROW_NUMBER() OVER (
                    PARTITION BY e.referral_id ORDER BY e.occurred_at DESC, e.recorded_at DESC
                ) AS latest
                FROM {event} e WHERE e.kind = %s AND NOT {withdrawn}
            ) assessed WHERE latest = 1
        ) w ON w.referral_id = r.id
        LEFT JOIN (
            SELECT e.referral_id, MIN(e.occurred_at) AS died_at
            FROM {event} e WHERE e.kind = %s AND NOT {withdrawn}
            GROUP BY e.referral_id
        ) d ON d.referral_id = r.id
        WHERE s.alliance_id = %s AND r.received_at >= %s AND r.received_at < %s
            AND r.duplicate_of_id IS NULL {service_filter}
    """  # noqa: S608
    params: list[Any] = [
        zone,
        zone,
        NO_PRIMARY,
        *[zone] * bands.count("%s"),
        UNKNOWN_DECILE,
        EventKind.AMBULATORY_ASSESSED.value,
        EventKind.DIED.value,
        scope.alliance_id,
        start,
        end,
    ]
    if scope.service_id is not None:
        params.append(scope.service_id)
    return sql, params


def age_band_sql(age: str) -> str:
    """The age band of an age in years (an SQL expression), from ``AGE_BANDS``."""
    whens = " ".join(f"WHEN {age} < {high} THEN '{code}'" for code, _, high in AGE_BANDS if high)
    return f"CASE {whens} ELSE '{AGE_BANDS[-1][0]}' END"


def _incidence_sql(inner_sql: str) -> str:
    """Counts by month for every dimension, from one pass over the referrals
    (SQLite has no GROUPING SETS: the same rows by UNION ALL of a CTE)."""
    # Only the module's own column names are joined into the text; every value
    # the caller gave is a parameter of ``inner_sql``.
    parts = ["SELECT month, 'total', '', COUNT(*) FROM r GROUP BY month"]
    parts += [
        f"SELECT month, '{name}', d_{name}, COUNT(*) FROM r GROUP BY month, d_{name}"  # noqa: S608
        for name in DIMENSIONS
    ]
    return f"WITH r AS ({inner_sql}) " + " UNION ALL ".join(parts)


def _counts(scope: Scope) -> dict[tuple[str, int, str], int]:
    inner_sql, params = _per_referral_sql(scope)
    with connection.cursor() as cursor:
        cursor.execute(_incidence_sql(inner_sql), params)
        rows = cursor.fetchall()
    return {(name, month, str(code)): count for month, name, code, count in rows}


def _timeliness(
    scope: Scope, now: datetime, categories: dict[StandardKey, set[str]]
) -> dict[tuple[int | None, StandardKey], Timeliness]:
    """Per standard, by month and for the whole period (two queries)."""
    counted = Q(not_appropriate=False)
    stopped = counted & Q(status__in=[ClockStatus.MET, ClockStatus.MET_LATE])
    # Breached: still running past due at ``now`` (measured clocks have no due
    # time); or ended unmet once due by a death or the referral's closure (an
    # imported record is closed at its last moment), the standard still the
    # referral's: it was missed, so QS56 counts it in the denominator, not the
    # numerator. (Ended by a change of category, it no longer applied.)
    still_applies = Q(pk__isnull=True)  # nothing, but for the standards below
    for (kind, reference, target), codes in categories.items():
        if target is not None:
            still_applies |= Q(
                kind=kind,
                reference=reference,
                target=timedelta(hours=target),
                referral__category__in=sorted(codes),
            )
    breached = counted & (
        Q(status=ClockStatus.RUNNING, due_at__lte=now)
        | (Q(status=ClockStatus.CANCELLED, stopped_at__gte=F("due_at")) & still_applies)
    )
    hours = Case(When(stopped, then=HoursBetween("started_at", "stopped_at")))
    # Prefixed: an annotation named like a field ("not_appropriate") would
    # shadow it in the filters of the annotations after it.
    aggregates = {
        "n_not_appropriate": Count("id", filter=Q(not_appropriate=True)),
        "n_eligible": Count("id", filter=stopped | breached),
        "n_pending": Count(
            "id",
            filter=counted
            & Q(status=ClockStatus.RUNNING)
            & (Q(due_at__gt=now) | Q(due_at__isnull=True)),
        ),
        "n_met": Count("id", filter=counted & Q(status=ClockStatus.MET)),
        "n_stopped": Count("id", filter=stopped),
        "n_median_hours": Percentile(hours, 0.5),
        "n_p90_hours": Percentile(hours, 0.9),
    }
    clocks = Clock.objects.filter(referral__in=referrals_in(scope).values("pk"), void=False)
    rows: dict[tuple[int | None, StandardKey], Timeliness] = {}
    by_month = clocks.values(
        "kind", "reference", "target", month=_month_index("referral__received_at")
    ).annotate(**aggregates)
    whole = clocks.values("kind", "reference", "target").annotate(**aggregates)
    grouped_rows: list[tuple[bool, Any]] = [(True, by_month), (False, whole)]
    for month, grouped in grouped_rows:
        for row in grouped.order_by():
            key = (row["kind"], row["reference"], hours_of(row["target"]))
            rows[(row["month"] if month else None, key)] = Timeliness(
                not_appropriate=row["n_not_appropriate"],
                eligible=row["n_eligible"],
                pending=row["n_pending"],
                met=row["n_met"],
                stopped=row["n_stopped"],
                median_hours=row["n_median_hours"],
                p90_hours=row["n_p90_hours"],
            )
    return rows


def hours_of(target: timedelta | None) -> float | None:
    return None if target is None else target.total_seconds() / 3600


@dataclass
class _Definitions:
    """What the clock definitions (every service's) say of each standard:
    the categories it applies to, and whether each referral of them starts
    one clock of it at intake, unconditionally."""

    categories: dict[StandardKey, set[str]] = field(default_factory=dict)
    at_intake: dict[StandardKey, bool] = field(default_factory=dict)


def _definitions() -> _Definitions:
    found = _Definitions()
    definitions = ClockDefinition.objects.values_list(
        "kind", "reference", "target", "categories", "start_event", "applies_when"
    )
    for kind, reference, target, categories, start, applies_when in definitions.distinct():
        key = (kind, reference, hours_of(target))
        found.categories.setdefault(key, set()).update(categories or [])
        always = applies_when == ClockCondition.ALWAYS and start in INTAKE_ANCHORS
        found.at_intake[key] = found.at_intake.get(key, True) and always
    return found


def _standard_categories(
    standards: set[StandardKey], definitions: _Definitions
) -> tuple[dict[StandardKey, str | None], dict[StandardKey, tuple[str, ...]]]:
    """A standard's category: the one its clock definitions apply to, if they
    apply to exactly one (the MRI standards differ by category). And its
    categories, where every referral of them starts one clock of it at intake."""
    seen = {key: definitions.categories.get(key, set()) for key in standards}
    single = {key: next(iter(seen[key])) if len(seen[key]) == 1 else None for key in standards}
    population = {
        key: tuple(sorted(seen[key])) for key in standards if definitions.at_intake.get(key)
    }
    return single, population


INTERVALS: dict[str, tuple[str, str]] = {
    # From the onset of neurological symptoms to the referral (NG234 1.1.12).
    "onset_to_referral": ("neuro_onset_at", "received_at"),
    # From the referral to the coordinator's acknowledgement (NG234 1.1.6).
    "referral_to_acknowledgement": ("received_at", "acknowledged_at"),
}


def _intervals(scope: Scope) -> dict[tuple[int | None, str], Interval]:
    aggregates: dict[str, Any] = {}
    for name, (start, end) in INTERVALS.items():
        hours = HoursBetween(start, end)
        aggregates[f"{name}__count"] = Count(
            "id", filter=Q(**{f"{start}__isnull": False, f"{end}__isnull": False})
        )
        aggregates[f"{name}__median"] = Percentile(hours, 0.5)
        aggregates[f"{name}__p90"] = Percentile(hours, 0.9)
    referrals = referrals_in(scope)
    results: dict[tuple[int | None, str], Interval] = {}
    by_month = referrals.values(month=_month_index("received_at")).annotate(**aggregates).order_by()
    whole = referrals.aggregate(**aggregates)
    for row in [*by_month, {**whole, "month": None}]:
        for name in INTERVALS:
            results[(row["month"], name)] = Interval(
                count=row[f"{name}__count"] or 0,
                median_hours=row[f"{name}__median"],
                p90_hours=row[f"{name}__p90"],
            )
    return results


def raw_figures(scope: Scope, *, now: datetime) -> RawFigures:
    """Every figure of the summary, unsuppressed, in a fixed number of queries."""
    definitions = _definitions()
    if connection.vendor == "postgresql":
        # One statement on PostgreSQL (GROUPING SETS, percentile_cont).
        from audit.selectors.figures_postgres import raw_figures_postgres

        figures = raw_figures_postgres(scope, now=now)
    else:
        figures = RawFigures(
            counts=_counts(scope),
            timeliness=_timeliness(scope, now, definitions.categories),
            intervals=_intervals(scope),
        )
    figures.standard_category, figures.standard_population = _standard_categories(
        {key for _, key in figures.timeliness}, definitions
    )
    return figures
