"""A busy service for the page-by-page checks: open referrals in every
category, clocks overdue, due soon and comfortable, acknowledged and
unacknowledged ones, clinical events, MDT decisions, a closed referral,
escalations with their in-app notifications, a rota with cover now and gaps
later, and a few months of audit history. Made through the services, as
intake, a coordinator and the sweep would make them.

Synthetic data only (tests/factories.py)."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from coordinator.services import referral_mdt_record
from coordinator.services.status import referral_acknowledge, referral_status_change
from notifications.codes import Channel
from notifications.models import Delivery
from notifications.services.delivery import delivery_send
from notifications.services.sweep import sweep
from referrals.models import Referral
from tests.audit.data import audit_referrals
from tests.conftest import hours
from tests.factories import ClinicalEventFactory, ReferrerFactory, ShiftFactory

# Two months of history for the audit pages: one shown, one suppressed.
AUDIT_PLAN = ((13, 2), (3, 0))


@dataclass
class Busy:
    """What was made, by what it shows."""

    open: dict[str, Referral] = field(default_factory=dict)
    closed: Referral | None = None
    history: list[Referral] = field(default_factory=list)


def busy_service(world: Any, make_referral: Any) -> Busy:
    """``world`` (tests/conftest.py) made busy. Needs the ``on_call`` fixture's
    shifts (coordinator and senior on call from yesterday to tomorrow)."""
    now = timezone.now()
    busy = Busy()
    made = busy.open
    ward_doctor = ReferrerFactory(username="referrer-ward-busy", organisation=world.ward)

    # --- Every category, open. --------------------------------------------------------
    # Received 2 hours ago, not acknowledged: the acknowledgement clock overdue.
    made["overdue"] = make_referral(now=now - hours(2), presentation="Legs weak since 6 a.m.")
    # Acknowledged, received 20 hours ago: the MRI clock (24 h) due soon.
    made["due_soon"] = make_referral(now=now - hours(20), pain_features=["progressive"])
    referral_acknowledge(
        referral=made["due_soon"], user=world.coordinator, now=now, at=now - hours(19.5)
    )
    # Received a few minutes ago: every clock comfortable.
    made["comfortable"] = make_referral(now=now - timedelta(minutes=4))
    made["emergency_spinal"] = make_referral(
        now=now - hours(1), cancer_status="none", primary_tumour="", neuro_features=["gait"]
    )
    made["spinal_metastases"] = make_referral(
        now=now - hours(30),
        neuro_features=[],
        pain_features=["mechanical", "severe_unremitting"],
        movement_pain="severe",
        user=world.referrer_same_alliance,
        organisation=world.gp2,
    )
    made["oncology"] = make_referral(
        now=now - hours(3),
        cancer_status="suspected",
        primary_tumour="",
        neuro_features=[],
        pain_features=["nocturnal"],
    )
    made["safety_net"] = make_referral(
        now=now - hours(6),
        neuro_features=[],
        back_pain=True,
        user=ward_doctor,
        organisation=world.ward,
    )
    made["no_action"] = make_referral(now=now - hours(8), neuro_features=[])

    # --- Events and MDT decisions. ------------------------------------------------------
    treated = make_referral(now=now - hours(12))
    made["treated"] = treated
    referral_acknowledge(referral=treated, user=world.coordinator, now=now, at=now - hours(11.5))
    for kind, ago in (("mri_requested", 11), ("mri_performed", 8), ("dexamethasone_given", 7)):
        ClinicalEventFactory(
            referral=treated,
            user=world.coordinator,
            now=now,
            kind=kind,
            occurred_at=now - hours(ago),
        )
    referral_mdt_record(
        referral=treated,
        user=world.senior,
        now=now,
        decided_at=now - hours(2),
        participants="Dr A Oncologist (clinical oncology); coordinator",
        decision="radiotherapy",
        reasons="Radiosensitive primary; not a surgical candidate.",
        care_plan="Single fraction today; steroids on.",
    )
    surgery = make_referral(now=now - hours(10), movement_pain="severe")
    made["surgery"] = surgery
    referral_mdt_record(
        referral=surgery,
        user=world.senior,
        now=now,
        decided_at=now - hours(1),
        participants="MDT",
        decision="surgery",
        reasons="Unstable spine.",
        care_plan="Fixation tomorrow.",
    )

    # --- A closed referral. ----------------------------------------------------------------
    closed = make_referral(now=now - hours(40))
    referral_status_change(
        referral=closed,
        user=world.coordinator,
        now=now,
        status="withdrawn",
        reason="Referred to the wrong service.",
    )
    busy.closed = closed

    # --- Escalations and notifications: one sweep, in-app deliveries sent. ------------------
    sweep(now=now, enqueue=lambda ids: None)
    for delivery in Delivery.objects.filter(channel=Channel.IN_APP):
        delivery_send(delivery_id=delivery.pk, now=now)

    # --- The rota: cover next week for some days only, so gaps show. -------------------------
    start = now + timedelta(days=3)
    for day in (0, 2):
        ShiftFactory(
            service=world.service,
            role="coordinator",
            user=world.coordinator,
            starts_at=start + timedelta(days=day),
            ends_at=start + timedelta(days=day, hours=12),
        )

    # --- Audit history. ----------------------------------------------------------------------
    busy.history = audit_referrals(world, make_referral, AUDIT_PLAN).referrals
    return busy
