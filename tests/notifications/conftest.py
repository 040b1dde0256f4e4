"""Fixtures for the escalation tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Shift
from notifications.services.sweep import SweepResult, sweep


@pytest.fixture
def on_call(world):
    """The coordinator and senior clinician on call from yesterday to tomorrow."""
    start = timezone.now() - timedelta(days=1)
    for role, user in (("coordinator", world.coordinator), ("senior_clinician", world.senior)):
        Shift.objects.create(
            service=world.service,
            role=role,
            user=user,
            starts_at=start,
            ends_at=start + timedelta(days=2),
        )
    world.coordinator.email = "coordinator@example.invalid"
    world.coordinator.save()
    return world


def run(now, **kwargs) -> tuple[SweepResult, list[str]]:
    """One sweep as a function call; returns its result and the ids it enqueued."""
    queued: list[str] = []
    result = sweep(now=now, enqueue=queued.extend, **kwargs)
    return result, queued
