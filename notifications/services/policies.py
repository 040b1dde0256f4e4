"""Escalation policies: the default for a new service, drafts and publishing.

A published policy is never changed: each referral stores the policy it
started under and the sweep reads that policy's steps (STYLE.md habit 6). A
service admin starts a draft from a policy, edits its steps, and publishes it;
from then on new referrals start under it. One draft per service at a time.
Numbering, locks, drafts and publishing are the shared versioned-configuration
services (core/versioned.py); this module adds the steps, their rules and
whom a step may name.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from core.errors import Conflict
from core.roles import Role
from core.versioned import ConfigurationInvalid, Errors, Versioning
from notifications import policy_rules
from notifications.models import EscalationPolicy, EscalationStep
from notifications.policy_defaults import DEFAULT_STEPS
from notifications.policy_rules import StepData
from referrals.models import Service, User


class PolicyInvalid(ConfigurationInvalid):
    """A step or a whole draft breaks notifications/policy_rules.py;
    ``errors`` names every field at fault."""


POLICIES = Versioning(
    model=EscalationPolicy,
    rows_model=EscalationStep,
    parent_field="policy",
    rows_order=("position", "id"),
    noun="escalation policy",
    what="escalation policy",
    error_field="policy",
    applies="under",
    invalid=PolicyInvalid,
)


def escalation_policy_create_default(
    *, service: Service, user: User | None = None
) -> EscalationPolicy:
    """Version 1 of a service's escalation policy, published, with the defaults."""
    return POLICIES.create_first(
        service=service,
        user=user,
        note="Defaults (NG234 1.1.6, 1.1.7, 1.1.18)",
        rows=[
            EscalationStep(
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
    )


# --- whom a step may name ----------------------------------------------------------


def named_user_candidates(*, service: Service) -> QuerySet[User]:
    """Whom a named-user step of ``service`` may reach: an active user of the
    service, or a lead of its alliance. Escalations carry patient details, so
    never someone outside the service's care."""
    return User.objects.filter(
        Q(service_id=service.pk) | Q(role=Role.ALLIANCE_LEAD, alliance_id=service.alliance_id),
        is_active=True,
    ).order_by("last_name", "first_name", "username")


def _named_user_problem(user_id: int | None, service: Service) -> str | None:
    if user_id is None:
        return None
    if named_user_candidates(service=service).filter(pk=user_id).exists():
        return None
    return (
        f"The named user must be an active user of {service.code} (or a lead of its "
        "alliance): escalations carry patient details."
    )


def step_data(step: EscalationStep) -> StepData:
    """The rule-checkable part of a stored step."""
    return StepData(
        position=step.position,
        when=step.when,
        recipient=step.recipient,
        channels=list(step.channels) if isinstance(step.channels, list) else step.channels,
        fraction=step.fraction,
        delay=step.delay,
        named_user_id=step.named_user_id,
        repeat_every=step.repeat_every,
    )


def _check(data: StepData, service: Service) -> None:
    errors = policy_rules.step_errors(data)
    problem = _named_user_problem(data.named_user_id, service)
    if problem and "named_user" not in errors:
        errors["named_user"] = [problem]
    if errors:
        raise PolicyInvalid(errors)


def _apply(step: EscalationStep, data: StepData) -> None:
    step.position = data.position
    step.when = data.when
    step.fraction = data.fraction
    step.delay = data.delay
    step.recipient = data.recipient
    step.named_user_id = data.named_user_id
    step.channels = list(data.channels)
    step.repeat_every = data.repeat_every


# --- drafts -----------------------------------------------------------------------


def escalation_policy_draft_create(
    *, policy: EscalationPolicy, user: User, note: str = ""
) -> EscalationPolicy:
    """A new draft, numbered after the service's newest policy, holding a copy
    of every step of ``policy``. Refused while the service already has a draft."""
    return POLICIES.draft_create(source=policy, user=user, note=note)


def escalation_policy_update(
    *, policy: EscalationPolicy, user: User, note: str
) -> EscalationPolicy:
    """Change a draft's note (what changed and why)."""
    return POLICIES.note_update(obj=policy, user=user, note=note)


@transaction.atomic
def escalation_steps_save(
    *,
    policy: EscalationPolicy,
    user: User,
    created: Sequence[StepData] = (),
    updated: Sequence[tuple[EscalationStep, StepData]] = (),
    deleted: Sequence[EscalationStep] = (),
) -> list[EscalationStep]:
    """Add, change and remove steps of a draft in one go, as the admin's
    inline form does; returns the steps added. Each step is checked, and so
    are the positions the draft ends up with, so steps can swap places."""
    draft = POLICIES.lock_draft(policy.pk, user)
    stored = {s.pk: s for s in EscalationStep.objects.filter(policy=draft)}
    for step in [*deleted, *(s for s, _ in updated)]:
        if step.pk not in stored:
            raise Conflict("That step is not (or no longer) part of this draft.", field="steps")
    for data in [*(d for _, d in updated), *created]:
        _check(data, draft.service)

    changed = {s.pk: d for s, d in updated}
    gone = {s.pk for s in deleted}
    final = [
        changed.get(pk, step_data(row)) for pk, row in stored.items() if pk not in gone
    ] + list(created)
    errors = policy_rules.position_errors(final)
    if errors:
        raise PolicyInvalid(errors)

    for pk in gone:
        row = stored.pop(pk)
        row._history_user = user  # type: ignore[attr-defined]
        row.delete()
    # Steps that move are first parked above every allowed position, so two
    # steps can swap places without tripping step_policy_position on the way.
    # A plain update writes no history on purpose: the parked position is
    # never a state anyone relies on, and the save below records the real one.
    moving = [pk for pk, data in changed.items() if stored[pk].position != data.position]
    park = max([policy_rules.MAX_POSITION, *(r.position for r in stored.values())]) + 1
    for offset, pk in enumerate(moving):
        EscalationStep.objects.filter(pk=pk).update(position=park + offset)
    for pk, data in changed.items():
        row = stored[pk]
        _apply(row, data)
        row._history_user = user  # type: ignore[attr-defined]
        row.save()
    added = []
    for data in created:
        step = EscalationStep(policy=draft)
        _apply(step, data)
        step._history_user = user  # type: ignore[attr-defined]
        step.save()
        added.append(step)
    return added


def escalation_step_create(
    *, policy: EscalationPolicy, user: User, data: StepData
) -> EscalationStep:
    """Add a step to a draft."""
    [step] = escalation_steps_save(policy=policy, user=user, created=[data])
    return step


def escalation_step_update(*, step: EscalationStep, user: User, data: StepData) -> EscalationStep:
    """Change a step of a draft."""
    escalation_steps_save(policy=step.policy, user=user, updated=[(step, data)])
    return EscalationStep.objects.get(pk=step.pk)


def escalation_step_delete(*, step: EscalationStep, user: User) -> None:
    """Remove a step from a draft. A draft applies to nobody, so no
    escalation refers to it; the history keeps the deletion and who made it."""
    escalation_steps_save(policy=step.policy, user=user, deleted=[step])


# --- publishing -------------------------------------------------------------------


def _publish_errors(draft: EscalationPolicy) -> Errors:
    steps = [step_data(s) for s in POLICIES.rows_of(draft)]
    errors = policy_rules.publish_errors(steps)
    for data in steps:
        # Checked again here: someone named may have left since the edit.
        problem = _named_user_problem(data.named_user_id, draft.service)
        key = f"steps.{data.position}.named_user"
        if problem and key not in errors:
            errors[key] = [problem]
    return errors


def escalation_policy_publish(
    *, policy: EscalationPolicy, user: User, now: datetime
) -> EscalationPolicy:
    """Check the whole draft and publish it: from ``now`` it is the policy new
    referrals start under. Referrals already started keep theirs."""
    return POLICIES.publish(obj=policy, user=user, now=now, errors_of=_publish_errors)
