"""What the dashboard makes of a summary (audit/dashboard.py, pure): which
standards get an SPC chart, a withheld figure read as suppressed and a
missing one as a dash, the gaps of an SPC chart said in words. No database:
the summaries here are written out by hand in the API's shape."""

from typing import Any

import pytest

from audit.dashboard import NOTHING, SUPPRESSED, dashboard, hours_words, period_words, shown


def row(clock: str, category: str | None, target: float | None, **figures: Any) -> dict[str, Any]:
    values = {
        "eligible": 10,
        "not_appropriate": 0,
        "pending": 0,
        "met": 9 if target is not None else None,
        "percent_met": 90.0 if target is not None else None,
        "median_hours": 3.0,
        "p90_hours": 5.0,
        "withheld": [],
    }
    values.update(figures)
    return {
        "clock": clock,
        "category": category,
        "reference": f"ref {clock}",
        "target_hours": target,
        "suppressed": bool(values["withheld"]),
        **values,
    }


STANDARDS = (
    ("acknowledgement", None, 0.5),
    ("mri", "suspected_mscc", 24.0),
    ("mri", "suspected_spinal_metastases", 168.0),
    ("stability_advice", None, 24.0),
    ("surgery", None, None),
)


def section(**by_clock: dict[str, Any]) -> dict[str, Any]:
    cell = {"code": "breast", "label": "Breast", "referrals": 10, "rate_per_100000": None}
    return {
        "referrals": {"total": 10, "suspected_mscc": 10, "suppressed": False, "withheld": []},
        "timeliness": [
            row(clock, category, target, **by_clock.get(f"{clock}-{target}", {}))
            for clock, category, target in STANDARDS
        ],
        "incidence": {"category": [dict(cell, suppressed=False, withheld=[])]},
        "outcomes": {},
        "intervals": [],
    }


def summary(*months: dict[str, Any]) -> dict[str, Any]:
    labels = [f"2026-{i + 1:02d}" for i in range(len(months))]
    return {
        "alliance": "A",
        "service": None,
        "from": labels[0],
        "to": labels[-1],
        "generated_at": "2026-06-01T00:00:00+00:00",
        "suppression_threshold": 5,
        "population": None,
        "totals": section(),
        "months": [{"month": label, **m} for label, m in zip(labels, months, strict=True)],
    }


@pytest.mark.parametrize(
    ("hours", "words"),
    [(0.5, "30 minutes"), (1, "1 hour"), (4, "4 hours"), (24, "24 hours"), (168, "7 days")],
)
def test_a_target_in_words(hours: float, words: str) -> None:
    assert hours_words(hours) == words


def test_a_period_in_words() -> None:
    assert period_words("2026-01", "2026-01") == "January 2026"
    assert period_words("2025-11", "2026-02") == "November 2025 to February 2026"


def test_withheld_reads_suppressed_and_missing_reads_a_dash() -> None:
    figures = {"met": None, "percent_met": None, "pending": 0, "withheld": ["met"]}
    assert shown(figures, "met").text == SUPPRESSED
    assert shown(figures, "met").suppressed
    assert shown(figures, "percent_met").text == NOTHING
    assert shown(figures, "pending").text == "0"
    # A row without the withheld list: suppressed and None is withheld.
    assert shown({"count": None, "suppressed": True}, "count").text == SUPPRESSED


def test_the_24_hour_and_mri_standards_have_an_spc_chart_and_no_other() -> None:
    view = dashboard(summary(section(), section()))
    charted = {(s.title, s.spc is not None) for s in view.standards}
    assert charted == {
        ("Referral acknowledged by the MSCC coordinator", False),
        ("MRI within 24 hours of suspected MSCC", True),
        ("MRI within 1 week of suspected spinal metastases", True),
        ("Spinal stability advice within 24 hours of immobilisation", True),
        ("Surgery: time taken (no NG234 time standard)", False),
    }
    surgery = next(s for s in view.standards if s.measured)
    assert surgery.table.headers[1] == "Stopped (counted)"
    assert "Met" not in surgery.table.headers


def test_the_spc_gaps_tell_withheld_months_from_empty_ones() -> None:
    withheld = {"mri-24.0": {"met": None, "percent_met": None, "withheld": ["met", "percent_met"]}}
    empty = {"mri-24.0": {"eligible": 0, "met": 0, "percent_met": None}}
    view = dashboard(summary(section(), section(**withheld), section(**empty), section()))
    mri = next(s for s in view.standards if s.id == "standard-mri-suspected-mscc-24")
    assert mri.spc is not None
    assert mri.spc.gaps[0].startswith("1 month withheld for small numbers")
    assert mri.spc.gaps[1] == "1 month had nobody eligible, so no percentage (a gap)."
    assert [p.withheld for p in mri.spc.chart.points] == [False, True, False, False]
    spc_rows = {r.heading: r.cells[0].text for r in mri.spc.table.rows}
    assert spc_rows == {
        "Jan 2026": "90.0%",
        "Feb 2026": SUPPRESSED,
        "Mar 2026": NOTHING,
        "Apr 2026": "90.0%",
    }


def test_the_assurance_is_judged_against_the_target_given() -> None:
    view = dashboard(summary(section(), section()), spc_target=95)
    spc = next(s.spc for s in view.standards if s.spc is not None)
    assert spc.spc.target == 95
    assert "the target (95.0%)" in spc.spc.assurance_text
    assert any(row.text == "Target 95.0%" for row in spc.chart.legend)


def test_no_target_means_no_assurance_verdict() -> None:
    view = dashboard(summary(section(), section()), spc_target=None)
    mri = next(s for s in view.standards if s.spc is not None)
    assert mri.spc is not None
    assert mri.spc.spc.assurance_text == "No target is set, so there is nothing to assure against."
