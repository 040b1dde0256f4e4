"""GET /health/: database, broker, the age of the last sweep, workers answering.

200 while the database answers (intake needs only the database); the body
says "degraded" when the broker or the workers are down, so monitoring and
the coordinator pages can say so loudly. 503 when the database is down.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from mscc.celery import app as celery_app
from notifications.selectors import heartbeat_age_seconds, heartbeat_is_stale


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        # The URL from settings, read per call, so a changed setting is honoured.
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def health(request: HttpRequest) -> JsonResponse:
    database = _database_ok()
    broker = _broker_ok()
    now = timezone.now()
    age = heartbeat_age_seconds(name="worker", now=now) if database else None
    workers = database and not heartbeat_is_stale(age)
    sweep_age = heartbeat_age_seconds(name="sweep", now=now) if database else None
    sweep = database and not heartbeat_is_stale(sweep_age, settings.MSCC_SWEEP_STALE_SECONDS)
    body = {
        "status": "ok" if database and broker and workers and sweep else "degraded",
        "database": "ok" if database else "down",
        "broker": "ok" if broker else "down",
        "workers": "ok" if workers else "not answering",
        "last_heartbeat_age_seconds": None if age is None else round(age, 1),
        "sweep": "ok" if sweep else "stopped",
        "last_sweep_age_seconds": None if sweep_age is None else round(sweep_age, 1),
    }
    if not database:
        body["status"] = "down"
    response = JsonResponse(body, status=200 if database else 503)
    if not database:
        response["Retry-After"] = str(settings.MSCC_DATABASE_RETRY_AFTER_SECONDS)
    return response
