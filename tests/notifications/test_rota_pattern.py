"""The weekly rota pattern (issue 11): the pure expansion (weekday x UK
wall-clock time -> UTC, across GMT/BST), overnight shifts, overlaps, range
limits; the preview and apply services (all or nothing, the preview's gaps
equal to the gaps after applying); the page; and gaps only from now on."""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from core.errors import Conflict, DomainError, Forbidden
from notifications import rota_rules
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from notifications.pattern_views import fingerprint, parse_date, parse_time
from notifications.rota_rules import PatternRow, PlannedShift, Segment
from notifications.selectors.rota import coverage_gaps, gaps_between
from notifications.services.rota import (
    coverage_gap_report,
    rota_pattern_apply,
    rota_pattern_preview,
)
from tests.factories import CoordinatorFactory, ServiceAdminFactory

LONDON = ZoneInfo("Europe/London")
# "Now": Wednesday 3 June 2026, 10:00 UTC (11:00 BST).
NOW = datetime(2026, 6, 3, 10, tzinfo=UTC)
TODAY = date(2026, 6, 3)
COORD = OnCallRole.COORDINATOR.value
SENIOR = OnCallRole.SENIOR_CLINICIAN.value
HOUR = timedelta(hours=1)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def every_day(role: str, who: Any, start: time, end: time) -> list[PatternRow]:
    return [PatternRow(weekday=w, role=role, who=who, start=start, end=end) for w in range(7)]


DAY, NIGHT = (time(8), time(20)), (time(20), time(8))


# --- the pure rules ---------------------------------------------------------------------


def test_a_pattern_expands_on_its_weekdays_only():
    rows = [
        PatternRow(weekday=0, role=COORD, who="a", start=time(8), end=time(20)),
        PatternRow(weekday=2, role=COORD, who="b", start=time(9), end=time(17)),
    ]
    # Mon 8 June to Sun 21 June 2026: two Mondays and two Wednesdays.
    planned = rota_rules.expand(rows, first=date(2026, 6, 8), last=date(2026, 6, 21), zone=LONDON)
    assert [(p.day, p.who) for p in planned] == [
        (date(2026, 6, 8), "a"),
        (date(2026, 6, 10), "b"),
        (date(2026, 6, 15), "a"),
        (date(2026, 6, 17), "b"),
    ]
    # UK wall-clock (BST in June) as UTC instants.
    assert planned[0].starts_at == datetime(2026, 6, 8, 7, tzinfo=UTC)
    assert planned[0].ends_at == datetime(2026, 6, 8, 19, tzinfo=UTC)
    assert all(p.starts_at.tzinfo is UTC for p in planned)


def test_an_end_at_or_before_the_start_runs_past_midnight():
    night = PatternRow(weekday=4, role=COORD, who="n", start=time(20), end=time(8))
    whole_day = PatternRow(weekday=5, role=SENIOR, who="s", start=time(8), end=time(8))
    planned = rota_rules.expand(
        [night, whole_day], first=date(2026, 6, 12), last=date(2026, 6, 13), zone=LONDON
    )
    assert [(p.starts_at, p.ends_at) for p in planned] == [
        (local(2026, 6, 12, 20), local(2026, 6, 13, 8)),
        (local(2026, 6, 13, 8), local(2026, 6, 14, 8)),
    ]
    assert [p.ends_at - p.starts_at for p in planned] == [12 * HOUR, 24 * HOUR]


def test_a_night_shift_across_the_clocks_going_back_lasts_13_hours():
    # The clocks go back at 02:00 BST on Sunday 25 October 2026.
    rows = every_day(COORD, "n", *NIGHT)
    planned = rota_rules.expand(
        rows, first=date(2026, 10, 23), last=date(2026, 10, 25), zone=LONDON
    )
    lengths = {p.day: p.ends_at - p.starts_at for p in planned}
    assert lengths == {
        date(2026, 10, 23): 12 * HOUR,
        date(2026, 10, 24): 13 * HOUR,  # Sat 20:00 BST to Sun 08:00 GMT
        date(2026, 10, 25): 12 * HOUR,
    }
    saturday = next(p for p in planned if p.day == date(2026, 10, 24))
    assert saturday.starts_at == datetime(2026, 10, 24, 19, tzinfo=UTC)  # 20:00 BST
    assert saturday.ends_at == datetime(2026, 10, 25, 8, tzinfo=UTC)  # 08:00 GMT
    # The nights still meet: each ends where the next day's shift would begin.
    assert planned[0].ends_at == local(2026, 10, 24, 8)


