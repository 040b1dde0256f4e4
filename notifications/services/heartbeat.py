from datetime import datetime

from notifications.models import Heartbeat


def heartbeat_record(*, name: str, at: datetime, worker: str = "") -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"at": at, "worker": worker[:200]}
    )
    return heartbeat
