import socket

from celery import shared_task
from django.utils import timezone

from notifications.services import heartbeat_record


@shared_task(name="notifications.tasks.heartbeat", acks_late=True, ignore_result=True)
def heartbeat() -> None:
    """Write the worker heartbeat; beat sends this every MSCC_HEARTBEAT_SECONDS."""
    heartbeat_record(name="worker", at=timezone.now(), worker=socket.gethostname())
