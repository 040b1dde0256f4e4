"""The rota pages: the week grid (gaps in words and red, overrides marked,
UK time across a clock change), the gaps page, and the admin's forms, as
each role sees them and scoped to the user's own service."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from referrals.models import User
from tests.factories import ServiceAdminFactory

LONDON = ZoneInfo("Europe/London")
# "Now" for these tests: Wednesday 3 June 2026, 10:00 UTC (11:00 BST).
NOW = datetime(2026, 6, 3, 10, tzinfo=UTC)
COORD = OnCallRole.COORDINATOR
SENIOR = OnCallRole.SENIOR_CLINICIAN


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def grid_cells(body: str) -> list[str]:
    """The grid's cells as plain text, the en dash of a time range as "-"."""
    cells = re.findall(r"<td>\s*<ul class=\"rota__parts\">(.*?)</ul>", body, re.S)
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip().replace("\N{EN DASH}", "-")
        for c in cells
    ]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def add_shift(world: Any, start: datetime, end: datetime, **kw: Any) -> Shift:
    return Shift.objects.create(
        service=kw.pop("service", world.service),
        role=kw.pop("role", COORD),
        user=kw.pop("user", world.coordinator),
        starts_at=start,
        ends_at=end,
    )


@pytest.fixture
def other_admin(world: Any) -> User:
    return ServiceAdminFactory(username="admin-b", service=world.other_service)


def shift_post(**overrides: str) -> dict[str, str]:
    data = {
        "week": "2026-06-01",
        "role": "coordinator",
        "user": "coordinator",
        "starts_at": "2026-06-10T08:00",
        "ends_at": "2026-06-10T20:00",
    }
    data.update(overrides)
    return data


# --- Who may open the pages -----------------------------------------------------------


@pytest.mark.parametrize("name", ["rota_week", "rota_gaps"])
def test_signed_out_goes_to_sign_in(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["referrer", "lead"])
@pytest.mark.parametrize("name", ["rota_week", "rota_gaps"])
def test_roles_outside_the_rota_get_403(world, who, name):
    response = signed_in(getattr(world, who)).get(reverse(name))
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["referrer", "coordinator", "senior"])
def test_only_service_admins_may_post(world, who):
    shift = add_shift(world, local(2026, 6, 10, 8), local(2026, 6, 10, 20))
    client = signed_in(getattr(world, who))
    assert client.post(reverse("rota_shift_create"), shift_post()).status_code == 403
    assert client.post(reverse("rota_override_create"), shift_post()).status_code == 403
    delete = reverse("rota_shift_delete", args=[shift.pk])
    assert client.post(delete).status_code == 403
    assert Shift.objects.count() == 1
    assert not RotaOverride.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "senior"])
def test_clinicians_see_the_rota_read_only(world, who):
    add_shift(world, local(2026, 6, 1, 8), local(2026, 6, 1, 20))
    response = signed_in(getattr(world, who)).get(reverse("rota_week"))
    assert response.status_code == 200
    body = html(response)
    assert "Coordinator" in body  # world.coordinator's name, on the grid
    assert "Add a shift" not in body
    assert "Add an override" not in body
    assert "Delete" not in body
    assert "Only your service admin can change the rota." in body


def test_admin_sees_the_forms_with_only_matching_users(world):
    response = signed_in(world.admin).get(reverse("rota_week"))
    body = html(response)
    assert response.status_code == 200
    assert "Add a shift" in body and "Add an override" in body
    assert 'value="coordinator"' in body and 'value="senior"' in body
    assert 'value="coordinator-b"' not in body  # another service's coordinator
    assert 'value="admin"' not in body  # not a rota role


# --- The week grid ---------------------------------------------------------------------


def test_week_grid_shows_who_when_overrides_and_gaps(world):
    add_shift(world, local(2026, 6, 1, 8), local(2026, 6, 1, 20))
    add_shift(world, local(2026, 6, 1, 0), local(2026, 6, 2, 0), role=SENIOR, user=world.senior)
    RotaOverride.objects.create(
        service=world.service,
        role=COORD,
        user=world.coordinator,
        starts_at=local(2026, 6, 1, 20),
        ends_at=local(2026, 6, 1, 22),
        reason="Covering sickness",
        created_by=world.admin,
    )
    body = html(signed_in(world.admin).get(reverse("rota_week")))
    assert "week of Monday 1 June 2026" in body
    assert "Mon 1 Jun" in body and "Sun 7 Jun" in body
    # Monday (past), coordinator: no record, the shift, the override, then no
    # record to midnight. Past time with nobody on the rota is a record, not a
    # gap to fill (issue 11): "No record", never NOBODY ON CALL.
    cells = grid_cells(body)
    assert len(cells) == 14  # two roles, seven days
    assert cells[0] == (
        "00:00-08:00 No record 08:00-20:00 Coordinator "
        "20:00-22:00 Coordinator OVERRIDE Covering sickness 22:00-24:00 No record"
    )
    assert cells[1] == "00:00-24:00 No record"
    # Wednesday is cut at now (11:00 BST): the past part is no record, the rest a gap.
    assert cells[2] == "00:00-11:00 No record 11:00-24:00 NOBODY ON CALL"
    assert cells[3] == "00:00-24:00 NOBODY ON CALL"
    # Gaps from now on only: Wednesday from 11:00 and Thursday to Sunday, per role.
    assert body.count('<li class="rota__part rota__part--gap">') == 5 + 5
    assert body.count('<li class="rota__part rota__part--none">') == 4 + 2
    assert cells[7] == "00:00-24:00 Senior"
    assert "This week has times ahead with NOBODY ON CALL" in body