def test_a_night_shift_across_the_clocks_going_forward_lasts_11_hours():
    # The clocks go forward at 01:00 GMT on Sunday 28 March 2027.
    planned = rota_rules.expand(
        every_day(COORD, "n", *NIGHT), first=date(2027, 3, 27), last=date(2027, 3, 27), zone=LONDON
    )
    [saturday] = planned
    assert saturday.ends_at - saturday.starts_at == 11 * HOUR


def test_a_day_and_night_pattern_covers_the_clock_change_without_a_gap_or_overlap():
    rows = every_day(COORD, "d", *DAY) + every_day(COORD, "n", *NIGHT)
    first, last = date(2026, 10, 19), date(2026, 11, 1)
    planned = rota_rules.expand(rows, first=first, last=last, zone=LONDON)
    assert rota_rules.overlaps_within(planned) == []
    gaps = rota_rules.uncovered(
        [p.interval for p in planned], start=local(2026, 10, 19, 8), end=local(2026, 11, 1, 20)
    )
    assert gaps == []


def test_a_time_the_clocks_skip_or_repeat_is_refused_with_its_date():
    early = PatternRow(weekday=6, role=COORD, who="x", start=time(1, 30), end=time(8))
    with pytest.raises(rota_rules.LocalTimeProblem, match="25 Oct 2026"):
        rota_rules.expand([early], first=date(2026, 10, 19), last=date(2026, 10, 25), zone=LONDON)
    with pytest.raises(rota_rules.LocalTimeProblem, match="28 Mar 2027"):
        rota_rules.expand([early], first=date(2027, 3, 22), last=date(2027, 3, 28), zone=LONDON)
    # Any other Sunday, 01:30 is one instant.
    assert rota_rules.expand([early], first=date(2026, 6, 7), last=date(2026, 6, 7), zone=LONDON)


@pytest.mark.parametrize(
    ("first", "last", "fields"),
    [
        (TODAY, TODAY, set()),
        (TODAY, TODAY + timedelta(days=83), set()),  # exactly 12 weeks
        (TODAY, TODAY + timedelta(days=84), {"last"}),
        (TODAY - timedelta(days=1), TODAY, {"first"}),
        (TODAY + timedelta(days=3), TODAY + timedelta(days=2), {"last"}),
    ],
)
def test_a_range_starts_today_or_later_and_spans_at_most_12_weeks(first, last, fields):
    assert set(rota_rules.range_errors(first, last, today=TODAY)) == fields


def test_the_patterns_own_overlapping_shifts_are_found():
    rows = [
        PatternRow(weekday=0, role=COORD, who="a", start=time(20), end=time(8)),
        PatternRow(weekday=1, role=COORD, who="b", start=time(0), end=time(8)),
        # Another role at the same time is no overlap.
        PatternRow(weekday=1, role=SENIOR, who="c", start=time(0), end=time(8)),
        # Touching is no overlap.
        PatternRow(weekday=1, role=COORD, who="d", start=time(8), end=time(20)),
    ]
    planned = rota_rules.expand(rows, first=date(2026, 6, 8), last=date(2026, 6, 9), zone=LONDON)
    [(a, b)] = rota_rules.overlaps_within(planned)
    assert (a.who, b.who) == ("a", "b")


