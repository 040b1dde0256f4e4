"""Reads of escalation policies."""

from notifications.codes import StepWhen
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


def due_soon_fractions(policy_ids: set[int]) -> dict[int, float]:
    """For each policy, the fraction of a clock's target left when its latest
    warning step fires (the smallest warning fraction): from then on the
    clock reads "due soon" (pathways.clock_rules.urgency_at). A policy with
    no warning step is absent: the caller uses the default (one query)."""
    fractions: dict[int, float] = {}
    for policy_id, fraction in EscalationStep.objects.filter(
        # Only a fraction the rule can use: the admin refuses others, the
        # column does not, and "due soon" must never fail a page.
        policy_id__in=policy_ids,
        when=StepWhen.WARNING,
        fraction__gt=0,
        fraction__lt=1,
    ).values_list("policy_id", "fraction"):
        if fraction is not None:  # filtered out above; said again for the type checker
            fractions[policy_id] = min(fraction, fractions.get(policy_id, fraction))
    return fractions
