"""python manage.py sweep_clocks [--now ISO-8601]: one escalation sweep,
synchronously, as if at that instant; idempotent; prints what it raised.

A sweep as of another instant than now is a simulation: it writes no sweep
heartbeat, so it can never make /health/ or the coordinator pages report a
sweep that is not running."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.services.sweep import sweep
from notifications.tasks import enqueue_deliveries


class Command(BaseCommand):
    help = "Run one escalation sweep now (or as if at --now) and print what it raised."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", help="ISO 8601 time with offset, e.g. 2026-11-24T03:00+00:00")
        parser.add_argument(
            "--no-send",
            action="store_true",
            help="write the rows but do not enqueue the send tasks",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(f"--now is not an ISO 8601 time: {exc}") from exc
            if now.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. +00:00.")
        enqueue = (lambda ids: None) if options["no_send"] else enqueue_deliveries
        result = sweep(now=now, enqueue=enqueue)
        for escalation in result.escalations:
            clock = escalation.clock
            self.stdout.write(
                f"{clock.referral.reference} {clock.kind} step {escalation.step.position} "
                f"({escalation.step.when} → {escalation.step.recipient}) fired "
                f"{escalation.fire_at:%Y-%m-%d %H:%M} UTC"
            )
        self.stdout.write(self.style.SUCCESS(f"Sweep as of {now.isoformat()}: {result.summary()}"))
        if result.simulated:
            self.stdout.write(
                "Simulated (--now is not the present): no sweep heartbeat written, "
                "so /health/ still reports the last real sweep."
            )