def test_overlaps_with_existing_shifts_are_by_role_and_half_open():
    planned = [
        PlannedShift(date(2026, 6, 8), COORD, "a", local(2026, 6, 8, 8), local(2026, 6, 8, 20))
    ]
    existing = [
        (COORD, (local(2026, 6, 8, 19), local(2026, 6, 8, 23)), "overlaps"),
        (COORD, (local(2026, 6, 8, 20), local(2026, 6, 9, 8)), "touches"),
        (SENIOR, (local(2026, 6, 8, 8), local(2026, 6, 8, 20)), "other role"),
    ]
    assert [ref for _, ref in rota_rules.pairs_overlapping(planned, existing)] == ["overlaps"]


def test_future_gaps_never_count_the_past():
    now = local(2026, 6, 3, 11)
    covered = [(local(2026, 6, 3, 14), local(2026, 6, 4, 0))]
    gaps = rota_rules.future_gaps(
        covered, start=local(2026, 6, 1, 0), end=local(2026, 6, 4, 0), now=now
    )
    assert gaps == [(rota_rules.utc(now), rota_rules.utc(local(2026, 6, 3, 14)))]
    assert rota_rules.future_gaps([], start=local(2026, 6, 1), end=local(2026, 6, 2), now=now) == []


def test_a_gap_spanning_now_is_cut_there_and_covers_are_left_whole():
    now = local(2026, 6, 3, 11)
    gap = Segment(local(2026, 6, 3, 0), local(2026, 6, 3, 20), None)
    cover = Segment(local(2026, 6, 3, 20), local(2026, 6, 4, 8), object())  # type: ignore[arg-type]
    parts = rota_rules.cut_gaps_at([gap, cover], now)
    assert [(p.starts_at, p.ends_at, p.gap) for p in parts] == [
        (gap.starts_at, rota_rules.utc(now), True),
        (rota_rules.utc(now), gap.ends_at, True),
        (cover.starts_at, cover.ends_at, False),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-07", date(2026, 12, 7)),
        ("07/12/2026", date(2026, 12, 7)),  # day first, never month first
        ("7 Dec 2026", date(2026, 12, 7)),
        ("Mon 7 December 2026", date(2026, 12, 7)),
        ("31/02/2026", None),
        ("next week", None),
    ],
)
def test_dates_are_read_the_uk_way(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8)),
        ("8:00", time(8)),
        ("2000", time(20)),
        ("24:00", time(0)),
        ("25:00", None),
        ("8pm", None),
    ],
)
def test_times_are_24_hour(text, expected):
    assert parse_time(text) == expected


# --- the services ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def full_pattern(world: Any) -> list[PatternRow]:
    """Coordinator days and nights, the senior 24 hours from 08:00, but no
    coordinator on Saturday nights."""
    rows = every_day(COORD, world.coordinator, *DAY)
    rows += [r for r in every_day(COORD, world.coordinator, *NIGHT) if r.weekday != 5]
    rows += every_day(SENIOR, world.senior, time(8), time(8))
    return rows


def arguments(world: Any, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "service": world.service,
        "rows": full_pattern(world),
        "first": date(2026, 6, 8),
        "last": date(2026, 6, 21),
        "now": NOW,
        "by": world.admin,
    }
    args.update(overrides)
    return args


def test_preview_writes_nothing_and_apply_creates_what_it_showed(world):
    preview = rota_pattern_preview(**arguments(world))
    assert not Shift.objects.exists()
    assert len(preview.create) == 14 + 12 + 14
    applied = rota_pattern_apply(**arguments(world))
    assert Shift.objects.filter(service=world.service).count() == 40
    stored = sorted(
        (s.role, s.user_id, s.starts_at, s.ends_at)
        for s in Shift.objects.filter(service=world.service)
    )
    shown = sorted((p.role, p.who.pk, p.starts_at, p.ends_at) for p in preview.create)
    assert stored == shown
    assert applied.gaps == preview.gaps


