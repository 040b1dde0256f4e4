"""Who is on call at an instant, coverage gaps from the database, the
plain-text gap report, and the demo rota."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from notifications.selectors import coverage_gaps, on_call_at, on_call_by_role, rota_segments
from notifications.services import coverage_gap_report
from referrals.models import Service, User
from tests.factories import CoordinatorFactory

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)
COORD = OnCallRole.COORDINATOR
SENIOR = OnCallRole.SENIOR_CLINICIAN


def h(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def shift(world: Any, start: datetime, end: datetime, user: User | None = None, **kw: Any) -> Shift:
    return Shift.objects.create(
        service=kw.pop("service", world.service),
        role=kw.pop("role", COORD),
        user=user or world.coordinator,
        starts_at=start,
        ends_at=end,
    )


def override(
    world: Any, start: datetime, end: datetime, user: User, created: datetime | None = None, **kw
) -> RotaOverride:
    row = RotaOverride.objects.create(
        service=kw.pop("service", world.service),
        role=kw.pop("role", COORD),
        user=user,
        starts_at=start,
        ends_at=end,
        reason=kw.pop("reason", "Swap"),
        created_by=world.admin,
    )
    if created is not None:
        # created_at is set on insert; tests fix it to order overrides explicitly.
        RotaOverride.objects.filter(pk=row.pk).update(created_at=created)
    return row


@pytest.fixture
def coordinator2(world: Any) -> User:
    return CoordinatorFactory(username="coordinator-2", service=world.service, first_name="Second")


@pytest.fixture
def coordinator3(world: Any) -> User:
    return CoordinatorFactory(username="coordinator-3", service=world.service)


# --- on_call_at --------------------------------------------------------------------


def test_the_covering_shift_is_on_call(world):
    shift(world, h(0), h(12))
    assert on_call_at(service=world.service, role=COORD, at=h(5)) == world.coordinator


def test_nobody_on_call_without_a_shift(world):
    shift(world, h(0), h(12))
    assert on_call_at(service=world.service, role=COORD, at=h(13)) is None
    assert on_call_at(service=world.service, role=SENIOR, at=h(5)) is None


def test_intervals_are_half_open(world, coordinator2):
    shift(world, h(0), h(12))
    shift(world, h(12), h(24), coordinator2)
    assert on_call_at(service=world.service, role=COORD, at=h(0)) == world.coordinator
    assert on_call_at(service=world.service, role=COORD, at=h(12) - timedelta(microseconds=1)) == (
        world.coordinator
    )
    assert on_call_at(service=world.service, role=COORD, at=h(12)) == coordinator2
    assert on_call_at(service=world.service, role=COORD, at=h(24)) is None


def test_an_override_wins_over_the_shift(world, coordinator2):
    shift(world, h(0), h(12))
    override(world, h(4), h(6), coordinator2)
    assert on_call_at(service=world.service, role=COORD, at=h(5)) == coordinator2
    assert on_call_at(service=world.service, role=COORD, at=h(6)) == world.coordinator
    assert on_call_at(service=world.service, role=COORD, at=h(3)) == world.coordinator


def test_an_override_covers_where_there_is_no_shift(world, coordinator2):
    override(world, h(0), h(2), coordinator2)
    assert on_call_at(service=world.service, role=COORD, at=h(1)) == coordinator2


def test_the_newest_override_wins(world, coordinator2, coordinator3):
    shift(world, h(0), h(12))
    # The newer override was inserted first: creation time decides, not insertion.
    override(world, h(0), h(12), coordinator3, created=h(-1))
    override(world, h(0), h(12), coordinator2, created=h(-2))
    assert on_call_at(service=world.service, role=COORD, at=h(5)) == coordinator3


def test_of_overlapping_shifts_the_later_start_wins(world, coordinator2):
    # Services refuse overlapping shifts; rows made otherwise still resolve.
    shift(world, h(0), h(12))
    shift(world, h(6), h(18), coordinator2)
    assert on_call_at(service=world.service, role=COORD, at=h(7)) == coordinator2


def test_on_call_is_per_role_and_per_service(world):
    shift(world, h(0), h(12))
    shift(world, h(0), h(12), world.senior, role=SENIOR)
    shift(world, h(0), h(12), world.coordinator_other, service=world.other_service)
    assert on_call_by_role(service=world.service, at=h(1)) == {
        COORD: world.coordinator,
        SENIOR: world.senior,
    }
    assert on_call_at(service=world.other_service, role=COORD, at=h(1)) == (world.coordinator_other)
    assert on_call_at(service=world.other_service, role=SENIOR, at=h(1)) is None


def test_on_call_at_takes_any_zone(world):
    shift(world, h(0), h(12))
    assert on_call_at(service=world.service, role=COORD, at=h(1).astimezone(LONDON)) == (
        world.coordinator
    )


def test_on_call_at_is_one_query(world, coordinator2):
    shift(world, h(0), h(12))
    override(world, h(4), h(6), coordinator2)
    with CaptureQueriesContext(connection) as queries:
        assert on_call_at(service=world.service, role=COORD, at=h(5)) == coordinator2
        assert on_call_at(service=world.service, role=COORD, at=h(7)) == world.coordinator
        assert on_call_at(service=world.service, role=COORD, at=h(20)) is None
    assert len(queries) == 3


def test_on_call_across_the_clocks_going_back(world, coordinator2):
    # 00:00-12:00 UK time on 25 October 2026 is 13 hours: 23:00 UTC to 12:00 UTC.
    start = datetime(2026, 10, 25, 0, tzinfo=LONDON)
    end = datetime(2026, 10, 25, 12, tzinfo=LONDON)
    shift(world, start, end)
    shift(world, end, datetime(2026, 10, 26, 0, tzinfo=LONDON), coordinator2)
    row = Shift.objects.get(user=world.coordinator)
    assert row.ends_at - row.starts_at == timedelta(hours=13)
    at = datetime(2026, 10, 25, 11, 30, tzinfo=UTC)  # 11:30 GMT, in the 13th hour
    assert on_call_at(service=world.service, role=COORD, at=at) == world.coordinator
    assert on_call_at(
        service=world.service, role=COORD, at=datetime(2026, 10, 25, 12, tzinfo=UTC)
    ) == (coordinator2)


def test_rota_segments_follow_on_call_at(world, coordinator2, coordinator3):
    shift(world, h(0), h(12))
    shift(world, h(14), h(24), coordinator2)
    override(world, h(4), h(6), coordinator3)
    override(world, h(5), h(15), coordinator2, created=h(-5))  # older: loses to the one above
    segments = rota_segments(service=world.service, starts=h(-1), ends=h(25))[COORD]
    for part in segments:
        for at in (part.starts_at, part.ends_at - timedelta(minutes=1)):
            expected = on_call_at(service=world.service, role=COORD, at=at)
            assert (part.cover.who if part.cover else None) == (expected and expected.pk)


# --- coverage gaps -----------------------------------------------------------------


def test_no_rota_is_one_gap_per_role_over_14_days(world):
    gaps = coverage_gaps(service=world.service, now=T0)
    assert gaps == {COORD: [(T0, T0 + timedelta(days=14))], SENIOR: [(T0, T0 + timedelta(days=14))]}


def test_shifts_and_overrides_together_cover(world, coordinator2):
    end = T0 + timedelta(days=14)
    for role, user in ((COORD, world.coordinator), (SENIOR, world.senior)):
        shift(world, h(-2), h(10), user, role=role)
        shift(world, h(12), end + timedelta(hours=1), user, role=role)
    override(world, h(10), h(12), coordinator2)  # covers the coordinator's hole only
    gaps = coverage_gaps(service=world.service, now=T0)
    assert gaps == {COORD: [], SENIOR: [(h(10), h(12))]}


def test_gaps_count_only_the_window_and_the_service(world):
    shift(world, h(0), h(24 * 20), service=world.other_service, user=world.coordinator_other)
    shift(world, h(1), h(2))
    gaps = coverage_gaps(service=world.service, now=T0, days=1)
    assert gaps[COORD] == [(h(0), h(1)), (h(2), h(24))]


def test_coverage_gaps_is_one_query(world):
    shift(world, h(0), h(12))
    override(world, h(12), h(13), world.coordinator)
    with CaptureQueriesContext(connection) as queries:
        coverage_gaps(service=world.service, now=T0)
    assert len(queries) == 1


def test_gap_report_lists_the_gaps_in_uk_time(world):
    end = T0 + timedelta(days=14)
    shift(world, h(0), end)
    shift(world, h(0), h(10), world.senior, role=SENIOR)
    shift(world, h(13), end, world.senior, role=SENIOR)
    report = coverage_gap_report(service=world.service, now=T0)
    assert report is not None
    assert "A MSCC (A-MSCC)" in report
    assert "Senior clinician:" in report
    assert "MSCC coordinator:" not in report
    # 18:00-21:00 UTC on 1 June is 19:00-22:00 BST.
    assert "- Mon 1 Jun 2026 19:00 BST to Mon 1 Jun 2026 22:00 BST (3 h)" in report


def test_gap_report_is_none_without_gaps(world):
    end = T0 + timedelta(days=14)
    shift(world, h(-1), end)
    shift(world, h(-1), end, world.senior, role=SENIOR)
    assert coverage_gap_report(service=world.service, now=T0) is None


def test_seed_demo_leaves_no_coverage_gap_in_the_next_14_days(db, monkeypatch):
    monkeypatch.setenv("MSCC_DEMO_PASSWORD", "a-demo-password")
    call_command("seed_demo")
    service = Service.objects.get(code="DEMO-MSCC")
    now = timezone.now()
    assert coverage_gaps(service=service, now=now) == {COORD: [], SENIOR: []}
    assert coverage_gap_report(service=service, now=now) is None
    on_call = on_call_by_role(service=service, at=now)
    assert on_call[COORD].username == "demo-coordinator"
    assert on_call[SENIOR].username == "demo-senior"
