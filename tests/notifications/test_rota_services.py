"""Rota writes: shift_create, shift_delete, override_create and their checks,
each refusal naming the field it is about."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from core.errors import Conflict, DomainError, Forbidden
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from notifications.selectors import on_call_at
from notifications.services import override_create, shift_create, shift_delete
from referrals.models import User
from tests.factories import CoordinatorFactory, ServiceAdminFactory

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)
COORD = OnCallRole.COORDINATOR
SENIOR = OnCallRole.SENIOR_CLINICIAN


def h(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def make_shift(world: Any, **overrides: Any) -> Shift:
    args: dict[str, Any] = {
        "service": world.service,
        "role": COORD,
        "user": world.coordinator,
        "starts_at": h(0),
        "ends_at": h(12),
        "by": world.admin,
    }
    args.update(overrides)
    return shift_create(**args)


def make_override(world: Any, **overrides: Any) -> RotaOverride:
    args: dict[str, Any] = {
        "service": world.service,
        "role": COORD,
        "user": world.coordinator,
        "starts_at": h(0),
        "ends_at": h(2),
        "reason": "Swap with Dr Who",
        "by": world.admin,
    }
    args.update(overrides)
    return override_create(**args)


def refused(field: str | None, call: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.field == field, caught.value.message
    return caught.value


# --- shift_create ------------------------------------------------------------------


def test_shift_create_makes_the_shift(world):
    shift = make_shift(world)
    assert (shift.service, shift.role, shift.user) == (world.service, COORD, world.coordinator)
    assert (shift.starts_at, shift.ends_at) == (h(0), h(12))
    assert on_call_at(service=world.service, role=COORD, at=h(1)) == world.coordinator


def test_shift_create_across_the_clocks_going_back_is_13_hours(world):
    shift = make_shift(
        world,
        starts_at=datetime(2026, 10, 25, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 10, 25, 12, tzinfo=LONDON),
    )
    shift.refresh_from_db()
    assert shift.ends_at - shift.starts_at == timedelta(hours=13)
    assert shift.starts_at == datetime(2026, 10, 24, 23, tzinfo=UTC)


def test_shift_create_across_the_clocks_going_forward_is_11_hours(world):
    shift = make_shift(
        world,
        starts_at=datetime(2026, 3, 29, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 3, 29, 12, tzinfo=LONDON),
    )
    assert shift.ends_at - shift.starts_at == timedelta(hours=11)


def test_end_must_be_after_start(world):
    error = refused("ends_at", make_shift, world=world, starts_at=h(5), ends_at=h(5))
    assert "after the start" in error.message
    refused("ends_at", make_shift, world=world, starts_at=h(5), ends_at=h(4))


def test_end_after_start_is_judged_in_real_time_not_wall_clock(world):
    # 01:30 BST then 01:15 GMT: earlier on the wall clock, 45 minutes later in fact.
    start = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=0)
    end = datetime(2026, 10, 25, 1, 15, tzinfo=LONDON, fold=1)
    shift = make_shift(world, starts_at=start, ends_at=end)
    assert shift.ends_at - shift.starts_at == timedelta(minutes=45)


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_naive_times_are_refused(world, field):
    naive = {"starts_at": datetime(2026, 6, 1, 8), "ends_at": datetime(2026, 6, 1, 20)}  # noqa: DTZ001
    error = refused(field, make_shift, world=world, **{field: naive[field]})
    assert "time zone" in error.message


def test_unknown_role_is_refused(world):
    refused("role", make_shift, world=world, role="registrar")


def test_the_user_must_have_the_matching_role(world):
    error = refused("user", make_shift, world=world, role=SENIOR, user=world.coordinator)
    assert "senior clinician" in error.message
    refused("user", make_shift, world=world, role=COORD, user=world.senior)
    refused("user", make_shift, world=world, role=COORD, user=world.admin)


def test_the_user_must_be_of_the_service(world):
    refused("user", make_shift, world=world, user=world.coordinator_other)


def test_an_inactive_user_is_refused(world):
    User.objects.filter(pk=world.coordinator.pk).update(is_active=False)
    world.coordinator.refresh_from_db()
    refused("user", make_shift, world=world)


def test_overlapping_shift_of_the_same_role_is_refused(world):
    make_shift(world, starts_at=h(0), ends_at=h(12))
    error = refused("starts_at", make_shift, world=world, starts_at=h(11), ends_at=h(20))
    assert "override" in error.message
    refused("starts_at", make_shift, world=world, starts_at=h(-5), ends_at=h(30))
    refused("starts_at", make_shift, world=world, starts_at=h(2), ends_at=h(3))
    assert Shift.objects.count() == 1


def test_touching_shifts_and_other_roles_and_services_do_not_clash(world):
    make_shift(world, starts_at=h(0), ends_at=h(12))
    make_shift(world, starts_at=h(12), ends_at=h(24))
    make_shift(world, starts_at=h(-12), ends_at=h(0))
    make_shift(world, role=SENIOR, user=world.senior, starts_at=h(0), ends_at=h(12))
    make_shift(
        world,
        service=world.other_service,
        user=world.coordinator_other,
        by=None,
        starts_at=h(0),
        ends_at=h(12),
    )
    assert Shift.objects.count() == 5


def test_an_admin_of_another_service_may_not_write_this_rota(world):
    other_admin = ServiceAdminFactory(username="admin-b", service=world.other_service)
    with pytest.raises(Forbidden):
        make_shift(world, by=other_admin)
    with pytest.raises(Forbidden):
        make_override(world, by=other_admin)


# --- shift_delete ------------------------------------------------------------------


def test_a_future_shift_may_be_deleted(world):
    shift = make_shift(world)
    shift_delete(shift=shift, now=h(-1), by=world.admin)
    assert not Shift.objects.exists()


def test_a_started_shift_may_not_be_deleted(world):
    shift = make_shift(world)
    with pytest.raises(Conflict, match="has started"):
        shift_delete(shift=shift, now=h(0), by=world.admin)
    with pytest.raises(Conflict):
        shift_delete(shift=shift, now=h(20), by=world.admin)
    assert Shift.objects.filter(pk=shift.pk).exists()


def test_deleting_an_already_deleted_shift_is_harmless(world):
    shift = make_shift(world)
    shift_delete(shift=shift, now=h(-1))
    shift_delete(shift=shift, now=h(-1))
    assert not Shift.objects.exists()


# --- override_create ----------------------------------------------------------------


def test_override_create_records_who_and_why_and_wins(world):
    make_shift(world)
    cover = CoordinatorFactory(username="coordinator-2", service=world.service)
    override = make_override(world, user=cover, starts_at=h(2), ends_at=h(4))
    assert override.created_by == world.admin
    assert override.reason == "Swap with Dr Who"
    assert override.history.get().history_user == world.admin
    assert on_call_at(service=world.service, role=COORD, at=h(3)) == cover
    assert on_call_at(service=world.service, role=COORD, at=h(4)) == world.coordinator


def test_overrides_may_overlap_shifts_and_each_other(world):
    make_shift(world)
    make_override(world, starts_at=h(1), ends_at=h(5))
    make_override(world, starts_at=h(2), ends_at=h(3))
    assert RotaOverride.objects.count() == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_reason(world, reason):
    refused("reason", make_override, world=world, reason=reason)


def test_an_override_reason_has_a_limit(world):
    refused("reason", make_override, world=world, reason="x" * 2001)


def test_override_checks_times_role_and_user(world):
    refused("ends_at", make_override, world=world, starts_at=h(2), ends_at=h(1))
    refused("starts_at", make_override, world=world, starts_at=datetime(2026, 6, 1))  # noqa: DTZ001
    refused("role", make_override, world=world, role="porter")
    refused("user", make_override, world=world, role=SENIOR)
    refused("user", make_override, world=world, user=world.coordinator_other)
    assert not RotaOverride.objects.exists()


# --- Concurrency --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_adding_overlapping_shifts_at_once_make_only_one(world):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add(start: float) -> None:
        try:
            barrier.wait(timeout=10)
            make_shift(world, starts_at=h(start), ends_at=h(start + 12))
            outcomes.append("made")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(start,)) for start in (0, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["made", "refused"]
    assert Shift.objects.count() == 1


def test_a_shift_added_and_removed_is_kept_in_history_with_who(world):
    from notifications.services.rota import shift_delete

    shift = make_shift(world, starts_at=h(24), ends_at=h(36))
    shift_delete(shift=shift, now=h(0), by=world.admin)
    kept = list(Shift.history.filter(id=shift.pk).order_by("history_date"))
    assert [(k.history_type, k.history_user) for k in kept] == [
        ("+", world.admin),
        ("-", world.admin),
    ]
