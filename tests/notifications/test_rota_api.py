"""The rota API: roles, scope (another service's shift is a 404), strict
inputs naming the field, on-call answers and coverage gaps."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from referrals.models import User
from tests.factories import SeniorClinicianFactory, ServiceAdminFactory

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 3, 10, tzinfo=UTC)
COORD = OnCallRole.COORDINATOR
SENIOR = OnCallRole.SENIOR_CLINICIAN

ROTA = "/api/v1/rota/"
SHIFTS = "/api/v1/rota/shifts/"
OVERRIDES = "/api/v1/rota/overrides/"
ON_CALL = "/api/v1/rota/on-call/"
GAPS = "/api/v1/rota/gaps/"


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def add_shift(world: Any, start: datetime, end: datetime, **kw: Any) -> Shift:
    return Shift.objects.create(
        service=kw.pop("service", world.service),
        role=kw.pop("role", COORD),
        user=kw.pop("user", world.coordinator),
        starts_at=start,
        ends_at=end,
    )


def shift_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "role": "coordinator",
        "user": "coordinator",
        "starts_at": "2026-06-10T08:00:00+01:00",
        "ends_at": "2026-06-10T20:00:00+01:00",
    }
    body.update(overrides)
    return body


@pytest.fixture
def other_admin(world: Any) -> User:
    return ServiceAdminFactory(username="admin-b", service=world.other_service)


# --- Roles ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ROTA, ON_CALL, GAPS])
def test_reads_need_sign_in(api, world, path):
    assert api(None).get(path).status_code == 401


@pytest.mark.parametrize("path", [ROTA, ON_CALL, GAPS])
@pytest.mark.parametrize("who", ["referrer", "lead"])
def test_reads_are_for_clinicians_and_admins(api, world, path, who):
    assert api(getattr(world, who)).get(path).status_code == 403


@pytest.mark.parametrize("path", [ROTA, ON_CALL, GAPS])
@pytest.mark.parametrize("who", ["coordinator", "senior", "admin"])
def test_clinicians_and_admins_may_read(api, world, path, who):
    assert api(getattr(world, who)).get(path).status_code == 200


@pytest.mark.parametrize("who", ["coordinator", "senior", "referrer", "lead"])
def test_only_service_admins_write(api, world, who):
    shift = add_shift(world, NOW + timedelta(days=2), NOW + timedelta(days=3))
    client = api(getattr(world, who))
    assert client.post(SHIFTS, shift_body(), format="json").status_code == 403
    body = shift_body(reason="Swap")
    assert client.post(OVERRIDES, body, format="json").status_code == 403
    assert client.delete(f"{SHIFTS}{shift.pk}/").status_code == 403
    assert Shift.objects.count() == 1
    assert not RotaOverride.objects.exists()


# --- GET /rota/ -----------------------------------------------------------------------


def test_rota_lists_the_period_in_uk_time(api, world):
    add_shift(world, datetime(2026, 6, 10, 7, tzinfo=UTC), datetime(2026, 6, 10, 19, tzinfo=UTC))
    add_shift(world, NOW + timedelta(days=30), NOW + timedelta(days=31))  # outside
    add_shift(
        world,
        datetime(2026, 6, 10, 7, tzinfo=UTC),
        datetime(2026, 6, 10, 19, tzinfo=UTC),
        service=world.other_service,
        user=world.coordinator_other,
    )
    RotaOverride.objects.create(
        service=world.service,
        role=COORD,
        user=world.coordinator,
        starts_at=datetime(2026, 6, 10, 9, tzinfo=UTC),
        ends_at=datetime(2026, 6, 10, 10, tzinfo=UTC),
        reason="Cover",
        created_by=world.admin,
    )
    response = api(world.coordinator).get(
        ROTA, {"from": "2026-06-08T00:00:00+01:00", "to": "2026-06-15T00:00:00Z"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["from"] == "2026-06-08T00:00:00+01:00"
    assert len(data["shifts"]) == 1
    shift = data["shifts"][0]
    assert shift["starts_at"] == "2026-06-10T08:00:00+01:00"
    assert shift["user"] == {"username": "coordinator", "name": "Coordinator"}
    assert shift["role"] == "coordinator"
    (override,) = data["overrides"]
    assert override["reason"] == "Cover"
    assert override["created_by"]["username"] == "admin"


def test_rota_defaults_to_a_week_from_now(api, world):
    data = api(world.admin).get(ROTA).json()
    assert data["from"] == "2026-06-03T11:00:00+01:00"
    assert data["to"] == "2026-06-10T11:00:00+01:00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-06-08T00:00:00"}, "from"),  # no UTC offset
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-06-08T00:00:00Z", "to": "2026-06-01T00:00:00Z"}, "to"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "to"),
        ({"form": "2026-06-08T00:00:00Z"}, "form"),  # misspelt: refused, not ignored
    ],
)
def test_rota_query_is_strict(api, world, query, field):
    response = api(world.admin).get(ROTA, query)
    assert response.status_code == 400
    assert field in response.json()


# --- POST /rota/shifts/ ------------------------------------------------------------------


def test_admin_creates_a_shift(api, world):
    response = api(world.admin).post(SHIFTS, shift_body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    shift = Shift.objects.get()
    assert data["id"] == shift.pk
    assert shift.starts_at == datetime(2026, 6, 10, 7, tzinfo=UTC)
    assert (shift.service, shift.user) == (world.service, world.coordinator)


def test_a_shift_across_the_clocks_going_back_is_13_hours(api, world):
    body = shift_body(starts_at="2026-10-25T00:00:00+01:00", ends_at="2026-10-25T12:00:00+00:00")
    response = api(world.admin).post(SHIFTS, body, format="json")
    assert response.status_code == 201
    shift = Shift.objects.get()
    assert shift.ends_at - shift.starts_at == timedelta(hours=13)
    # Shown in UK time: BST at the start, GMT (DRF writes +00:00 as Z) at the end.
    assert response.json()["starts_at"] == "2026-10-25T00:00:00+01:00"
    assert response.json()["ends_at"] == "2026-10-25T12:00:00Z"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": "2026-06-10T08:00:00"}, "starts_at"),
        ({"ends_at": "2026-06-10T07:00:00+01:00"}, "ends_at"),
        ({"role": "registrar"}, "role"),
        ({"user": "senior"}, "user"),  # wrong role for the coordinator rota
        ({"user": "coordinator-b"}, "user"),  # another service's coordinator
        ({"user": "nobody"}, "user"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_shift_input_problems_name_the_field(api, world, changes, field):
    response = api(world.admin).post(SHIFTS, shift_body(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Shift.objects.exists()


def test_another_services_user_gets_the_same_answer_as_a_missing_one(api, world):
    client = api(world.admin)
    elsewhere = client.post(SHIFTS, shift_body(user="coordinator-b"), format="json").json()
    missing = client.post(SHIFTS, shift_body(user="nobody"), format="json").json()
    assert elsewhere["user"][0].replace("coordinator-b", "X") == missing["user"][0].replace(
        "nobody", "X"
    )


def test_overlapping_shift_is_refused(api, world):
    add_shift(world, datetime(2026, 6, 10, 0, tzinfo=UTC), datetime(2026, 6, 10, 12, tzinfo=UTC))
    response = api(world.admin).post(SHIFTS, shift_body(), format="json")
    assert response.status_code == 400
    assert "override" in response.json()["starts_at"][0]


# --- DELETE /rota/shifts/{id}/ -----------------------------------------------------------


def test_admin_deletes_a_future_shift(api, world):
    shift = add_shift(world, NOW + timedelta(days=1), NOW + timedelta(days=2))
    assert api(world.admin).delete(f"{SHIFTS}{shift.pk}/").status_code == 204
    assert not Shift.objects.exists()


def test_a_started_shift_is_a_409(api, world):
    shift = add_shift(world, NOW - timedelta(hours=1), NOW + timedelta(hours=11))
    response = api(world.admin).delete(f"{SHIFTS}{shift.pk}/")
    assert response.status_code == 409
    assert "has started" in response.json()["detail"]
    assert Shift.objects.exists()


def test_another_services_shift_is_a_404(api, world, other_admin):
    shift = add_shift(world, NOW + timedelta(days=1), NOW + timedelta(days=2))
    assert api(other_admin).delete(f"{SHIFTS}{shift.pk}/").status_code == 404
    assert api(world.admin).delete(f"{SHIFTS}999999/").status_code == 404
    assert Shift.objects.exists()


def test_another_services_rota_is_not_listed(api, world, other_admin):
    add_shift(world, NOW + timedelta(days=1), NOW + timedelta(days=2))
    data = api(other_admin).get(ROTA).json()
    assert data["shifts"] == []


# --- POST /rota/overrides/ ---------------------------------------------------------------


def test_admin_creates_an_override_that_wins(api, world):
    add_shift(world, NOW, NOW + timedelta(hours=12), role=SENIOR, user=world.senior)
    cover = SeniorClinicianFactory(username="senior-2", service=world.service, first_name="Cover")
    body = shift_body(
        role="senior_clinician",
        user="senior-2",
        starts_at="2026-06-03T11:30:00+01:00",
        ends_at="2026-06-03T13:00:00+01:00",
        reason="Sickness",
    )
    response = api(world.admin).post(OVERRIDES, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["created_by"]["username"] == "admin"
    assert RotaOverride.objects.get().user == cover
    on_call = api(world.coordinator).get(ON_CALL, {"at": "2026-06-03T11:00:00Z"}).json()
    assert {row["role"]: row["user"] for row in on_call["on_call"]} == {
        "coordinator": None,
        "senior_clinician": {"username": "senior-2", "name": "Cover"},
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "reason"),  # missing
        ({"reason": ""}, "reason"),
        ({"reason": "Swap", "ends_at": "2026-06-10T08:00:00+01:00"}, "ends_at"),
        ({"reason": "Swap", "role": "senior_clinician"}, "user"),
        ({"reason": "Swap", "created_by": "admin"}, "created_by"),
    ],
)
def test_override_input_problems_name_the_field(api, world, changes, field):
    response = api(world.admin).post(OVERRIDES, shift_body(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not RotaOverride.objects.exists()


# --- GET /rota/on-call/ -----------------------------------------------------------------


def test_on_call_answers_for_each_role_at_an_instant(api, world):
    add_shift(world, NOW - timedelta(hours=2), NOW + timedelta(hours=10))
    client = api(world.senior)
    data = client.get(ON_CALL, {"at": "2026-06-03T09:00:00+01:00"}).json()
    assert data["at"] == "2026-06-03T09:00:00+01:00"
    assert data["on_call"] == [
        {"role": "coordinator", "user": {"username": "coordinator", "name": "Coordinator"}},
        {"role": "senior_clinician", "user": None},
    ]
    # Half-open: the shift's end is not covered.
    end = (NOW + timedelta(hours=10)).isoformat()
    assert client.get(ON_CALL, {"at": end}).json()["on_call"][0]["user"] is None
    # Without ``at``: now.
    assert client.get(ON_CALL).json()["on_call"][0]["user"]["username"] == "coordinator"


def test_on_call_is_scoped_to_the_users_service(api, world):
    add_shift(world, NOW - timedelta(hours=2), NOW + timedelta(hours=10))
    data = api(world.coordinator_other).get(ON_CALL).json()
    assert [row["user"] for row in data["on_call"]] == [None, None]


@pytest.mark.parametrize("query", [{"at": "2026-06-03T09:00:00"}, {"at": "soon"}, {"when": "x"}])
def test_on_call_query_is_strict(api, world, query):
    response = api(world.admin).get(ON_CALL, query)
    assert response.status_code == 400
    assert next(iter(query)) in response.json()


# --- GET /rota/gaps/ ---------------------------------------------------------------------


def test_gaps_lists_the_next_14_days_gaps(api, world):
    end = NOW + timedelta(days=15)
    add_shift(world, NOW, end)
    add_shift(world, NOW, NOW + timedelta(days=2), role=SENIOR, user=world.senior)
    add_shift(world, NOW + timedelta(days=3), end, role=SENIOR, user=world.senior)
    data = api(world.coordinator).get(GAPS).json()
    assert data["from"] == "2026-06-03T11:00:00+01:00"
    assert data["to"] == "2026-06-17T11:00:00+01:00"
    assert data["gaps"] == [
        {
            "role": "senior_clinician",
            "starts_at": "2026-06-05T11:00:00+01:00",
            "ends_at": "2026-06-06T11:00:00+01:00",
        }
    ]


def test_gaps_with_no_rota_are_the_whole_fortnight_for_each_role(api, world):
    data = api(world.admin).get(GAPS).json()
    assert [(g["role"], g["starts_at"], g["ends_at"]) for g in data["gaps"]] == [
        ("coordinator", data["from"], data["to"]),
        ("senior_clinician", data["from"], data["to"]),
    ]