def test_the_previewed_gaps_are_the_gaps_after_applying(world):
    # Already on the rota: a coordinator Saturday night in the first week and
    # an override; the pattern leaves the second Saturday night and the first
    # day's early hours (no night shift the Sunday before) uncovered.
    Shift.objects.create(
        service=world.service,
        role=COORD,
        user=world.coordinator,
        starts_at=local(2026, 6, 13, 20),
        ends_at=local(2026, 6, 14, 8),
    )
    RotaOverride.objects.create(
        service=world.service,
        role=COORD,
        user=world.coordinator,
        starts_at=local(2026, 6, 20, 20),
        ends_at=local(2026, 6, 20, 23),
        reason="Swap",
        created_by=world.admin,
    )
    preview = rota_pattern_preview(**arguments(world))
    coordinator_gaps = [
        (local(2026, 6, 8, 0), local(2026, 6, 8, 8)),
        (local(2026, 6, 20, 23), local(2026, 6, 21, 8)),
    ]
    assert preview.gaps[OnCallRole.COORDINATOR] == [
        (rota_rules.utc(s), rota_rules.utc(e)) for s, e in coordinator_gaps
    ]
    assert preview.gaps[OnCallRole.SENIOR_CLINICIAN] == [
        (rota_rules.utc(local(2026, 6, 8, 0)), rota_rules.utc(local(2026, 6, 8, 8)))
    ]
    assert [s.starts_at for s in preview.existing] == [rota_rules.utc(local(2026, 6, 13, 20))]
    # The Saturday night already on the rota clashes with nothing: the pattern has none.
    assert preview.clashes == []
    rota_pattern_apply(**arguments(world))
    after = gaps_between(
        service=world.service, starts=preview.window[0], ends=preview.window[1], now=NOW
    )
    assert after == preview.gaps


def test_an_overlap_with_the_rota_refuses_the_whole_pattern_and_names_the_date(world):
    Shift.objects.create(
        service=world.service,
        role=COORD,
        user=world.coordinator,
        starts_at=local(2026, 6, 17, 12),
        ends_at=local(2026, 6, 17, 14),
    )
    preview = rota_pattern_preview(**arguments(world))
    [(planned, existing)] = preview.clashes
    assert planned.day == date(2026, 6, 17)
    assert existing.starts_at == local(2026, 6, 17, 12)
    assert preview.blocked
    with pytest.raises(Conflict, match="Wed 17 Jun 2026") as refused:
        rota_pattern_apply(**arguments(world))
    assert "Nothing was saved" in refused.value.message
    # All or nothing: only the shift that was already there.
    assert Shift.objects.count() == 1


def test_overlapping_shifts_can_be_left_out_instead(world):
    kept = Shift.objects.create(
        service=world.service,
        role=COORD,
        user=world.coordinator,
        starts_at=local(2026, 6, 17, 12),
        ends_at=local(2026, 6, 17, 14),
    )
    plan = rota_pattern_apply(**arguments(world, skip_clashes=True))
    [skipped] = plan.skipped
    assert (skipped.day, skipped.starts_at) == (date(2026, 6, 17), local(2026, 6, 17, 8))
    assert Shift.objects.count() == 1 + 39
    assert Shift.objects.filter(pk=kept.pk).exists()
    # The day shift left out leaves its hours either side of the kept shift open.
    assert (rota_rules.utc(local(2026, 6, 17, 8)), rota_rules.utc(local(2026, 6, 17, 12))) in (
        plan.gaps[OnCallRole.COORDINATOR]
    )


def test_a_pattern_from_today_leaves_out_shifts_already_started(world):
    plan = rota_pattern_preview(**arguments(world, first=TODAY, last=TODAY))
    # Today's 08:00 BST shifts started before 11:00 BST: left out, not created.
    assert {(p.role, p.starts_at) for p in plan.started} == {
        (COORD, rota_rules.utc(local(2026, 6, 3, 8))),
        (SENIOR, rota_rules.utc(local(2026, 6, 3, 8))),
    }
    assert [p.starts_at for p in plan.create] == [rota_rules.utc(local(2026, 6, 3, 20))]
    # Gaps from now on only: 11:00 to 20:00 for the coordinator, not since midnight.
    assert plan.gaps[OnCallRole.COORDINATOR] == [(NOW, rota_rules.utc(local(2026, 6, 3, 20)))]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first": date(2026, 6, 2)}, "first"),
        ({"last": date(2026, 6, 8) + timedelta(days=84)}, "last"),
        ({"rows": []}, "rows"),
    ],
)
def test_a_bad_range_or_no_rows_is_refused_by_field(world, change, field):
    with pytest.raises(DomainError) as refused:
        rota_pattern_apply(**arguments(world, **change))
    assert field in refused.value.errors
    assert not Shift.objects.exists()


