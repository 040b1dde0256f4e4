"""Heartbeats: proof that beat, the sweep and a worker are alive."""

from django.db import models


class Heartbeat(models.Model):
    """The last time a periodic task ran in a worker: proof that beat and a
    worker are both alive. One row per name, overwritten each beat."""

    name = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField()
    worker = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
