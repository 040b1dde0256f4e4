"""Escalation policies: the default for a new service."""

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from notifications.models import EscalationPolicy, EscalationStep
from notifications.policy_defaults import DEFAULT_STEPS
from referrals.models import Service, User


@transaction.atomic
def escalation_policy_create_default(
    *, service: Service, user: User | None = None
) -> EscalationPolicy:
    """Version 1 of a service's escalation policy, published, with the defaults."""
    policy = EscalationPolicy(
        service=service,
        number=1,
        created_by=user,
        published_at=timezone.now(),
        note="Defaults (NG234 1.1.6, 1.1.7, 1.1.18)",
    )
    policy._history_user = user  # type: ignore[attr-defined]
    policy.save()
    bulk_create_with_history(
        [
            EscalationStep(
                policy=policy,
                position=position,
                when=step.when,
                fraction=step.fraction,
                delay=step.delay,
                recipient=step.recipient,
                channels=[c.value for c in step.channels],
                repeat_every=step.repeat_every,
            )
            for position, step in enumerate(DEFAULT_STEPS, start=1)
        ],
        EscalationStep,
        default_user=user,
    )
    return policy
