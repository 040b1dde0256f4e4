"""A referral's stage: where it is in the clinical story, in one word for
the queue (issue 11). Pure: the caller passes the events that stand (those
withdrawn as entered in error left out) and the clocks' stored statuses.

The stage is the furthest step reached that is still to be done, in the
order of NG234's pathway (imaging 1.5, then definitive treatment 1.10 and
1.11), so a later step wins over an earlier one still open:

1. a closed status (closed, closed: not MSCC, redirected, withdrawn, died)
   is ``closed``, whatever else stands;
2. a referral not yet acknowledged is ``awaiting_acknowledgement``: that is
   the coordinator's next action, whatever was recorded before it;
3. a decision to operate with no surgery performed at or after it is
   ``awaiting_surgery`` (before radiotherapy: a decision of both operates
   first, and radiotherapy follows, 1.10.8);
4. a decision to treat with radiotherapy with no first fraction delivered at
   or after it is ``awaiting_radiotherapy``;
5. radiotherapy delivered or surgery performed, with nothing decided since,
   is ``treated``;
6. an MRI clock still running, or an MRI requested and no imaging since, is
   ``awaiting_mri`` (the clock decides: it stops when the MRI, CT or
   myelography is performed, so a report recorded without the MRI leaves
   the referral awaiting MRI, as the clock and its escalations say);
7. otherwise (imaging done, or none required, and nothing decided)
   ``awaiting_decision``: to treat, or to close the referral.

MSCC or spinal metastases ruled out closes nothing by itself: the referral
stays ``awaiting_decision`` (or ``awaiting_mri`` while the one-week MRI clock
of suspected spinal metastases runs) until a coordinator closes it, which is
what moves its status, and with it the stage, to ``closed``.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from pathways.codes import ClockKind, ClockStatus, EventKind, ReferralStage


class StageEvent(NamedTuple):
    kind: str
    occurred_at: datetime


class StageClock(NamedTuple):
    kind: str
    # The stored status: "running" covers a clock past due (breached is derived).
    status: str


# What stops the MRI clock (pathways/clock_rules.py STOPS_ALSO), and its report.
IMAGING_DONE = frozenset(
    {
        EventKind.MRI_PERFORMED,
        EventKind.MRI_REPORTED,
        EventKind.CT_PERFORMED,
        EventKind.MYELOGRAPHY_PERFORMED,
    }
)


def _latest(events: list[StageEvent], kinds: Iterable[str]) -> datetime | None:
    wanted = frozenset(kinds)
    return max((e.occurred_at for e in events if e.kind in wanted), default=None)


def _pending(decided: datetime | None, done: datetime | None) -> bool:
    """Decided, and not done at or after the (latest) decision."""
    return decided is not None and (done is None or done < decided)


def stage_of(
    *,
    closed: bool,
    acknowledged: bool,
    events: Iterable[StageEvent],
    clocks: Iterable[StageClock],
) -> ReferralStage:
    """The referral's stage (the rules in this module's docstring)."""
    if closed:
        return ReferralStage.CLOSED
    if not acknowledged:
        return ReferralStage.AWAITING_ACKNOWLEDGEMENT
    standing = list(events)
    if _pending(
        _latest(standing, [EventKind.SURGERY_DECISION]),
        _latest(standing, [EventKind.SURGERY_PERFORMED]),
    ):
        return ReferralStage.AWAITING_SURGERY
    if _pending(
        _latest(standing, [EventKind.RT_DECISION]), _latest(standing, [EventKind.RT_DELIVERED])
    ):
        return ReferralStage.AWAITING_RADIOTHERAPY
    if _latest(standing, [EventKind.RT_DELIVERED, EventKind.SURGERY_PERFORMED]) is not None:
        return ReferralStage.TREATED
    mri_running = any(c.kind == ClockKind.MRI and c.status == ClockStatus.RUNNING for c in clocks)
    if mri_running or _pending(
        _latest(standing, [EventKind.MRI_REQUESTED]), _latest(standing, IMAGING_DONE)
    ):
        return ReferralStage.AWAITING_MRI
    return ReferralStage.AWAITING_DECISION
