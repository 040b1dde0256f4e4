"""The referral's stage, as a pure rule (pathways/stage_rules.py): each stage,
and the orders that could mislead (a later step wins; closed wins all)."""

from datetime import UTC, datetime, timedelta

import pytest

from pathways.codes import ReferralStage as S
from pathways.stage_rules import StageClock, StageEvent, stage_of

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
MRI_RUNNING = StageClock("mri", "running")
MRI_MET = StageClock("mri", "met")


def ev(kind: str, hours: float) -> StageEvent:
    return StageEvent(kind, T0 + timedelta(hours=hours))


def stage(
    *events: StageEvent,
    clocks: tuple[StageClock, ...] = (),
    acknowledged: bool = True,
    closed: bool = False,
) -> S:
    return stage_of(closed=closed, acknowledged=acknowledged, events=events, clocks=clocks)


def test_a_new_referral_awaits_acknowledgement() -> None:
    assert stage(clocks=(MRI_RUNNING,), acknowledged=False) == S.AWAITING_ACKNOWLEDGEMENT


def test_acknowledgement_is_the_next_action_even_after_later_events() -> None:
    # Events recorded before anyone acknowledged: acknowledging is still owed.
    assert stage(ev("rt_decision", 1), acknowledged=False) == S.AWAITING_ACKNOWLEDGEMENT


def test_acknowledged_with_the_mri_clock_running_awaits_mri() -> None:
    assert stage(clocks=(MRI_RUNNING,)) == S.AWAITING_MRI


def test_an_mri_requested_without_a_clock_awaits_mri() -> None:
    assert stage(ev("mri_requested", 1)) == S.AWAITING_MRI


@pytest.mark.parametrize(
    "imaging", ["mri_performed", "mri_reported", "ct_performed", "myelography_performed"]
)
def test_imaging_done_awaits_a_decision(imaging: str) -> None:
    assert stage(ev("mri_requested", 1), ev(imaging, 2), clocks=(MRI_MET,)) == S.AWAITING_DECISION


def test_an_mri_clock_met_at_referral_awaits_a_decision() -> None:
    # A whole-spine MRI at referral already showed the finding: no event.
    assert stage(clocks=(MRI_MET,)) == S.AWAITING_DECISION


def test_no_mri_clock_and_nothing_recorded_awaits_a_decision() -> None:
    assert stage() == S.AWAITING_DECISION


def test_a_radiotherapy_decision_awaits_radiotherapy() -> None:
    assert stage(ev("mri_performed", 1), ev("rt_decision", 2)) == S.AWAITING_RADIOTHERAPY


def test_radiotherapy_decided_then_delivered_is_treated() -> None:
    assert stage(ev("mri_performed", 1), ev("rt_decision", 2), ev("rt_delivered", 5)) == S.TREATED


def test_a_second_radiotherapy_decision_after_delivery_awaits_radiotherapy() -> None:
    events = (ev("rt_decision", 2), ev("rt_delivered", 5), ev("rt_decision", 30))
    assert stage(*events) == S.AWAITING_RADIOTHERAPY


def test_a_surgery_decision_awaits_surgery() -> None:
    assert stage(ev("mri_performed", 1), ev("surgery_decision", 2)) == S.AWAITING_SURGERY


def test_surgery_performed_is_treated() -> None:
    assert stage(ev("surgery_decision", 2), ev("surgery_performed", 8)) == S.TREATED


def test_both_decided_operates_first_then_awaits_radiotherapy() -> None:
    both = (ev("surgery_decision", 2), ev("rt_decision", 2))
    assert stage(*both) == S.AWAITING_SURGERY
    assert stage(*both, ev("surgery_performed", 8)) == S.AWAITING_RADIOTHERAPY
    assert stage(*both, ev("surgery_performed", 8), ev("rt_delivered", 48)) == S.TREATED


def test_a_treatment_decision_wins_over_an_mri_still_running() -> None:
    # Decided on the imaging at referral while the MRI clock still runs.
    assert stage(ev("rt_decision", 1), clocks=(MRI_RUNNING,)) == S.AWAITING_RADIOTHERAPY


def test_mri_reported_then_mscc_ruled_out_awaits_a_decision_not_closed() -> None:
    # Ruling MSCC out closes nothing: the coordinator closes the referral
    # (its status), and only then is the stage closed.
    events = (ev("mri_performed", 1), ev("mri_reported", 2), ev("mscc_ruled_out", 3))
    assert stage(*events, clocks=(MRI_MET,)) == S.AWAITING_DECISION
    assert stage(*events, clocks=(MRI_MET,), closed=True) == S.CLOSED


def test_mscc_ruled_out_before_mri_awaits_the_one_week_mri() -> None:
    clocks = (StageClock("mri", "cancelled"), MRI_RUNNING)
    assert stage(ev("mscc_ruled_out", 1), clocks=clocks) == S.AWAITING_MRI


def test_closed_wins_over_everything() -> None:
    assert stage(ev("rt_decision", 1), clocks=(MRI_RUNNING,), closed=True) == S.CLOSED
    assert stage(acknowledged=False, closed=True) == S.CLOSED


def test_delivered_at_the_same_instant_as_decided_is_treated() -> None:
    assert stage(ev("rt_decision", 2), ev("rt_delivered", 2)) == S.TREATED


def test_every_stage_has_words() -> None:
    assert S.AWAITING_MRI.in_sentence == "awaiting MRI"
    assert {s.value for s in S} == {
        "awaiting_acknowledgement",
        "awaiting_mri",
        "awaiting_decision",
        "awaiting_radiotherapy",
        "awaiting_surgery",
        "treated",
        "closed",
    }