def test_someone_who_may_not_be_on_call_is_refused_by_row(world):
    rows = full_pattern(world)
    rows[3] = PatternRow(weekday=3, role=COORD, who=world.senior, start=time(8), end=time(20))
    rows[4] = PatternRow(
        weekday=4, role=COORD, who=world.coordinator_other, start=time(8), end=time(20)
    )
    with pytest.raises(DomainError) as refused:
        rota_pattern_apply(**arguments(world, rows=rows))
    assert set(refused.value.errors) == {"rows.3.user", "rows.4.user"}
    assert not Shift.objects.exists()


def test_a_pattern_overlapping_itself_is_refused(world):
    rows = [
        PatternRow(weekday=0, role=COORD, who=world.coordinator, start=time(20), end=time(8)),
        PatternRow(weekday=1, role=COORD, who=world.coordinator, start=time(6), end=time(12)),
    ]
    with pytest.raises(DomainError, match="two people on call"):
        rota_pattern_apply(**arguments(world, rows=rows))
    assert not Shift.objects.exists()


def test_a_clock_change_time_is_refused_with_its_date(world):
    rows = [
        PatternRow(weekday=6, role=COORD, who=world.coordinator, start=time(1, 30), end=time(8))
    ]
    with pytest.raises(DomainError, match="25 Oct 2026"):
        rota_pattern_apply(
            **arguments(world, rows=rows, first=date(2026, 10, 19), last=date(2026, 10, 25))
        )


def test_the_shifts_across_the_october_change_are_stored_13_hours_long(world):
    rota_pattern_apply(
        **arguments(
            world,
            rows=every_day(COORD, world.coordinator, *NIGHT),
            first=date(2026, 10, 24),
            last=date(2026, 10, 24),
        )
    )
    [shift] = Shift.objects.all()
    assert shift.ends_at - shift.starts_at == 13 * HOUR


def test_another_services_admin_cannot_apply_a_pattern_to_this_service(world):
    other_admin = ServiceAdminFactory(username="admin-b", service=world.other_service)
    with pytest.raises(Forbidden):
        rota_pattern_apply(**arguments(world, by=other_admin))
    assert not Shift.objects.exists()


def test_the_coverage_gap_report_never_counts_the_past(world):
    # Cover from now for 15 days; nothing yesterday: no report.
    for role, user in ((COORD, world.coordinator), (SENIOR, world.senior)):
        Shift.objects.create(
            service=world.service,
            role=role,
            user=user,
            starts_at=NOW,
            ends_at=NOW + timedelta(days=15),
        )
    assert coverage_gaps(service=world.service, now=NOW) == {r: [] for r in OnCallRole}
    assert coverage_gap_report(service=world.service, now=NOW) is None


# --- the page -------------------------------------------------------------------------


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


PATTERN = reverse("rota_pattern")


def form(**overrides: str) -> dict[str, str]:
    """Mon-Sun coordinator 08:00-20:00 and 20:00-08:00, the senior 08:00-08:00,
    for Mon 8 to Sun 21 June 2026."""
    data = {"first": "8 Jun 2026", "last": "21/06/2026", "action": "preview"}
    for w in range(7):
        data |= {
            f"d{w}-0-role": COORD,
            f"d{w}-0-user": "coordinator",
            f"d{w}-0-start": "08:00",
            f"d{w}-0-end": "20:00",
            f"d{w}-1-role": COORD,
            f"d{w}-1-user": "coordinator",
            f"d{w}-1-start": "20:00",
            f"d{w}-1-end": "08:00",
            f"d{w}-2-role": SENIOR,
            f"d{w}-2-user": "senior",
            f"d{w}-2-start": "08:00",
            f"d{w}-2-end": "08:00",
        }
    data.update(overrides)
    return data


