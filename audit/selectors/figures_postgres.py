"""The audit's raw figures on PostgreSQL: every count, median and 90th
percentile of a summary in one statement, read in one pass of each table.

The embedded SQLite default computes the same figures with the portable
queries of ``audit/selectors/figures.py``; the tests run both against the
same independent computation (``tests/audit/test_summary_oracle.py``).

How the statement keeps the work to one pass:

* the scope's referrals are read once, with the patient and the postcode's
  decile (hash joins), into a MATERIALIZED CTE that every part reads;
* the walking and death events are read once (kind filter, withdrawn ones
  anti-joined), joined to the scope and aggregated per referral: the latest
  walking answer is the greatest (occurred, recorded, answer) array, so no
  sort is needed;
* every breakdown's counts by month come from one GROUPING SETS aggregate
  (the whole period is their sum, added up in Python);
* a clock's standard (kind, reference, target) becomes a small integer before
  the sort its percentiles need, so the sorted rows stay narrow; cancelled
  clocks not marked not appropriate count nowhere (but as missed, when they
  ended once due) and are dropped first;
* timeliness and intervals are GROUPING SETS of (month) and the whole period,
  since a median cannot be added up.
"""

from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from audit.selectors.figures import (
    DIMENSIONS,
    MORTALITY_WINDOW,
    NO_PRIMARY,
    UNKNOWN_DECILE,
    Interval,
    RawFigures,
    Scope,
    Timeliness,
    age_band_sql,
    hours_of,
)

# GROUPING(...) of the ten dimensions sets a bit for each left out of a row's
# set (the first dimension is the highest bit): all set is the month's total.
_EVERYTHING = (1 << len(DIMENSIONS)) - 1
_SET_DIMENSION = {_EVERYTHING: "total"} | {
    _EVERYTHING ^ (1 << (len(DIMENSIONS) - 1 - i)): name for i, name in enumerate(DIMENSIONS)
}

_AGE_BAND = age_band_sql("s.age")

