"""The queue's stored order (issue 12): ``queue_rank`` and ``queue_due_at``,
written by ``referral_clocks_follow`` in every workflow step's transaction,
always equal the order computed from scratch (``queue_computed_for``: the
category's rank and the earliest due running clock, from the clock rows).
A stale stored order could show an emergency below a routine referral.

Runs on whatever database the suite runs on: SQLite by default, PostgreSQL
with ``DATABASE_URL`` (CI runs both)."""

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Min
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.selectors import queue_computed_for, queue_for
from coordinator.services import (
    referral_acknowledge,
    referral_event_add,
    referral_event_withdraw,
    referral_link_duplicate,
    referral_override_category,
    referral_status_change,
    referral_suspected_at_correct,
)
from core.errors import DomainError
from pathways.codes import ClockStatus
from pathways.models import ClinicalEvent, Clock
from referrals.codes import CATEGORY_URGENCY, Category, ReferralStatus
from referrals.models import Referral
from tests.factories import patient_details

EVENT_KINDS = [
    "mri_performed",
    "mscc_confirmed",
    "mscc_ruled_out",
    "spinal_metastases_ruled_out",
    "immobilisation_started",
    "stability_advice_given",
    "dexamethasone_given",
    "rt_decision",
    "rt_delivered",
    "surgery_decision",
    "advice_given",
    "died",
]

# Each step: (which referral, what, a number that picks the step's details).
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),
        st.sampled_from(
            [
                "acknowledge",
                "event",
                "withdraw",
                "override",
                "suspected_at",
                "close",
                "reopen",
                "link",
            ]
        ),
        st.integers(min_value=0, max_value=10_000),
    ),
    min_size=1,
    max_size=12,
)


def _make_referrals(make_referral: Any, now: Any) -> list[Referral]:
    """Four open referrals of three categories, each received at its own
    minute; the first two are the same person (so they can be linked)."""
    same = patient_details()
    return [
        make_referral(now=now - timedelta(hours=30), patient=same),
        make_referral(now=now - timedelta(hours=29, minutes=1), patient=same),
        make_referral(
            neuro_features=[], pain_features=["mechanical"], now=now - timedelta(hours=28)
        ),
        make_referral(
            cancer_status="current_or_past",
            neuro_features=[],
            back_pain=True,
            now=now - timedelta(hours=27),
        ),
    ]


def _step(referrals: list[Referral], user: Any, now: Any, which: int, what: str, n: int) -> None:
    referral = Referral.objects.get(pk=referrals[which].pk)
    at = max(referral.received_at, now - timedelta(minutes=n % (26 * 60)))
    if what == "acknowledge":
        referral_acknowledge(referral=referral, user=user, now=now, at=at)
    elif what == "event":
        referral_event_add(
            referral=referral,
            user=user,
            now=now,
            kind=EVENT_KINDS[n % len(EVENT_KINDS)],
            occurred_at=at,
        )
    elif what == "withdraw":
        event = (
            ClinicalEvent.objects.filter(referral=referral)
            .exclude(kind__in=["entered_in_error", "acknowledged"])
            .order_by("-recorded_at", "-occurred_at")
            .first()
        )
        if event is not None:
            referral_event_withdraw(
                referral=referral, event_id=event.pk, reason="Wrong patient", user=user, now=now
            )
    elif what == "override":
        category = list(Category)[n % len(Category)]
        referral_override_category(
            referral=referral, user=user, now=now, category=category, reason="Re-triaged"
        )
    elif what == "suspected_at":
        referral_suspected_at_correct(
            referral=referral,
            user=user,
            now=now,
            suspected_at=referral.received_at - timedelta(minutes=n % 600),
            reason="Asked the referrer",
        )
    elif what == "close":
        status = [ReferralStatus.CLOSED, ReferralStatus.CLOSED_NOT_MSCC, ReferralStatus.WITHDRAWN]
        referral_status_change(
            referral=referral, user=user, now=now, status=status[n % 3], reason="Done"
        )
    elif what == "reopen":
        if referral.status_before_close:
            referral_status_change(
                referral=referral,
                user=user,
                now=now,
                status=referral.status_before_close,
                reason="Closed in error",
            )
    elif what == "link":
        referral_link_duplicate(
            referral=Referral.objects.get(pk=referrals[1].pk),
            user=user,
            now=now,
            duplicate_of=referrals[0].pk,
            reason="Same episode",
        )


