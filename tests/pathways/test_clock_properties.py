"""Property-based tests (hypothesis): clock arithmetic holds across every
daylight-saving change, and events give the same clocks whatever order they
are recorded in."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.services import referral_event_add
from pathways import clock_rules
from pathways.codes import ClockStatus
from pathways.models import Clock

LONDON = ZoneInfo("Europe/London")

# Any instant in 2026-2027 (four DST changes), seen as UK wall-clock time,
# including the repeated hour in October (fold=1 picks the second one).
instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(LONDON),
    allow_imaginary=False,
)
targets = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=14))


@pytest.mark.slow
@given(start=instants, target=targets)
def test_due_is_exactly_the_target_in_elapsed_time(start, target):
    due = clock_rules.due_at(start, target)
    assert due.astimezone(UTC) - start.astimezone(UTC) == target
    assert clock_rules.remaining(due, start) == target


@pytest.mark.slow
@given(
    start=instants,
    target=targets,
    elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_breached_exactly_when_the_elapsed_time_reaches_the_target(start, target, elapsed):
    due = clock_rules.due_at(start, target)
    now = (start.astimezone(UTC) + elapsed).astimezone(LONDON)
    status = clock_rules.status_at("running", due, now)
    assert (status == ClockStatus.BREACHED) == (elapsed >= target)
    assert clock_rules.remaining(due, now) == target - elapsed
    stopped = clock_rules.stop_status(due, now)
    assert (stopped == ClockStatus.MET) == (elapsed <= target)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    decided=st.integers(min_value=1, max_value=48 * 60),
    delivered=st.integers(min_value=0, max_value=48 * 60),
)
def test_recording_order_does_not_change_the_radiotherapy_clock(
    coordinator, make_referral, decided, delivered
):
    """rt_decision and rt_delivered, minutes ago, recorded in both orders."""
    now = timezone.now()
    times = {
        "rt_decision": now - timedelta(minutes=decided),
        "rt_delivered": now - timedelta(minutes=delivered),
    }
    outcomes = []
    for order in (("rt_decision", "rt_delivered"), ("rt_delivered", "rt_decision")):
        referral = make_referral(now=now - timedelta(days=3))
        for kind in order:
            referral_event_add(
                referral=referral,
                user=coordinator,
                now=now,
                kind=kind,
                occurred_at=times[kind],
            )
        clock = Clock.objects.get(referral=referral, kind="radiotherapy")
        outcomes.append((clock.status, clock.started_at, clock.stopped_at, clock.due_at))
    assert outcomes[0] == outcomes[1]
    status, started, stopped, due = outcomes[0]
    assert started == times["rt_decision"]
    assert due - started == timedelta(hours=24)
    if times["rt_delivered"] >= times["rt_decision"]:
        assert stopped == times["rt_delivered"]
        assert status == (ClockStatus.MET if stopped <= due else ClockStatus.MET_LATE)
    else:
        # A delivery from before the decision is not this decision's delivery.
        assert (status, stopped) == (ClockStatus.RUNNING, None)