def previewed(client: Client, data: dict[str, str]) -> dict[str, str]:
    """``data`` as the preview page posts it back for Apply."""
    body = client.post(PATTERN, data).content.decode()
    [token] = re.findall(r'name="previewed" value="([0-9a-f]+)"', body)
    return {**data, "previewed": token, "action": "apply"}


@pytest.mark.parametrize("who", ["coordinator", "senior", "referrer"])
def test_only_service_admins_open_the_pattern_page(world, who):
    assert signed_in(getattr(world, who)).get(PATTERN).status_code == 403


def test_signed_out_goes_to_sign_in(client, world):
    response = client.get(PATTERN)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_page_offers_the_next_two_weeks_and_only_this_services_people(world):
    CoordinatorFactory(username="coordinator-gone", service=world.service, is_active=False)
    body = signed_in(world.admin).get(PATTERN).content.decode()
    assert 'value="8 Jun 2026"' in body and 'value="21 Jun 2026"' in body
    assert 'value="coordinator"' in body and 'value="senior"' in body
    assert 'value="coordinator-b"' not in body
    assert 'value="coordinator-gone"' not in body
    assert body.count('name="d0-') == 4 * 3
    assert "Apply this pattern" not in body  # only after a preview


def test_preview_shows_the_shifts_the_gaps_and_writes_nothing(world):
    Shift.objects.create(
        service=world.service,
        role=SENIOR,
        user=world.senior,
        starts_at=local(2026, 6, 7, 8),
        ends_at=local(2026, 6, 8, 8),
    )
    response = signed_in(world.admin).post(PATTERN, form())
    body = response.content.decode()
    assert response.status_code == 200
    assert not Shift.objects.filter(starts_at__gte=local(2026, 6, 8)).exists()
    assert "Preview: Mon 8 Jun 2026 to Sun 21 Jun 2026" in body
    assert "Apply this pattern: add 42 shifts" in body
    # The coordinator has nobody before Monday's 08:00; the senior has the shift already there.
    assert "NOBODY ON CALL</strong> Mon 8 Jun 2026, 00:00 BST to Mon 8 Jun 2026, 08:00 BST" in body
    assert "Shifts already on the rota in this range" in body
    assert "Sun 7 Jun 2026, 08:00 BST" in body
    assert body.count("NOBODY ON CALL</strong>") == 1


def test_apply_after_preview_adds_the_shifts_and_shows_the_week(world):
    client = signed_in(world.admin)
    response = client.post(PATTERN, previewed(client, form()))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('rota_week')}?week=2026-06-08"
    assert Shift.objects.filter(service=world.service).count() == 42
    week = client.get(response["Location"]).content.decode()
    assert "Pattern applied: 42 shifts added from Mon 8 Jun 2026 to Sun 21 Jun 2026" in week
    assert "2 periods with nobody on call remain" in week


def test_apply_without_a_preview_of_these_values_only_previews(world):
    client = signed_in(world.admin)
    data = previewed(client, form())
    data["d0-0-end"] = "19:00"  # changed after the preview
    response = client.post(PATTERN, data)
    assert response.status_code == 200
    assert not Shift.objects.exists()
    assert "The pattern changed after its preview" in response.content.decode()
    # Without a token at all, too.
    response = client.post(PATTERN, form(action="apply"))
    assert response.status_code == 200 and not Shift.objects.exists()


