"""Clocks after triage, as NG234 says (docs/clinical-rules.md, section 4), on the pure
derivation: what MSCC ruled out, spinal metastases ruled out and MSCC
confirmed do to the category and the clocks; the 24-hour radiotherapy clock
for MSCC not suitable for surgery only; measured clocks (postoperative
radiotherapy 1.10.8, radiotherapy without MSCC 1.10.2, dexamethasone 1.8.1,
surgery 1.11.3)."""

from datetime import UTC, datetime, timedelta

from pathways import clock_derivation as derivation
from pathways import clock_rules
from pathways.codes import ClockStatus
from pathways.defaults import NG234_DEFAULT_CLOCKS

RECEIVED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SUSPECTED = RECEIVED - timedelta(hours=2)
MSCC = "suspected_mscc"
SSM = "suspected_spinal_metastases"
DEFINITIONS = tuple(
    derivation.Definition(
        id=n,
        kind=d.kind.value,
        categories=frozenset(d.categories),
        start_event=str(d.start_event),
        stop_event=str(d.stop_event),
        target=d.target,
        reference=d.reference,
        applies_when=d.applies_when.value,
    )
    for n, d in enumerate(NG234_DEFAULT_CLOCKS)
)


def at(hours: float) -> datetime:
    return RECEIVED + timedelta(hours=hours)


def inputs(category: str, *events: tuple[str, float], **extra: object) -> derivation.Inputs:
    values: dict[str, object] = {
        "definitions": DEFINITIONS,
        "received_at": RECEIVED,
        "suspected_at": SUSPECTED,
        "triage_category": category,
        "category": category,
        "imaging_findings": "none",
        "events": tuple(
            derivation.Event(f"e{n}", kind, at(hours)) for n, (kind, hours) in enumerate(events)
        ),
        "dexamethasone_indicated": category == MSCC,
    }
    return derivation.Inputs(**{**values, **extra})  # type: ignore[arg-type]


def clocks(data: derivation.Inputs) -> list[tuple[str, str, datetime, datetime | None, str]]:
    return sorted(
        (c.kind, c.status.value, c.started_at, c.due_at, c.stop_reason)
        for c in derivation.derive(data)
    )


def of(data: derivation.Inputs, kind: str) -> list[derivation.DerivedClock]:
    return sorted(
        (c for c in derivation.derive(data) if c.kind == kind), key=lambda c: c.started_at
    )


# --- MSCC ruled out, spinal metastases ruled out, MSCC confirmed -------------


def test_mscc_ruled_out_on_suspected_mscc_starts_the_spinal_metastases_standards():
    data = inputs(MSCC, ("mscc_ruled_out", 3))
    assert derivation.category_now(data)[0] == SSM
    assert "MSCC ruled out" in derivation.category_now(data)[1]
    day, week = of(data, "mri")
    # The unmet 24-hour MRI is cancelled where MSCC was ruled out...
    assert (day.status, day.stopped_at, day.due_at) == (
        ClockStatus.CANCELLED,
        at(3),
        SUSPECTED + timedelta(hours=24),
    )
    assert day.stop_reason == "No longer applies: MSCC ruled out."
    # ...and the 1-week MRI (1.5.3) runs from suspicion, not from the exclusion.
    assert (week.status, week.started_at, week.due_at) == (
        ClockStatus.RUNNING,
        SUSPECTED,
        SUSPECTED + timedelta(days=7),
    )
    # The advice to the referrer (1.3.3) is not started after the fact.
    assert of(data, "advice") == []
    # Acknowledging is one act: its clock keeps its 30 minutes, one row.
    [ack] = of(data, "acknowledgement")
    assert ack.due_at == RECEIVED + timedelta(minutes=30)
    # Dexamethasone stays on the record (1.8.2 waits for both to be ruled out).
    assert [c.status for c in of(data, "dexamethasone")] == [ClockStatus.RUNNING]


def test_an_mri_that_stands_is_not_asked_for_again_when_mscc_is_ruled_out():
    data = inputs(MSCC, ("mri_performed", 2), ("mscc_ruled_out", 3))
    [mri] = of(data, "mri")
    assert (mri.status, mri.stopped_at) == (ClockStatus.MET, at(2))


def test_mscc_ruled_out_changes_nothing_on_suspected_spinal_metastases():
    plain = inputs(SSM, ("immobilisation_started", 1))
    ruled_out = inputs(SSM, ("immobilisation_started", 1), ("mscc_ruled_out", 3))
    assert derivation.category_now(ruled_out) == (SSM, "")
    assert clocks(ruled_out) == clocks(plain)
    assert {c.kind for c in derivation.derive(ruled_out) if c.status == "running"} == {
        "acknowledgement",
        "advice",
        "mri",
        "stability_advice",
    }


def test_spinal_metastases_ruled_out_ends_every_clock_but_acknowledgement():
    data = inputs(SSM, ("immobilisation_started", 1), ("spinal_metastases_ruled_out", 3))
    ended = {c.kind: c for c in derivation.derive(data) if c.kind != "acknowledgement"}
    assert set(ended) == {"advice", "mri", "stability_advice"}
    for clock in ended.values():
        assert (clock.status, clock.stopped_at) == (ClockStatus.CANCELLED, at(3))
        assert clock.stop_reason == "No longer applies: spinal metastases and MSCC ruled out."
    [ack] = of(data, "acknowledgement")
    assert ack.status == ClockStatus.RUNNING
    # Nothing starts after it.
    later = inputs(SSM, ("spinal_metastases_ruled_out", 3), ("rt_decision", 4))
    assert of(later, "radiotherapy") == []


