from datetime import datetime

from django.conf import settings

from notifications.models import Heartbeat


def heartbeat_age_seconds(*, name: str, now: datetime) -> float | None:
    """Seconds since the named heartbeat, or None if it never beat."""
    at = Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
    return None if at is None else (now - at).total_seconds()


def heartbeat_is_stale(age_seconds: float | None, limit: float | None = None) -> bool:
    """Never beat, or older than ``limit`` seconds (default: the worker's)."""
    limit = settings.MSCC_HEARTBEAT_STALE_SECONDS if limit is None else limit
    return age_seconds is None or age_seconds > limit
