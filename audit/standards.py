"""What each audit figure means, in words shown beside it (pure: no Django).

Timeliness rows follow NICE QS56's definitions (2023): each states its
numerator and denominator; cases recorded "not appropriate" (with a reason)
leave the denominator and are counted beside it. Measured clocks have no
NG234 time standard: only the time taken is reported.
"""

from dataclasses import dataclass

from pathways.codes import ClockKind
from referrals.codes import Category


@dataclass(frozen=True)
class Standard:
    title: str
    numerator: str
    denominator: str
    source: str


_NOT_APPROPRIATE = ", leaving out those recorded as not appropriate (counted beside it)"

_STANDARDS: dict[tuple[str, str | None], Standard] = {
    (ClockKind.MRI, Category.SUSPECTED_MSCC): Standard(
        "MRI within 24 hours of suspected MSCC",
        "People who had an MRI of the whole spine within 24 hours of the suspected diagnosis.",
        "Adults with suspected MSCC (neurological symptoms or signs) whose MRI was done or is "
        "overdue" + _NOT_APPROPRIATE + ".",
        "NG234 1.5.2; QS56 statement 3",
    ),
    (ClockKind.MRI, Category.SUSPECTED_SPINAL_METASTASES): Standard(
        "MRI within 1 week of suspected spinal metastases",
        "People who had an MRI of the whole spine within 1 week of the suspected diagnosis.",
        "Adults with spinal pain suggesting spinal metastases and no neurological symptoms or "
        "signs, whose MRI was done or is overdue" + _NOT_APPROPRIATE + ".",
        "NG234 1.5.3; QS56 statement 2",
    ),
    (ClockKind.RADIOTHERAPY, Category.SUSPECTED_MSCC): Standard(
        "Radiotherapy within 24 hours of the decision to treat",
        "People who started radiotherapy within 24 hours of the decision to treat.",
        "Adults with MSCC not suitable for spinal surgery for whom radiotherapy was decided, "
        "whose first fraction was given or is overdue" + _NOT_APPROPRIATE + ".",
        "NG234 1.10.4, 1.1.21; QS56 statement 6",
    ),
    (ClockKind.STABILITY_ADVICE, None): Standard(
        "Spinal stability advice within 24 hours of immobilisation",
        "People immobilised who had senior expert advice on spinal stability within 24 hours.",
        "People with suspected MSCC or spinal metastases who were immobilised, whose advice was "
        "given or is overdue" + _NOT_APPROPRIATE + ".",
        "NG234 1.4.4",
    ),
    (ClockKind.ADVICE, Category.SUSPECTED_SPINAL_METASTASES): Standard(
        "Advice to the referrer within 24 hours",
        "Referrals of suspected spinal metastases where the MSCC coordinator gave the referrer "
        "advice within 24 hours.",
        "Referrals of suspected spinal metastases whose advice was given or is overdue"
        + _NOT_APPROPRIATE
        + ".",
        "NG234 1.3.3",
    ),
    (ClockKind.ACKNOWLEDGEMENT, None): Standard(
        "Referral acknowledged by the MSCC coordinator",
        "Referrals the coordinator acknowledged within the service's target.",
        "Referrals acknowledged or overdue" + _NOT_APPROPRIATE + ".",
        "Local standard (NG234 1.1.6)",
    ),
}


def standard_for(
    *, clock: str, category: str | None, target_hours: float | None, reference: str
) -> Standard:
    """The words for a timeliness row: QS56's where it has them; plain words
    for a measured clock or a service's own standard."""
    if target_hours is None:
        label = ClockKind(clock).label
        return Standard(
            f"{label}: time taken (no NG234 time standard)",
            "None: NG234 sets no time for this, so only the time taken is reported.",
            "Clocks of this kind that stopped" + _NOT_APPROPRIATE + ".",
            reference,
        )
    known = _STANDARDS.get((clock, category)) or _STANDARDS.get((clock, None))
    if known is not None:
        return known
    return Standard(
        f"{ClockKind(clock).label} within {target_hours:g} hours",
        f"Clocks stopped within {target_hours:g} hours.",
        "Clocks of this standard that stopped or are overdue" + _NOT_APPROPRIATE + ".",
        reference,
    )