def test_the_fingerprint_covers_the_choice_to_leave_out_overlaps():
    values = {"first": "2026-06-08"}
    assert fingerprint(values, False) != fingerprint(values, True)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"first": "06/31/2026"}, "first", "Enter a date like 7 Dec 2026"),
        ({"first": "2026-06-01"}, "first", "cannot start in the past"),
        ({"last": "2026-09-30"}, "last", "at most 12 weeks"),
        ({"d2-0-start": "8am"}, "d2-0-start", "24-hour time"),
        ({"d2-0-user": ""}, "d2-0-user", "Choose who is on call"),
        ({"d2-0-user": "coordinator-b"}, "d2-0-user", "Choose who is on call"),
        ({"d2-0-user": "senior"}, "d2-0-user", "not a coordinator"),
        ({"d2-0-role": ""}, "d2-0-role", "Choose the rota role"),
    ],
)
def test_problems_are_named_by_field_and_nothing_is_saved(world, change, field, message):
    client = signed_in(world.admin)
    response = client.post(PATTERN, form(**change))
    body = response.content.decode()
    assert response.status_code == 400, body
    assert field in response.context["errors"]
    assert message in " ".join(response.context["errors"][field])
    assert f'href="#{field}"' in body
    assert not Shift.objects.exists()


def test_the_summary_says_which_row_a_problem_is_in(world):
    body = signed_in(world.admin).post(PATTERN, form(**{"d2-1-end": "8pm"})).content.decode()
    assert "Wednesday, shift 2, to: Enter a 24-hour time" in body


def test_an_empty_week_is_refused(world):
    data = {k: v for k, v in form().items() if not k.startswith("d")}
    response = signed_in(world.admin).post(PATTERN, data)
    assert response.status_code == 400
    assert "Fill in at least one shift" in response.content.decode()


def test_an_overlap_with_the_rota_is_shown_and_cannot_be_applied(world):
    Shift.objects.create(
        service=world.service,
        role=COORD,
        user=world.coordinator,
        starts_at=local(2026, 6, 10, 12),
        ends_at=local(2026, 6, 10, 14),
    )
    client = signed_in(world.admin)
    body = client.post(PATTERN, form()).content.decode()
    assert "Overlaps with shifts already on the rota" in body
    assert "Wed 10 Jun 2026, 08:00 BST" in body
    assert "Apply this pattern" not in body
    # Forcing Apply anyway is refused, nothing saved.
    response = client.post(PATTERN, previewed(client, form()))
    assert response.status_code == 409
    assert "Nothing was saved" in response.content.decode()
    assert Shift.objects.count() == 1
    # Leaving them out: applied around the shift already there.
    response = client.post(PATTERN, previewed(client, form(skip_clashes="on")))
    assert response.status_code == 302
    assert Shift.objects.count() == 1 + 41


# --- the week grid: gaps from now on only ------------------------------------------------


def test_a_past_week_with_nobody_on_the_rota_shows_no_red_banner(world):
    body = signed_in(world.admin).get(reverse("rota_week"), {"week": "2026-05-25"}).content.decode()
    assert "NOBODY ON CALL</span></li>" not in body
    assert "This week has times ahead with NOBODY ON CALL" not in body
    assert body.count('<li class="rota__part rota__part--none">') == 14
    assert "No record" in body


def test_a_future_week_with_nobody_on_the_rota_says_so(world):
    body = signed_in(world.admin).get(reverse("rota_week"), {"week": "2026-06-08"}).content.decode()
    assert "This week has times ahead with NOBODY ON CALL" in body
    assert body.count('<li class="rota__part rota__part--gap">') == 14
    assert '<li class="rota__part rota__part--none">' not in body


def test_the_week_page_links_admins_to_the_pattern(world):
    assert PATTERN in signed_in(world.admin).get(reverse("rota_week")).content.decode()
    assert PATTERN not in signed_in(world.coordinator).get(reverse("rota_week")).content.decode()


# --- the API ------------------------------------------------------------------------

API = "/api/v1/rota/pattern/"


def api_body(**overrides: Any) -> dict[str, Any]:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    shifts = [
        {"weekday": d, "role": COORD, "user": "coordinator", "start": s, "end": e}
        for d in days
        for s, e in (("08:00", "20:00"), ("20:00", "08:00"))
    ] + [
        {"weekday": d, "role": SENIOR, "user": "senior", "start": "08:00", "end": "08:00"}
        for d in days
    ]
    body: dict[str, Any] = {"first": "2026-06-08", "last": "2026-06-21", "shifts": shifts}
    body.update(overrides)
    return body


