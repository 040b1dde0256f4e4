"""The dead-man's switch cannot be fooled (issue 9, item 3): the sweep
heartbeat is the wall-clock time a real sweep ran, never the instant a
simulated one (``sweep_clocks --now``) was asked to judge, and a heartbeat
dated in the future proves nothing."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from notifications.models import Heartbeat
from notifications.selectors import heartbeat_is_stale
from notifications.services import heartbeat_record
from notifications.tasks import sweep_clocks
from tests.notifications.conftest import run

BANNER = "Escalations may not be running"


def banner_of(user: Any) -> str:
    client = Client()
    client.force_login(user)
    body = " ".join(client.get("/queue/").content.decode().split())
    start = body.find(BANNER)
    return "" if start < 0 else body[start : body.find("</div>", start)]


def test_sweep_clocks_six_hours_ahead_leaves_a_stopped_sweep_reported_stopped(
    world: Any, client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """The finding: beat stopped ten minutes ago; ``sweep_clocks --now +6h``
    made /health/ say "ok" (and quieted the banner) for six hours."""
    heartbeat_record(name="worker", at=timezone.now())
    last_real = timezone.now() - timedelta(minutes=10)
    heartbeat_record(name="sweep", at=last_real)

    ahead = (timezone.now() + timedelta(hours=6)).isoformat()
    call_command("sweep_clocks", "--now", ahead, "--no-send")

    assert "no sweep heartbeat written" in capsys.readouterr().out
    assert Heartbeat.objects.get(name="sweep").at == last_real
    body = client.get("/health/").json()
    assert (body["status"], body["sweep"]) == ("degraded", "stopped")
    assert body["last_sweep_age_seconds"] >= 600
    assert "has not run for 10 minutes" in banner_of(world.coordinator)


def test_a_simulated_sweep_never_writes_the_first_heartbeat(world: Any, client: Client) -> None:
    for instant in (timezone.now() + timedelta(hours=6), timezone.now() - timedelta(hours=6)):
        run(instant)
    assert not Heartbeat.objects.filter(name="sweep").exists()
    body = client.get("/health/").json()
    assert (body["sweep"], body["last_sweep_age_seconds"]) == ("stopped", None)


def test_beats_sweep_records_the_wall_clock_time_it_ran(db: Any) -> None:
    before = timezone.now()
    sweep_clocks()  # beat's task, called as a function
    at = Heartbeat.objects.get(name="sweep").at
    assert before <= at <= timezone.now()


def test_sweep_clocks_without_now_is_a_real_sweep(db: Any, client: Client) -> None:
    heartbeat_record(name="worker", at=timezone.now())
    call_command("sweep_clocks", "--no-send")
    assert timezone.now() - Heartbeat.objects.get(name="sweep").at < timedelta(seconds=5)
    assert client.get("/health/").json()["sweep"] == "ok"


def test_a_heartbeat_dated_in_the_future_is_stale(world: Any, client: Client) -> None:
    """A row written by a simulated sweep before the fix, or by a host whose
    clock is wrong, must not read as healthy until its date comes round."""
    ahead = timezone.now() + timedelta(hours=6)
    heartbeat_record(name="worker", at=ahead)
    heartbeat_record(name="sweep", at=ahead)
    body = client.get("/health/").json()
    assert (body["status"], body["sweep"], body["workers"]) == (
        "degraded",
        "stopped",
        "not answering",
    )
    assert body["last_sweep_age_seconds"] < -21000
    assert "last heartbeat is dated in the future" in banner_of(world.coordinator)


def test_a_few_seconds_of_clock_skew_between_hosts_is_not_stale() -> None:
    assert not heartbeat_is_stale(-10.0, 120)
    assert heartbeat_is_stale(-31.0, 120)
    assert not heartbeat_is_stale(119.0, 120)
    assert heartbeat_is_stale(121.0, 120)
    assert heartbeat_is_stale(None, 120)
