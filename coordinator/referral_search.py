"""Finding referrals: the "All referrals" (or "My referrals") list searched
by NHS number, name or reference, filtered by category, status and how near
its clocks are to breach, and sorted.

Scope comes from ``referrals.selectors.referrals_visible_to`` (through
``coordinator.selectors.referral_list``); nothing here widens it, so another
service's or organisation's referral is never found, whatever is typed.

A name is searched as this user is shown it: the service's coordinators and
senior clinicians the record held for the NHS number, anyone else the
details as their referral sent them (``referrals.selectors.patient_as_sent``):
searching the held name would let a referrer learn what another organisation
recorded (issue 8, hazard H18). So every match shows, on the row, the name
that was typed.

Overdue and due soon are judged at ``now``, passed in, by the same rule the
queue and the referral page use (``pathways.clock_rules.urgency_at`` with the
referral's frozen escalation policy's latest warning fraction), so the filter
and the words on the row cannot disagree.

How it scales (a page, or an export, costs a fixed number of queries,
whatever the number of rows):

* The text search is one indexed equality for an NHS number (the patient's
  unique number) or a reference (unique), and a case-insensitive substring
  match for a name, which reads the scope's referrals (a service's, found by
  the ``service``/``referring_organisation`` indexes): thousands a year per
  service, a few milliseconds. A trigram index would be the next step past
  hundreds of thousands of referrals per service.
* "Overdue" is one ``EXISTS`` on a running clock past due, in SQL.
* "Due soon" needs each clock's own target and its policy's fraction, so it
  reads the running timed clocks of the referrals that match the other
  criteria (one query, a few per open referral), and the policies' fractions
  (one query), and decides in Python with ``urgency_at`` itself; the
  referrals found are then one ``IN`` list. Its cost grows with the open
  referrals in scope (the queue's size), not with the history.
* The most urgent clock of each row comes from the clocks the list already
  prefetches, plus one query for the policies' fractions.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
)

from coordinator.selectors import referral_list
from core.labels import LabelledEnum
from notifications.selectors.policies import due_soon_fractions
from pathways import clock_rules
from pathways.codes import ClockKind, ClockStatus, ClockUrgency
from pathways.models import Clock
from referrals.models import Referral, User
from referrals.selectors import identity_held_visible_to


class ListSort(LabelledEnum):
    """The orders the list may be read in."""

    NEWEST = "newest", "Newest first"
    URGENT = "urgent", "Most urgent first (as the queue)"
    OLDEST = "oldest", "Oldest first"


class ClockFilter(LabelledEnum):
    """Referrals by how near their clocks are to breach, judged at ``now``."""

    OVERDUE = "overdue", "Overdue"
    DUE_SOON = "due_soon", "Due soon, none overdue"


# A reference as issued (referrals.models.referral.new_reference): MSCC- and
# eight of an alphabet without 0/O or 1/I.
REFERENCE = re.compile(r"(?:MSCC-?)?([2-9A-HJ-NP-Z]{8})", re.IGNORECASE)


@dataclass(frozen=True)
class ReferralSearch:
    """What to find: an ``nhs_number`` (10 digits, already checked), or a
    ``reference`` (as issued, upper case) and/or ``name_terms`` (each must
    appear in the given or family name; both when eight letters typed could
    be either, and either then matches)."""

    nhs_number: str = ""
    reference: str = ""
    name_terms: tuple[str, ...] = ()
    category: str = ""
    status: str = ""
    clocks: str = ""
    open_only: bool = False
    sort: ListSort = ListSort.NEWEST

    @property
    def by_text(self) -> bool:
        return bool(self.nhs_number or self.reference or self.name_terms)

    @property
    def narrowed(self) -> bool:
        """Whether anything but the order is asked for."""
        return bool(self.by_text or self.category or self.status or self.clocks or self.open_only)


def _running_timed_clocks() -> QuerySet[Clock]:
    # The stored status stays ``running`` past due (breached is derived from
    # now: pathways.clock_rules.status_at); a measured clock has no due time.
    return Clock.objects.filter(status=ClockStatus.RUNNING, due_at__isnull=False)


def _name_matches(user: User, terms: tuple[str, ...]) -> Q:
    def every_term(given: str, family: str) -> Q:
        q = Q()
        for term in terms:
            q &= Q(**{f"{given}__icontains": term}) | Q(**{f"{family}__icontains": term})
        return q

    held = every_term("patient__given_name", "patient__family_name")
    if identity_held_visible_to(user):
        return held
    # As patient_as_sent shows it: the details sent where they were kept;
    # before they were kept, the held name only where no mismatch was flagged.
    sent = every_term("sent_given_name", "sent_family_name")
    return (Q(sent_date_of_birth__isnull=False) & sent) | (
        Q(sent_date_of_birth__isnull=True, identity_check_required=False) & held
    )


def due_soon_referral_ids(referrals: QuerySet[Referral], now: datetime) -> set[UUID]:
    """Of ``referrals``, those with a running timed clock that reads due soon
    at ``now`` (whether or not another is overdue). Two queries."""
    rows = list(
        _running_timed_clocks()
        .filter(referral__in=referrals.order_by().values("pk"), due_at__gt=now)
        .values_list("referral_id", "started_at", "due_at", "referral__escalation_policy_id")
    )
    fractions = due_soon_fractions({policy for *_, policy in rows if policy is not None})
    return {
        referral_id
        for referral_id, started_at, due_at, policy in rows
        if clock_rules.urgency_at(
            ClockStatus.RUNNING,
            started_at,
            due_at,
            now,
            fractions.get(policy, clock_rules.DUE_SOON_FRACTION),
        )
        == ClockUrgency.DUE_SOON
    }


def _queue_order(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Most urgent first, as the queue orders: category, then the earliest
    due running clock, then the oldest. Read from the order stored on each
    referral by its one writer (coordinator.services.clocks), as the queue
    reads it, never computed a second way."""
    return qs.order_by("queue_rank", F("queue_due_at").asc(nulls_last=True), "received_at")