def test_mscc_confirmed_makes_the_referral_an_emergency_from_suspicion():
    data = inputs(SSM, ("mscc_confirmed", 5))
    assert derivation.category_now(data)[0] == MSCC
    week, day = sorted(of(data, "mri"), key=lambda c: c.due_at or RECEIVED)[::-1]
    assert (week.status, week.stop_reason) == (
        ClockStatus.CANCELLED,
        "No longer applies: MSCC confirmed.",
    )
    # The 24-hour MRI runs from suspicion: confirmation buys no time.
    assert (day.status, day.started_at, day.due_at) == (
        ClockStatus.RUNNING,
        SUSPECTED,
        SUSPECTED + timedelta(hours=24),
    )
    [advice] = of(data, "advice")
    assert advice.status == ClockStatus.CANCELLED


def test_between_confirmed_and_ruled_out_the_later_occurred_at_wins_whatever_the_order():
    confirmed_last = [("mscc_confirmed", 4), ("mscc_ruled_out", 2)]  # recorded in this order
    ruled_out_last = [("mscc_ruled_out", 4), ("mscc_confirmed", 2)]
    assert derivation.category_now(inputs(MSCC, *confirmed_last))[0] == MSCC
    assert derivation.category_now(inputs(MSCC, *ruled_out_last))[0] == SSM
    assert derivation.category_now(inputs(SSM, *confirmed_last))[0] == MSCC


def test_a_later_confirmation_supersedes_spinal_metastases_ruled_out():
    data = inputs(MSCC, ("spinal_metastases_ruled_out", 2), ("mscc_confirmed", 4))
    assert [c.status for c in of(data, "mri")] == [ClockStatus.RUNNING]


def test_events_after_a_coordinators_override_still_move_the_category():
    override = derivation.Override(at(1), "oncology_assessment", "Category changed: x")
    data = inputs(MSCC, ("mscc_confirmed", 2), overrides=(override,))
    assert derivation.category_now(data)[0] == MSCC
    before = inputs(MSCC, ("mscc_confirmed", 0.5), overrides=(override,))
    assert derivation.category_now(before) == ("oncology_assessment", "Category changed: x")


# --- radiotherapy: 24 hours for MSCC not suitable for surgery only ------------


def test_radiotherapy_for_mscc_without_surgery_is_the_24_hour_standard():
    [rt] = of(inputs(MSCC, ("rt_decision", 2)), "radiotherapy")
    assert (rt.status, rt.due_at) == (ClockStatus.RUNNING, at(26))
    assert "1.10.4" in rt.definition.reference


def test_radiotherapy_after_a_decision_to_operate_is_measured():
    data = inputs(MSCC, ("surgery_decision", 1), ("surgery_performed", 3), ("rt_decision", 30))
    [rt] = of(data, "radiotherapy")
    assert (rt.status, rt.due_at, rt.definition.target) == (ClockStatus.RUNNING, None, None)
    assert "1.10.8" in rt.definition.reference
    # Never breached, however long it runs; met when delivered, never late.
    assert clock_rules.status_at(rt.status, rt.due_at, at(24 * 60)) == ClockStatus.RUNNING
    delivered = inputs(
        MSCC,
        ("surgery_decision", 1),
        ("surgery_performed", 3),
        ("rt_decision", 30),
        ("rt_delivered", 24 * 20),
    )
    [rt] = of(delivered, "radiotherapy")
    assert (rt.status, rt.stopped_at) == (ClockStatus.MET, at(24 * 20))


def test_radiotherapy_for_spinal_metastases_without_mscc_is_measured():
    [rt] = of(inputs(SSM, ("rt_decision", 2)), "radiotherapy")
    assert (rt.due_at, rt.definition.target) == (None, None)
    assert "1.10.2" in rt.definition.reference


def test_a_withdrawn_surgery_decision_restores_the_24_hour_standard():
    """The caller leaves a withdrawn event out: what remains is the plain
    radiotherapy decision."""
    [rt] = of(inputs(MSCC, ("rt_decision", 2)), "radiotherapy")
    [measured] = of(inputs(MSCC, ("surgery_decision", 1), ("rt_decision", 2)), "radiotherapy")
    assert rt.due_at == at(26) and measured.due_at is None


# --- dexamethasone and surgery: measured --------------------------------------


def test_dexamethasone_is_measured_from_suspicion_where_it_is_indicated():
    [dex] = of(inputs(MSCC, ("dexamethasone_given", 1)), "dexamethasone")
    assert (dex.started_at, dex.due_at, dex.status, dex.stopped_at) == (
        SUSPECTED,
        None,
        ClockStatus.MET,
        at(1),
    )
    not_indicated = inputs(SSM, dexamethasone_indicated=False)
    assert of(not_indicated, "dexamethasone") == []
    haematological = inputs(SSM, dexamethasone_indicated=True)
    assert [c.status for c in of(haematological, "dexamethasone")] == [ClockStatus.RUNNING]


def test_surgery_is_measured_from_the_onset_of_neurological_symptoms():
    onset = RECEIVED - timedelta(hours=20)
    [surgery] = of(
        inputs(MSCC, ("surgery_decision", 4), ("surgery_performed", 10), neuro_onset_at=onset),
        "surgery",
    )
    assert (surgery.started_at, surgery.due_at, surgery.status, surgery.stopped_at) == (
        onset,
        None,
        ClockStatus.MET,
        at(10),
    )
    # No onset recorded: from the decision.
    [surgery] = of(inputs(MSCC, ("surgery_decision", 4)), "surgery")
    assert surgery.started_at == at(4)
