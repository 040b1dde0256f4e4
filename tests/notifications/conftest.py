"""Fixtures for the escalation tests."""

from notifications.services.sweep import SweepResult, sweep


def run(now, **kwargs) -> tuple[SweepResult, list[str]]:
    """One sweep as a function call; returns its result and the ids it enqueued."""
    queued: list[str] = []
    result = sweep(now=now, enqueue=queued.extend, **kwargs)
    return result, queued
