"""Reads of escalation policies."""

from notifications.escalation_rules import StepTiming
from notifications.models import EscalationPolicy, EscalationStep
from referrals.models import Service


def escalation_policy_current(*, service: Service) -> EscalationPolicy | None:
    """The newest published policy: the one new referrals are frozen to."""
    return (
        EscalationPolicy.objects.filter(service=service, published_at__isnull=False)
        .order_by("-number")
        .first()
    )


def step_timings(steps: list[EscalationStep]) -> list[StepTiming]:
    return [StepTiming(s.pk, s.when, s.fraction, s.delay) for s in steps]


def policy_steps(policy_ids: set[int]) -> dict[int, list[EscalationStep]]:
    """Every step of these policies, by policy id, in order (one query)."""
    steps: dict[int, list[EscalationStep]] = {pid: [] for pid in policy_ids}
    for step in EscalationStep.objects.filter(policy_id__in=policy_ids).select_related(
        "named_user"
    ):
        steps[step.policy_id].append(step)
    return steps