def test_week_parameter_moves_to_the_monday_of_that_week(world):
    add_shift(world, local(2026, 6, 17, 8), local(2026, 6, 17, 20))
    body = html(signed_in(world.coordinator).get(reverse("rota_week"), {"week": "2026-06-18"}))
    assert "week of Monday 15 June 2026" in body
    assert "?week=2026-06-08" in body and "?week=2026-06-22" in body
    assert grid_cells(body)[2] == (
        "00:00-08:00 NOBODY ON CALL 08:00-20:00 Coordinator 20:00-24:00 NOBODY ON CALL"
    )


def test_a_bad_week_parameter_shows_this_week_with_a_message(world):
    response = signed_in(world.coordinator).get(reverse("rota_week"), {"week": "next tuesday"})
    assert response.status_code == 200
    body = html(response)
    assert "is not a date" in body
    assert "week of Monday 1 June 2026" in body


def test_week_with_the_clocks_going_back_shows_the_25_hour_day(world):
    add_shift(world, local(2026, 10, 25, 0), local(2026, 10, 25, 12))
    add_shift(world, local(2026, 10, 25, 12), local(2026, 10, 26, 0))
    shift = Shift.objects.order_by("starts_at").first()
    assert shift.ends_at - shift.starts_at == timedelta(hours=13)
    body = html(signed_in(world.admin).get(reverse("rota_week"), {"week": "2026-10-25"}))
    assert "week of Monday 19 October 2026" in body
    assert "Clocks change" in body
    assert grid_cells(body)[6] == "00:00 BST-12:00 GMT Coordinator 12:00 GMT-24:00 Coordinator"


def test_another_services_rota_is_not_shown(world):
    add_shift(world, local(2026, 6, 1, 8), local(2026, 6, 1, 20))
    body = html(signed_in(world.coordinator_other).get(reverse("rota_week")))
    assert "B MSCC" in body
    assert "Coordinator" not in "".join(grid_cells(body))
    assert "No shifts this week." in body


# --- Admin writes ---------------------------------------------------------------------


def test_admin_adds_a_shift_in_uk_time(world):
    client = signed_in(world.admin)
    response = client.post(reverse("rota_shift_create"), shift_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("rota_week") + "?week=2026-06-08"
    shift = Shift.objects.get()
    # 08:00 BST is 07:00 UTC.
    assert shift.starts_at == datetime(2026, 6, 10, 7, tzinfo=UTC)
    assert (shift.role, shift.user, shift.service) == (COORD, world.coordinator, world.service)
    body = html(client.get(response["Location"]))
    assert "Shift added" in body


def test_admin_adds_a_shift_across_the_clocks_going_back(world):
    data = shift_post(starts_at="2026-10-25T00:00", ends_at="2026-10-25T12:00")
    assert signed_in(world.admin).post(reverse("rota_shift_create"), data).status_code == 302
    shift = Shift.objects.get()
    assert shift.ends_at - shift.starts_at == timedelta(hours=13)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"ends_at": "2026-06-10T07:00"}, "ends_at", "The end must be after the start."),
        ({"starts_at": ""}, "starts_at", "Enter a date and time."),
        ({"starts_at": "tomorrow"}, "starts_at", "Enter a date and time, e.g."),
        ({"starts_at": "2026-10-25T01:30"}, "starts_at", "happens twice"),
        ({"starts_at": "2026-03-29T01:30"}, "starts_at", "does not happen"),
        ({"role": "porter"}, "role", "Choose the rota role."),
        ({"user": "senior"}, "user", "is not a coordinator"),
        ({"user": "coordinator-b"}, "user", "Choose who is on call, from your service."),
        ({"user": ""}, "user", "Choose who is on call, from your service."),
    ],
)
def test_shift_form_problems_name_the_field(world, data, field, message):
    response = signed_in(world.admin).post(reverse("rota_shift_create"), shift_post(**data))
    assert response.status_code == 400
    body = html(response)
    assert "There is a problem: nothing has been saved" in body
    assert f'href="#shift-{field}"' in body
    assert message in body
    assert f'id="shift-{field}"' in body
    assert not Shift.objects.exists()


def test_shift_form_keeps_what_was_typed(world):
    data = shift_post(ends_at="2026-06-10T07:00")
    body = html(signed_in(world.admin).post(reverse("rota_shift_create"), data))
    assert 'value="2026-06-10T08:00"' in body
    assert '<option value="coordinator" selected>' in body