def referral_search(*, user: User, search: ReferralSearch, now: datetime) -> QuerySet[Referral]:
    """The referrals ``user`` may see that match ``search`` at ``now``, with
    what the list shows of each (patient, clocks), in the order asked for."""
    filters: dict[str, Any] = {"category": search.category, "status": search.status}
    if search.open_only:
        filters["open"] = True
    qs = referral_list(user=user, filters=filters)
    if search.nhs_number:
        qs = qs.filter(patient__nhs_number=search.nhs_number)
    elif search.reference or search.name_terms:
        text = Q(pk__in=[])
        if search.reference:
            text |= Q(reference=search.reference)
        if search.name_terms:
            text |= _name_matches(user, search.name_terms)
        qs = qs.filter(text)
    overdue = Exists(_running_timed_clocks().filter(referral=OuterRef("pk"), due_at__lte=now))
    if search.clocks == ClockFilter.OVERDUE:
        qs = qs.filter(overdue)
    elif search.clocks == ClockFilter.DUE_SOON:
        qs = qs.filter(pk__in=due_soon_referral_ids(qs, now)).exclude(overdue)
    if search.sort == ListSort.URGENT:
        return _queue_order(qs)
    if search.sort == ListSort.OLDEST:
        return qs.order_by("received_at", "reference")
    return qs.order_by("-received_at", "reference")


@dataclass(frozen=True)
class ClockAtGlance:
    """A referral's most urgent running clock at ``now``: overdue before due
    soon before on track, then the earliest due."""

    kind: ClockKind
    urgency: ClockUrgency
    due_at: datetime
    time_left: str

    @property
    def words(self) -> str:
        """e.g. "MRI: OVERDUE by 1 h 05 min", "Acknowledgement: 12 min left"."""
        return f"{self.kind.label}: {self.time_left}"


_SEVERITY = {ClockUrgency.OVERDUE: 0, ClockUrgency.DUE_SOON: 1, ClockUrgency.COMFORTABLE: 2}


def most_urgent_clocks(referrals: Iterable[Referral], now: datetime) -> dict[UUID, ClockAtGlance]:
    """Each referral's most urgent running timed clock at ``now`` (absent if
    it has none), from the clocks prefetched with the list: one query, for
    the escalation policies' due-soon fractions."""
    referrals = list(referrals)
    fractions = due_soon_fractions(
        {r.escalation_policy_id for r in referrals if r.escalation_policy_id is not None}
    )
    shown: dict[UUID, ClockAtGlance] = {}
    for referral in referrals:
        fraction = fractions.get(referral.escalation_policy_id or -1, clock_rules.DUE_SOON_FRACTION)
        best: tuple[int, datetime, Clock, ClockUrgency] | None = None
        for clock in referral.clocks.all():
            urgency = clock_rules.urgency_at(
                clock.status, clock.started_at, clock.due_at, now, fraction
            )
            if urgency is None or clock.due_at is None:
                continue
            key = (_SEVERITY[urgency], clock.due_at, clock, urgency)
            if best is None or key[:2] < best[:2]:
                best = key
        if best is not None:
            _, due, clock, urgency = best
            shown[referral.pk] = ClockAtGlance(
                kind=ClockKind(clock.kind),
                urgency=urgency,
                due_at=due,
                time_left=clock_rules.describe_remaining(clock_rules.remaining(due, now)),
            )
    return shown
