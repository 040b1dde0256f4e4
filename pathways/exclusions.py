"""What the exclusion and confirmation events mean together (docs/clinical-rules.md, section 4):
pure, no Django.

- ``mscc_ruled_out`` excludes MSCC only: spinal metastases may still be there.
- ``spinal_metastases_ruled_out`` excludes both; only then does NG234 1.8.2
  (stop dexamethasone given before imaging) apply.
- ``mscc_confirmed`` makes the referral an emergency again.

Between a confirmation and an exclusion the later ``occurred_at`` wins: the
events are judged by when they happened, not when they were recorded.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from pathways.codes import EventKind


class _Event(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def occurred_at(self) -> datetime: ...


def _latest(events: Iterable[_Event], *kinds: str) -> datetime | None:
    return max((e.occurred_at for e in events if e.kind in kinds), default=None)


def spinal_metastases_excluded(events: Iterable[_Event]) -> bool:
    """Spinal metastases and MSCC are both ruled out, by a standing
    ``spinal_metastases_ruled_out`` that no later confirmation of MSCC
    supersedes. ``events``: the standing events (withdrawn ones left out)."""
    events = list(events)
    excluded = _latest(events, EventKind.SPINAL_METASTASES_RULED_OUT)
    confirmed = _latest(events, EventKind.MSCC_CONFIRMED)
    return excluded is not None and (confirmed is None or confirmed < excluded)


def exclusion_at(events: Iterable[_Event]) -> datetime | None:
    """When spinal metastases and MSCC were both ruled out, if they stand so."""
    events = list(events)
    if not spinal_metastases_excluded(events):
        return None
    confirmed = _latest(events, EventKind.MSCC_CONFIRMED)
    return min(
        e.occurred_at
        for e in events
        if e.kind == EventKind.SPINAL_METASTASES_RULED_OUT
        and (confirmed is None or e.occurred_at > confirmed)
    )
