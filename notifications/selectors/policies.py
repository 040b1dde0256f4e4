"""Reads of escalation policies."""

import copy
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from notifications.codes import StepWhen
from notifications.escalation_rules import StepTiming
from notifications.models import EscalationPolicy, EscalationStep
from referrals.models import Service

# Published policies never change (core/versioned.py): each one's step
# timings are read once per process, keyed by its id and publication time.
# Which policy is current is a query every time (a policy applies from the
# moment it is published). Only timings are kept, never the step rows with
# their named users (a user's details change).
_PUBLISHED: dict[tuple[int, datetime], EscalationPolicy] = {}
_PUBLISHED_LIMIT = 64


def escalation_policies_published(service: Any) -> "QuerySet[EscalationPolicy]":
    """A service's published policies, newest first; ``service`` a value or
    an ``OuterRef`` (intake reads the current policy's key in a subquery)."""
    return EscalationPolicy.objects.filter(service=service, published_at__isnull=False).order_by(
        "-number"
    )


def escalation_policy_published(*, pk: int, published_at: datetime) -> EscalationPolicy:
    """A published policy carrying its step timings (``frozen_timings``) and
    the due-soon fraction they imply (``frozen_due_soon``, None for none):
    read once, then from memory. Each caller gets its own copy of the row."""
    key = (pk, published_at)
    policy = _PUBLISHED.get(key)
    if policy is None:
        policy = EscalationPolicy.objects.get(pk=pk, published_at=published_at)
        steps = list(EscalationStep.objects.filter(policy_id=pk))
        policy.frozen_timings = tuple(step_timings(steps))  # type: ignore[attr-defined]
        policy.frozen_due_soon = due_soon_fraction_in(steps)  # type: ignore[attr-defined]
        if len(_PUBLISHED) >= _PUBLISHED_LIMIT:
            _PUBLISHED.clear()
        _PUBLISHED[key] = policy
    return copy.copy(policy)


def published_cache_clear() -> None:
    """Forget the policies read (tests whose rolled-back rows reuse ids)."""
    _PUBLISHED.clear()


def escalation_policy_current(*, service: Service) -> EscalationPolicy | None:
    """The newest published policy: the one new referrals are frozen to.
    One query for which one it is; its step timings from memory."""
    key = escalation_policies_published(service).values_list("pk", "published_at").first()
    if key is None or key[1] is None:
        return None
    return escalation_policy_published(pk=key[0], published_at=key[1])


def due_soon_fraction_in(steps: list[EscalationStep]) -> float | None:
    """``due_soon_fractions``'s rule on one policy's steps in memory: the
    smallest warning fraction inside (0, 1), None when there is none."""
    usable = [
        s.fraction
        for s in steps
        if s.when == StepWhen.WARNING and s.fraction is not None and 0 < s.fraction < 1
    ]
    return min(usable) if usable else None


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