STATEMENT = f"""
WITH scope AS MATERIALIZED (
    SELECT r.id, r.received_at, r.neuro_onset_at, r.acknowledged_at, r.category,
        r.primary_tumour, r.ambulatory, r.referring_organisation_id,
        (extract(year FROM r.received_at AT TIME ZONE %(zone)s) * 12
         + extract(month FROM r.received_at AT TIME ZONE %(zone)s) - 1)::integer AS month,
        date_part('year', age((r.received_at AT TIME ZONE %(zone)s)::date,
                              p.date_of_birth))::integer AS age,
        p.sex, coalesce(p.imd_decile, pd.imd_decile) AS decile
    FROM referrals_referral r
    JOIN referrals_service sv ON sv.id = r.service_id
    JOIN referrals_patient p ON p.id = r.patient_id
    LEFT JOIN audit_postcodedeprivation pd ON pd.postcode = p.postcode
    WHERE sv.alliance_id = %(alliance)s
      AND (%(service)s::bigint IS NULL OR r.service_id = %(service)s::bigint)
      AND r.received_at >= %(start)s AND r.received_at < %(end)s
      AND r.duplicate_of_id IS NULL
),
outcomes AS (
    SELECT e.referral_id,
        -- The latest standing assessment: the greatest (occurred, recorded) wins.
        (max(ARRAY[extract(epoch FROM e.occurred_at), extract(epoch FROM e.recorded_at),
                   e.ambulatory::integer])
            FILTER (WHERE e.kind = 'ambulatory_assessed'))[3] AS walking_after,
        bool_or(e.kind = 'died'
                AND e.occurred_at < s.received_at + interval '{MORTALITY_WINDOW.days} days')
            AS died_30
    FROM pathways_clinicalevent e
    JOIN scope s ON s.id = e.referral_id
    WHERE e.kind IN ('ambulatory_assessed', 'died')
      AND NOT EXISTS (SELECT FROM pathways_clinicalevent x WHERE x.corrects_id = e.id)
    GROUP BY e.referral_id
),
counts AS (
    SELECT month,
        GROUPING({", ".join(DIMENSIONS)}) AS set_id,
        coalesce({", ".join(DIMENSIONS)}, '') AS code,
        count(*) AS n
    FROM (
        SELECT s.month, s.category,
            CASE WHEN s.primary_tumour = '' THEN '{NO_PRIMARY}' ELSE s.primary_tumour END
                AS primary_tumour,
            o.kind AS referring_setting, o.code AS organisation,
            {_AGE_BAND} AS age_band,
            s.sex, coalesce(s.decile::text, '{UNKNOWN_DECILE}') AS imd_decile,
            CASE s.ambulatory WHEN true THEN 'yes' WHEN false THEN 'no'
                              ELSE 'not_recorded' END AS ambulatory_at_presentation,
            CASE w.walking_after WHEN 1 THEN 'yes' WHEN 0 THEN 'no'
                                 ELSE 'not_recorded' END AS ambulatory_after_treatment,
            CASE WHEN w.died_30 THEN 'yes' ELSE 'no' END AS died_within_30_days
        FROM scope s
        JOIN referrals_organisation o ON o.id = s.referring_organisation_id
        LEFT JOIN outcomes w ON w.referral_id = s.id
    ) AS coded
    GROUP BY GROUPING SETS ((month), {", ".join(f"(month, {d})" for d in DIMENSIONS)})
),
standards AS (
    SELECT kind, reference, coalesce(target, interval '-1 second') AS target_key, target,
        categories, row_number() OVER () AS sid
    FROM (
        SELECT d.kind, d.reference, d.target, array_agg(DISTINCT category) AS categories
        FROM pathways_clockdefinition d
        LEFT JOIN LATERAL jsonb_array_elements_text(d.categories) category ON true
        GROUP BY d.kind, d.reference, d.target
    ) d
),
clocks AS (
    SELECT s.month, st.sid, c.not_appropriate, c.status, c.due_at,
        extract(epoch FROM c.stopped_at - c.started_at) / 3600.0 AS hours,
        -- Ended unmet once due (a death, the referral closed), the standard
        -- still the referral's: missed (figures.py, _timeliness).
        (c.status = 'cancelled' AND c.stopped_at >= c.due_at
         AND s.category = ANY(st.categories)) AS missed
    FROM scope s
    JOIN pathways_clock c ON c.referral_id = s.id
    JOIN standards st ON st.kind = c.kind AND st.reference = c.reference
                     AND st.target_key = coalesce(c.target, interval '-1 second')
    WHERE NOT c.void AND (c.status <> 'cancelled' OR c.not_appropriate
                          OR c.stopped_at >= c.due_at)
),
timeliness AS (
    SELECT month, sid,
        count(*) FILTER (WHERE not_appropriate) AS not_appropriate,
        count(*) FILTER (WHERE NOT not_appropriate
                           AND (status IN ('met', 'met_late') OR missed
                                OR (status = 'running' AND due_at <= %(now)s))) AS eligible,
        count(*) FILTER (WHERE NOT not_appropriate AND status = 'running'
                           AND (due_at > %(now)s OR due_at IS NULL)) AS pending,
        count(*) FILTER (WHERE NOT not_appropriate AND status = 'met') AS met,
        count(*) FILTER (WHERE NOT not_appropriate AND status IN ('met', 'met_late')) AS stopped,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY hours)
            FILTER (WHERE NOT not_appropriate AND status IN ('met', 'met_late')) AS median,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY hours)
            FILTER (WHERE NOT not_appropriate AND status IN ('met', 'met_late')) AS p90
    FROM clocks
    GROUP BY GROUPING SETS ((sid, month), (sid))
),
intervals AS (
    SELECT month,
        count(neuro_onset_at) AS onset_n,
        percentile_cont(0.5) WITHIN GROUP (
            ORDER BY extract(epoch FROM received_at - neuro_onset_at) / 3600.0) AS onset_median,
        percentile_cont(0.9) WITHIN GROUP (
            ORDER BY extract(epoch FROM received_at - neuro_onset_at) / 3600.0) AS onset_p90,
        count(acknowledged_at) AS ack_n,
        percentile_cont(0.5) WITHIN GROUP (
            ORDER BY extract(epoch FROM acknowledged_at - received_at) / 3600.0) AS ack_median,
        percentile_cont(0.9) WITHIN GROUP (
            ORDER BY extract(epoch FROM acknowledged_at - received_at) / 3600.0) AS ack_p90
    FROM scope
    GROUP BY GROUPING SETS ((month), ())
)
SELECT 'n', month, set_id::text, code, NULL::interval, n, NULL::bigint, NULL::bigint,
    NULL::bigint, NULL::bigint, NULL::bigint, NULL::double precision, NULL::double precision
FROM counts
UNION ALL
SELECT 't', t.month, st.kind, st.reference, st.target, NULL, t.not_appropriate, t.eligible,
    t.pending, t.met, t.stopped, t.median, t.p90
FROM timeliness t JOIN standards st ON st.sid = t.sid
UNION ALL
SELECT 'i', month, 'onset_to_referral', '', NULL, onset_n, NULL, NULL, NULL, NULL, NULL,
    onset_median, onset_p90
FROM intervals
UNION ALL
SELECT 'i', month, 'referral_to_acknowledgement', '', NULL, ack_n, NULL, NULL, NULL, NULL,
    NULL, ack_median, ack_p90
FROM intervals
"""  # noqa: S608 (only the module's own names and codes are in the text; values are parameters)


def raw_figures_postgres(scope: Scope, *, now: datetime) -> RawFigures:
    """The counts, timeliness and intervals of ``scope`` in one statement."""
    zone = timezone.get_current_timezone()
    params: dict[str, Any] = {
        "zone": timezone.get_current_timezone_name(),
        "alliance": scope.alliance_id,
        "service": scope.service_id,
        "start": scope.first.start(zone),
        "end": scope.last.next().start(zone),
        "now": now,
    }
    figures = RawFigures()
    with connection.cursor() as cursor:
        cursor.execute(STATEMENT, params)
        rows = cursor.fetchall()
    for part, month, name, code, target, n, *counts in rows:
        if part == "n":
            figures.counts[(_SET_DIMENSION[int(name)], month, code)] = n
        elif part == "t":
            not_appropriate, eligible, pending, met, stopped, median, p90 = counts
            figures.timeliness[(month, (name, code, hours_of(target)))] = Timeliness(
                not_appropriate=not_appropriate,
                eligible=eligible,
                pending=pending,
                met=met,
                stopped=stopped,
                median_hours=median,
                p90_hours=p90,
            )
        else:
            median, p90 = counts[-2:]
            figures.intervals[(month, name)] = Interval(
                count=n or 0, median_hours=median, p90_hours=p90
            )
    return figures
