"""A real Celery worker and beat, started as processes against the test
database and the configured broker (Redis in CI), and GET /health/."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.models import Heartbeat
from notifications.services import heartbeat_record
from notifications.tasks import heartbeat


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_real_worker_write_the_heartbeat(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MSCC_HEARTBEAT_SECONDS": "1",
        "MSCC_VAR_DIR": str(settings.VAR_DIR),
    }
    celery = [sys.executable, "-m", "celery", "-A", "mscc"]
    worker = subprocess.Popen(
        [*celery, "worker", "--pool=solo", "-Q", queue, "--loglevel=WARNING"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "w"),  # noqa: SIM115
    )
    beat = subprocess.Popen(
        [*celery, "beat", "--schedule", str(tmp_path / "beat-schedule"), "--loglevel=WARNING"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "beat.log", "w"),  # noqa: SIM115
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Heartbeat.objects.filter(name="worker").exists():
            time.sleep(0.5)
        beat_row = Heartbeat.objects.get(name="worker")
        assert timezone.now() - beat_row.at < timedelta(seconds=30)
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            process.wait(timeout=30)


def test_heartbeat_task_called_as_a_function_records_the_time(db):
    heartbeat()
    assert timezone.now() - Heartbeat.objects.get(name="worker").at < timedelta(seconds=5)


def test_health_reports_all_well_with_a_fresh_heartbeat(client, db):
    heartbeat_record(name="worker", at=timezone.now())
    heartbeat_record(name="sweep", at=timezone.now())
    body = client.get("/health/").json()
    assert body["status"] == "ok", body
    assert body["database"] == body["broker"] == body["workers"] == "ok"
    assert body["last_heartbeat_age_seconds"] < 5
    assert body["sweep"] == "ok"
    assert body["last_sweep_age_seconds"] < 5


def test_health_says_when_the_sweep_has_stopped(client, db):
    heartbeat_record(name="worker", at=timezone.now())
    heartbeat_record(name="sweep", at=timezone.now() - timedelta(minutes=3))
    body = client.get("/health/").json()
    assert (body["status"], body["sweep"]) == ("degraded", "stopped")
    assert body["last_sweep_age_seconds"] >= 180


def test_health_says_loudly_when_workers_have_stopped(client, db):
    heartbeat_record(name="worker", at=timezone.now() - timedelta(minutes=10))
    response = client.get("/health/")
    assert response.status_code == 200  # intake still works on the database alone
    assert response.json()["status"] == "degraded"
    assert response.json()["workers"] == "not answering"


def test_health_without_any_heartbeat_is_degraded(client, db):
    assert client.get("/health/").json()["workers"] == "not answering"


def test_health_reports_a_broker_that_does_not_answer(client, db, settings):
    heartbeat_record(name="worker", at=timezone.now())
    heartbeat_record(name="sweep", at=timezone.now())
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    body = client.get("/health/").json()
    assert body["broker"] == "down"
    assert body["status"] == "degraded"
