from datetime import datetime

from django.conf import settings

from notifications.models import Heartbeat


def heartbeat_age_seconds(*, name: str, now: datetime) -> float | None:
    """Seconds since the named heartbeat, or None if it never beat."""
    at = Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
    return None if at is None else (now - at).total_seconds()


# A heartbeat dated further ahead than this (a negative age) proves nothing: a
# wrong clock on the host that wrote it, or a simulated sweep recorded before
# issue 9 (item 3) was fixed. Hosts kept by NTP are milliseconds apart.
FUTURE_TOLERANCE_SECONDS = 30.0


def heartbeat_is_stale(age_seconds: float | None, limit: float | None = None) -> bool:
    """Never beat, older than ``limit`` seconds (default: the worker's), or
    dated in the future: only a recent beat at the wall clock is proof of life."""
    limit = settings.MSCC_HEARTBEAT_STALE_SECONDS if limit is None else limit
    return age_seconds is None or age_seconds > limit or age_seconds < -FUTURE_TOLERANCE_SECONDS