def test_the_api_dry_run_answers_what_applying_would_do_and_saves_nothing(world, api):
    response = api(world.admin).post(API, api_body(dry_run=True), format="json")
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["applied"] is False
    assert len(answer["shifts"]) == 42
    assert answer["shifts"][0] == {
        "role": COORD,
        "user": "coordinator",
        "starts_at": "2026-06-08T08:00:00+01:00",
        "ends_at": "2026-06-08T20:00:00+01:00",
    }
    # The first Monday before 08:00, for both roles.
    assert [(g["role"], g["starts_at"], g["ends_at"]) for g in answer["gaps"]] == [
        (COORD, "2026-06-08T00:00:00+01:00", "2026-06-08T08:00:00+01:00"),
        (SENIOR, "2026-06-08T00:00:00+01:00", "2026-06-08T08:00:00+01:00"),
    ]
    assert not Shift.objects.exists()


def test_the_api_applies_a_pattern_and_its_gaps_are_what_the_dry_run_said(world, api):
    client = api(world.admin)
    dry = client.post(API, api_body(dry_run=True), format="json").json()
    response = client.post(API, api_body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["applied"] is True
    assert response.json()["gaps"] == dry["gaps"]
    assert Shift.objects.filter(service=world.service).count() == 42


def test_the_api_refuses_an_overlap_with_409_unless_told_to_leave_it_out(world, api):
    Shift.objects.create(
        service=world.service,
        role=COORD,
        user=world.coordinator,
        starts_at=local(2026, 6, 10, 12),
        ends_at=local(2026, 6, 10, 14),
    )
    client = api(world.admin)
    dry = client.post(API, api_body(dry_run=True), format="json").json()
    assert [o["shift"]["starts_at"] for o in dry["overlaps"]] == ["2026-06-10T08:00:00+01:00"]
    refused = client.post(API, api_body(), format="json")
    assert refused.status_code == 409
    assert "Wed 10 Jun 2026" in refused.json()["detail"]
    assert Shift.objects.count() == 1
    applied = client.post(API, api_body(skip_overlaps=True), format="json")
    assert applied.status_code == 201
    assert len(applied.json()["left_out_overlapping"]) == 1
    assert Shift.objects.count() == 1 + 41


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first": "2026-06-01"}, "first"),
        ({"last": "2026-09-30"}, "last"),
        ({"shifts": []}, "shifts"),
        (
            {
                "shifts": [
                    {
                        "weekday": "funday",
                        "role": COORD,
                        "user": "coordinator",
                        "start": "08:00",
                        "end": "20:00",
                    }
                ]
            },
            "shifts",
        ),
        (
            {
                "shifts": [
                    {
                        "weekday": "monday",
                        "role": COORD,
                        "user": "coordinator-b",
                        "start": "08:00",
                        "end": "20:00",
                    }
                ]
            },
            "shifts.0.user",
        ),
        (
            {
                "shifts": [
                    {
                        "weekday": "monday",
                        "role": COORD,
                        "user": "senior",
                        "start": "08:00",
                        "end": "20:00",
                    }
                ]
            },
            "shifts.0.user",
        ),
        (
            {
                "shifts": [
                    {
                        "weekday": "monday",
                        "role": COORD,
                        "user": "coordinator",
                        "start": "8pm",
                        "end": "20:00",
                    }
                ]
            },
            "shifts",
        ),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_the_api_names_the_field_of_a_bad_pattern_and_saves_nothing(world, api, change, field):
    response = api(world.admin).post(API, api_body(**change), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Shift.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "senior", "referrer"])
def test_only_service_admins_may_apply_a_pattern_by_api(world, api, who):
    response = api(getattr(world, who)).post(API, api_body(), format="json")
    assert response.status_code == 403
    assert not Shift.objects.exists()


def test_pattern_shifts_are_kept_in_history_with_the_admin(world):
    # The rota is a clinical control: who put whom on call is kept (issue 11).
    rota_pattern_apply(**arguments(world))
    assert Shift.history.filter(history_type="+").count() == 40
    assert {h.history_user for h in Shift.history.all()} == {world.admin}
