"""The NG234 default clocks loaded for every new service (docs/clinical-rules.md).

Plain data: each row says which categories the clock applies to, what starts
and stops it, its target and where the target comes from. When a warning fires
before due is not a clock's: it is the escalation policy's warning steps
(notifications/policy_defaults.py).
"""

from dataclasses import dataclass
from datetime import timedelta

from pathways.codes import ClockAnchor, ClockCondition, ClockKind, EventKind
from referrals.codes import EMERGENCY_CATEGORIES, Category

ALL_CATEGORIES = tuple(c.value for c in Category)
MSCC = (Category.SUSPECTED_MSCC.value,)
# Acknowledged within 30 minutes: the emergencies.
URGENT_ACKNOWLEDGEMENT = tuple(c.value for c in Category if c in EMERGENCY_CATEGORIES)
SPINAL_METS = (Category.SUSPECTED_SPINAL_METASTASES.value,)
MSCC_OR_METS = MSCC + SPINAL_METS


@dataclass(frozen=True)
class DefaultClock:
    kind: ClockKind
    categories: tuple[str, ...]
    start_event: str
    stop_event: str
    # None: measured, no target (docs/clinical-rules.md, section 4).
    target: timedelta | None
    reference: str
    applies_when: ClockCondition = ClockCondition.ALWAYS

    @property
    def ng234_target(self) -> timedelta | None:
        """NG234's own target; None for a local standard (acknowledgement)
        and for a clock NG234 sets no time for (measured)."""
        return None if self.kind == ClockKind.ACKNOWLEDGEMENT else self.target


NG234_DEFAULT_CLOCKS: tuple[DefaultClock, ...] = (
    # Acknowledgement is a local standard; 30 minutes for the emergency.
    DefaultClock(
        ClockKind.ACKNOWLEDGEMENT,
        URGENT_ACKNOWLEDGEMENT,
        ClockAnchor.REFERRAL_RECEIVED,
        EventKind.ACKNOWLEDGED,
        timedelta(minutes=30),
        "Local (NG234 1.1.6, 1.3.2)",
    ),
    DefaultClock(
        ClockKind.ACKNOWLEDGEMENT,
        tuple(c for c in ALL_CATEGORIES if c not in URGENT_ACKNOWLEDGEMENT),
        ClockAnchor.REFERRAL_RECEIVED,
        EventKind.ACKNOWLEDGED,
        timedelta(hours=4),
        "Local (NG234 1.1.6)",
    ),
    DefaultClock(
        ClockKind.ADVICE,
        SPINAL_METS,
        ClockAnchor.REFERRAL_RECEIVED,
        EventKind.ADVICE_GIVEN,
        timedelta(hours=24),
        "NG234 1.3.3",
    ),
    DefaultClock(
        ClockKind.MRI,
        MSCC,
        ClockAnchor.SUSPECTED,
        EventKind.MRI_PERFORMED,
        timedelta(hours=24),
        "NG234 1.5.2; QS56 statement 3",
    ),
    DefaultClock(
        ClockKind.MRI,
        SPINAL_METS,
        ClockAnchor.SUSPECTED,
        EventKind.MRI_PERFORMED,
        timedelta(days=7),
        "NG234 1.5.3; QS56 statement 2",
    ),
    DefaultClock(
        ClockKind.STABILITY_ADVICE,
        MSCC_OR_METS,
        EventKind.IMMOBILISATION_STARTED,
        EventKind.STABILITY_ADVICE_GIVEN,
        timedelta(hours=24),
        "NG234 1.4.4",
    ),
    # 24 hours for MSCC not suitable for spinal surgery only (1.10.4).
    DefaultClock(
        ClockKind.RADIOTHERAPY,
        MSCC,
        EventKind.RT_DECISION,
        EventKind.RT_DELIVERED,
        timedelta(hours=24),
        "NG234 1.10.4, 1.1.21; QS56 statement 6",
        ClockCondition.WITHOUT_SURGERY,
    ),
    # Measured: NG234 sets no time for these.
    DefaultClock(
        ClockKind.RADIOTHERAPY,
        MSCC,
        EventKind.RT_DECISION,
        EventKind.RT_DELIVERED,
        None,
        "NG234 1.10.8 (postoperative; measured)",
        ClockCondition.AFTER_SURGERY,
    ),
    DefaultClock(
        ClockKind.RADIOTHERAPY,
        SPINAL_METS,
        EventKind.RT_DECISION,
        EventKind.RT_DELIVERED,
        None,
        "NG234 1.10.2 (without MSCC; measured)",
    ),
    DefaultClock(
        ClockKind.DEXAMETHASONE,
        MSCC_OR_METS,
        ClockAnchor.SUSPECTED,
        EventKind.DEXAMETHASONE_GIVEN,
        None,
        "NG234 1.8.1, 1.8.5 (measured)",
        ClockCondition.DEXAMETHASONE_INDICATED,
    ),
    # From the onset of neurological symptoms where known (1.11.3).
    DefaultClock(
        ClockKind.SURGERY,
        MSCC_OR_METS,
        EventKind.SURGERY_DECISION,
        EventKind.SURGERY_PERFORMED,
        None,
        "NG234 1.11.3 (measured)",
    ),
)

# Clocks whose start is known at intake (the rest start from clinical events).
INTAKE_ANCHORS = frozenset({ClockAnchor.REFERRAL_RECEIVED.value, ClockAnchor.SUSPECTED.value})