def _assert_stored_order_is_computed(referrals: list[Referral], user: Any) -> None:
    for referral in Referral.objects.filter(pk__in=[r.pk for r in referrals]):
        next_due = Clock.objects.filter(
            referral=referral, status=ClockStatus.RUNNING, due_at__isnull=False
        ).aggregate(d=Min("due_at"))["d"]
        assert (referral.queue_rank, referral.queue_due_at) == (
            CATEGORY_URGENCY[Category(referral.category)],
            next_due,
        ), referral.reference
    stored = list(queue_for(user=user).values_list("pk", flat=True))
    computed = list(queue_computed_for(user=user).values_list("pk", flat=True))
    assert stored == computed


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_stored_queue_order_equals_the_computed_order_after_any_steps(
    world, make_referral, sequence
):
    now = timezone.now()
    referrals = _make_referrals(make_referral, now)
    _assert_stored_order_is_computed(referrals, world.coordinator)
    for which, what, n in sequence:
        # A refused step changes nothing (its transaction rolled back).
        with contextlib.suppress(DomainError):
            _step(referrals, world.coordinator, now, which, what, n)
        _assert_stored_order_is_computed(referrals, world.coordinator)
    # Each example's referrals leave the queue, so the next one starts clean.
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(status=ReferralStatus.CLOSED)


def test_an_emergency_confirmed_later_moves_above_a_routine_referral(world, make_referral):
    """MSCC confirmed on a suspected-spinal-metastases referral: it is an
    emergency now, and the stored order puts it above the routine referral
    in the same step."""
    now = timezone.now()
    safety = make_referral(
        cancer_status="current_or_past",
        neuro_features=[],
        back_pain=True,
        now=now - timedelta(hours=4),
    )
    mets = make_referral(
        neuro_features=[], pain_features=["mechanical"], now=now - timedelta(hours=3)
    )
    queue = list(queue_for(user=world.coordinator))
    assert queue.index(mets) < queue.index(safety)
    referral_override_category(
        referral=mets,
        user=world.coordinator,
        now=now - timedelta(minutes=10),
        category="safety_net",
        reason="Re-triaged",
    )
    queue = list(queue_for(user=world.coordinator))
    assert queue.index(safety) < queue.index(mets)  # the same rank: the earlier due first
    referral_event_add(
        referral=Referral.objects.get(pk=mets.pk),
        user=world.coordinator,
        now=now,
        kind="mscc_confirmed",
        occurred_at=now - timedelta(minutes=5),
    )
    mets.refresh_from_db()
    assert mets.category == Category.SUSPECTED_MSCC
    assert mets.queue_rank == CATEGORY_URGENCY[Category.SUSPECTED_MSCC]
    assert list(queue_for(user=world.coordinator)) == [mets, safety]
    assert list(queue_for(user=world.coordinator)) == list(
        queue_computed_for(user=world.coordinator)
    )


def test_a_later_save_of_the_same_instance_keeps_the_stored_due_time(world, make_referral):
    """The writer leaves ``queue_due_at`` deferred on the instance it was
    given, so a step that saves that instance afterwards cannot put back a
    due time read before the step."""
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=1))
    stored = Referral.objects.get(pk=referral.pk).queue_due_at
    assert stored is not None
    referral = referral_acknowledge(referral=referral, user=world.coordinator, now=now)
    moved = Referral.objects.get(pk=referral.pk).queue_due_at
    assert moved != stored  # the acknowledgement clock stopped; the MRI clock is next
    referral.presentation = "Saved after the step"
    referral.save()
    assert Referral.objects.get(pk=referral.pk).queue_due_at == moved
    assert referral.queue_due_at == moved


def test_the_migration_fills_the_order_of_existing_referrals(world, make_referral):
    """The data migration's statement (referrals 0018) gives the writer's values."""
    from importlib import import_module

    from django.apps import apps

    now = timezone.now()
    made = [
        make_referral(now=now - timedelta(hours=2)),
        make_referral(neuro_features=[], pain_features=["mechanical"], now=now),
    ]
    written = {
        r.pk: (r.queue_rank, r.queue_due_at)
        for r in Referral.objects.filter(pk__in=[m.pk for m in made])
    }
    Referral.objects.update(queue_rank=0, queue_due_at=None)
    import_module("referrals.migrations.0018_queue_order").fill(apps, None)
    filled = {
        r.pk: (r.queue_rank, r.queue_due_at)
        for r in Referral.objects.filter(pk__in=[m.pk for m in made])
    }
    assert filled == written
    assert written[made[1].pk][0] == CATEGORY_URGENCY[Category.SUSPECTED_SPINAL_METASTASES]
