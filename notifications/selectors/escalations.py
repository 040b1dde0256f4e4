"""Reads of escalations and the in-app inbox."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, QuerySet

from notifications.alert_words import clock_state
from notifications.codes import Channel, DeliveryStatus
from notifications.models import Delivery, Escalation
from pathways.codes import ClockKind, ClockStatus
from pathways.models import Clock
from referrals.codes import EMERGENCY_CATEGORIES
from referrals.models import Referral, User


def referral_escalations(referral: Referral) -> list[Escalation]:
    """Every escalation of the referral's clocks with its deliveries: who was
    told what, when (two queries)."""
    return list(
        Escalation.objects.filter(clock__referral=referral)
        .select_related("step", "clock", "acknowledged_by", "superseded_by__step")
        .prefetch_related(
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.select_related("recipient").order_by(
                    "round", "channel", "recipient_key"
                ),
            )
        )
        .order_by("raised_at", "step__position")
    )


def inbox(*, user: User) -> QuerySet[Delivery]:
    """The user's in-app notifications, newest first."""
    return (
        Delivery.objects.filter(recipient=user, channel=Channel.IN_APP, status=DeliveryStatus.SENT)
        .select_related(
            "escalation__clock__referral", "escalation__step", "escalation__acknowledged_by"
        )
        # One sweep sends several at one instant: the id breaks the tie, so
        # paging never repeats or skips one.
        .order_by("-created_at", "-pk")
    )


def inbox_unread_count(*, user: User) -> int:
    return inbox(user=user).filter(read_at__isnull=True).count()


def inbox_latest_emergency_unread(*, user: User) -> str | None:
    """When the user's newest unread notification about an emergency referral
    (suspected MSCC, emergency spinal assessment) was made, in milliseconds
    since the epoch, or None: the badge carries it, so a page can sound the
    optional audible alert when a newer one arrives (and not when an older
    one is read)."""
    created = (
        inbox(user=user)
        .filter(
            read_at__isnull=True, escalation__clock__referral__category__in=EMERGENCY_CATEGORIES
        )
        .values_list("created_at", flat=True)
        .first()
    )
    return str(int(created.timestamp() * 1000)) if created is not None else None


@dataclass
class InboxClock:
    """One clock of a referral in the inbox, with the user's notifications
    about it (newest first) and whether any of its escalations, to anyone,
    still waits for an acknowledgement."""

    clock: Clock
    label: str
    deliveries: list[Delivery] = field(default_factory=list)
    unacknowledged: int = 0
    # The clock's live state in words as of ``now`` ("MRI due in 2 h 59 min"),
    # or what stopped it; None for a clock with no due time.
    state: str = ""
    running: bool = False
    overdue: bool = False
    acknowledged_by: User | None = None
    acknowledged_at: datetime | None = None

    @property
    def escalation(self) -> Escalation:
        """The escalation an acknowledge posts (it covers the whole clock)."""
        first = self.deliveries[0].escalation
        assert first is not None  # noqa: S101  # grouped by clock: each has one
        return first


@dataclass
class InboxReferral:
    referral: Referral
    emergency: bool
    clocks: list[InboxClock] = field(default_factory=list)


@dataclass
class InboxPage:
    referrals: list[InboxReferral]
    notices: list[Delivery]


def inbox_grouped(deliveries: Iterable[Delivery], *, now: datetime) -> InboxPage:
    """A page of the inbox grouped per referral (in the order its newest
    notification came), each referral's clocks under it (newest first), the
    notifications about each clock under that; notices about no clock apart.
    One more query: the clocks' escalations still unacknowledged (those sent,
    not those superseded at catch-up)."""
    referrals: dict[object, InboxReferral] = {}
    clocks: dict[object, InboxClock] = {}
    notices: list[Delivery] = []
    for delivery in deliveries:
        escalation = delivery.escalation
        if escalation is None:
            notices.append(delivery)
            continue
        clock = escalation.clock
        referral = clock.referral
        if referral.pk not in referrals:
            referrals[referral.pk] = InboxReferral(
                referral=referral, emergency=referral.category in EMERGENCY_CATEGORIES
            )
        if clock.pk not in clocks:
            clocks[clock.pk] = InboxClock(clock=clock, label=ClockKind(clock.kind).label)
            referrals[referral.pk].clocks.append(clocks[clock.pk])
        clocks[clock.pk].deliveries.append(delivery)
    # A step superseded at catch-up was never sent: it waits for nobody.
    waiting = dict(
        Escalation.objects.filter(
            clock_id__in=list(clocks), acknowledged_at__isnull=True, superseded_at__isnull=True
        )
        .values("clock_id")
        .annotate(n=Count("pk"))
        .values_list("clock_id", "n")
    )
    for item in clocks.values():
        item.unacknowledged = waiting.get(item.clock.pk, 0)
        _clock_state(item, now)
        if not item.unacknowledged:
            done = max(
                (d.escalation for d in item.deliveries if d.escalation is not None),
                key=lambda e: e.acknowledged_at or now,
            )
            item.acknowledged_by, item.acknowledged_at = done.acknowledged_by, done.acknowledged_at
    return InboxPage(referrals=list(referrals.values()), notices=notices)


def _clock_state(item: InboxClock, now: datetime) -> None:
    clock = item.clock
    if clock.status != ClockStatus.RUNNING:
        item.state = f"{item.label}: {ClockStatus(clock.status).label.lower()}"
        return
    if clock.due_at is None:
        item.state = f"{item.label}: measured, no target"
        return
    item.running = True
    item.overdue = clock.due_at <= now
    item.state = clock_state(item.label, clock.due_at, now)