def test_overlapping_shift_is_refused_on_the_page(world):
    add_shift(world, local(2026, 6, 10, 0), local(2026, 6, 10, 12))
    response = signed_in(world.admin).post(reverse("rota_shift_create"), shift_post())
    assert response.status_code == 400
    assert "add an override" in html(response)
    assert Shift.objects.count() == 1


def test_admin_adds_an_override_with_a_reason(world):
    data = shift_post(reason="Swap: Dr A covers Dr B")
    client = signed_in(world.admin)
    response = client.post(reverse("rota_override_create"), data)
    assert response.status_code == 302
    override = RotaOverride.objects.get()
    assert override.reason == "Swap: Dr A covers Dr B"
    assert override.created_by == world.admin
    body = html(client.get(response["Location"]))
    assert "Override added" in body
    assert "OVERRIDE" in body and "Swap: Dr A covers Dr B" in body


def test_an_override_without_a_reason_is_refused(world):
    response = signed_in(world.admin).post(reverse("rota_override_create"), shift_post())
    assert response.status_code == 400
    assert 'href="#override-reason"' in html(response)
    assert not RotaOverride.objects.exists()


def test_admin_deletes_a_future_shift(world):
    shift = add_shift(world, local(2026, 6, 10, 8), local(2026, 6, 10, 20))
    response = signed_in(world.admin).post(reverse("rota_shift_delete", args=[shift.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("rota_week") + "?week=2026-06-08"
    assert not Shift.objects.exists()


def test_a_started_shift_is_kept(world):
    shift = add_shift(world, local(2026, 6, 3, 8), local(2026, 6, 3, 20))
    client = signed_in(world.admin)
    body = html(client.get(reverse("rota_week")))
    assert reverse("rota_shift_delete", args=[shift.pk]) not in body
    response = client.post(reverse("rota_shift_delete", args=[shift.pk]), follow=True)
    assert "has started" in html(response)
    assert Shift.objects.filter(pk=shift.pk).exists()


def test_another_services_shift_is_404(world, other_admin):
    shift = add_shift(world, local(2026, 6, 10, 8), local(2026, 6, 10, 20))
    response = signed_in(other_admin).post(reverse("rota_shift_delete", args=[shift.pk]))
    assert response.status_code == 404
    assert Shift.objects.filter(pk=shift.pk).exists()


def test_other_service_admin_cannot_put_our_users_on_their_rota(world, other_admin):
    response = signed_in(other_admin).post(reverse("rota_shift_create"), shift_post())
    assert response.status_code == 400
    assert not Shift.objects.exists()


def test_get_on_a_write_url_is_refused(world):
    assert signed_in(world.admin).get(reverse("rota_shift_create")).status_code == 405


# --- Gaps page ------------------------------------------------------------------------


def test_gaps_page_lists_the_next_14_days_gaps_per_role(world):
    end = NOW + timedelta(days=15)
    add_shift(world, NOW - timedelta(hours=1), end)
    add_shift(world, NOW - timedelta(hours=1), local(2026, 6, 5, 8), role=SENIOR, user=world.senior)
    add_shift(world, local(2026, 6, 5, 20), end, role=SENIOR, user=world.senior)
    response = signed_in(world.coordinator).get(reverse("rota_gaps"))
    assert response.status_code == 200
    body = html(response)
    assert "There are times with NOBODY ON CALL" in body
    senior = body.split("Senior clinician</h2>")[1]
    assert "Fri 5 Jun 2026, 08:00 BST" in senior and "Fri 5 Jun 2026, 20:00 BST" in senior
    assert "12 h" in senior
    coordinator = body.split("MSCC coordinator</h2>")[1].split("</section>")[0]
    assert "Covered at every minute." in coordinator


def test_gaps_page_says_plainly_when_there_are_none(world):
    end = NOW + timedelta(days=15)
    add_shift(world, NOW, end)
    add_shift(world, NOW, end, role=SENIOR, user=world.senior)
    body = html(signed_in(world.admin).get(reverse("rota_gaps")))
    assert "No gaps" in body
    assert "NOBODY ON CALL" not in body


def test_week_page_queries_do_not_grow_with_the_rota(world):
    client = signed_in(world.admin)

    def queries_for_a_week_of(days: int) -> int:
        Shift.objects.all().delete()
        for day in range(1, days + 1):
            add_shift(world, local(2026, 6, day, 8), local(2026, 6, day, 20))
            add_shift(world, local(2026, 6, day, 0), local(2026, 6, day, 8), user=world.coordinator)
            RotaOverride.objects.create(
                service=world.service,
                role=COORD,
                user=world.coordinator,
                starts_at=local(2026, 6, day, 9),
                ends_at=local(2026, 6, day, 10),
                reason="Cover",
                created_by=world.admin,
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("rota_week"), {"week": "2026-06-01"}).status_code == 200
        return len(queries)

    assert queries_for_a_week_of(1) == queries_for_a_week_of(7)
