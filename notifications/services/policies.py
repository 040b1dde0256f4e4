"""Escalation policies: the default for a new service, drafts and publishing.

A published policy is never changed: each referral stores the policy it
started under and the sweep reads that policy's steps (STYLE.md habit 6). A
service admin starts a draft from a policy, edits its steps, and publishes it;
from then on new referrals start under it. One draft per service at a time.

Locks, always taken in this order so two admins cannot deadlock: the service
row (serialises drafting and publishing for one service: unlike pathways there
is no database constraint behind "one draft per service", so this lock is the
only guard), then the policy row (serialises edits of a draft against its
publishing, so publish validates exactly what goes live).
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.errors import Conflict, DomainError, Forbidden
from core.roles import Role
from core.versioning import rows_copy
from notifications import policy_rules
from notifications.models import EscalationPolicy, EscalationStep
from notifications.policy_defaults import DEFAULT_STEPS
from notifications.policy_rules import Errors, StepData
from referrals.models import Service, User


class PolicyInvalid(DomainError):
    """A step or a whole draft breaks notifications/policy_rules.py;
    ``errors`` names every field at fault."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(errors=errors)


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


# --- who may configure, and whom a step may name -------------------------------


def escalation_policy_may_configure(*, user: User, service_id: int | None) -> bool:
    """A superuser may configure any service's escalation policy; a service
    admin only their own service's; nobody else any."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return (
        user.role == Role.SERVICE_ADMIN
        and user.service_id is not None
        and user.service_id == service_id
    )


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


def _require_may_configure(user: User, service_id: int) -> None:
    if not escalation_policy_may_configure(user=user, service_id=service_id):
        raise Forbidden(
            "Only an admin of this service can change its escalation policy.", field="service"
        )


def _lock_service(service_id: int) -> Service:
    return Service.objects.select_for_update().get(pk=service_id)


def _lock_draft(policy_id: int, user: User) -> EscalationPolicy:
    """The policy, locked, if ``user`` may configure it and it is still a draft."""
    # No select_related here: FOR UPDATE would lock the joined service row as
    # well, outside the service-then-policy order above.
    policy = EscalationPolicy.objects.select_for_update().get(pk=policy_id)
    _require_may_configure(user, policy.service_id)
    if policy.published_at is not None:
        raise Conflict(
            f"Escalation policy v{policy.number} is published and can never be changed: "
            "referrals started under it keep it. Start a new draft from it instead.",
            field="policy",
        )
    return policy


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


@transaction.atomic
def escalation_policy_draft_create(
    *, policy: EscalationPolicy, user: User, note: str = ""
) -> EscalationPolicy:
    """A new draft, numbered after the service's newest policy, holding a copy
    of every step of ``policy``. Refused while the service already has a draft."""
    _require_may_configure(user, policy.service_id)
    service = _lock_service(policy.service_id)
    policies = EscalationPolicy.objects.filter(service=service)
    open_draft = policies.filter(published_at__isnull=True).first()
    if open_draft is not None:
        raise Conflict(
            f"{service.code} already has a draft escalation policy, v{open_draft.number}: "
            "publish it (or edit it) first. A service has one draft at a time.",
            field="policy",
        )
    source = policies.get(pk=policy.pk)
    number = (policies.aggregate(last=Max("number"))["last"] or 0) + 1
    draft = EscalationPolicy(
        service=service,
        number=number,
        created_by=user,
        note=note or f"Draft from v{source.number}",
    )
    draft._history_user = user  # type: ignore[attr-defined]
    draft.save()
    rows_copy(
        rows=source.steps.order_by("position", "id"),
        model=EscalationStep,
        parent_field="policy",
        parent=draft,
        user=user,
    )
    return draft


@transaction.atomic
def escalation_policy_update(
    *, policy: EscalationPolicy, user: User, note: str
) -> EscalationPolicy:
    """Change a draft's note (what changed and why)."""
    draft = _lock_draft(policy.pk, user)
    draft.note = note
    draft._history_user = user  # type: ignore[attr-defined]
    draft.save(update_fields=["note"])
    return draft


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
    draft = _lock_draft(policy.pk, user)
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


@transaction.atomic
def escalation_policy_publish(
    *, policy: EscalationPolicy, user: User, now: datetime
) -> EscalationPolicy:
    """Check the whole draft and publish it: from ``now`` it is the policy new
    referrals start under. Referrals already started keep theirs."""
    _require_may_configure(user, policy.service_id)
    _lock_service(policy.service_id)
    draft = _lock_draft(policy.pk, user)
    steps = [step_data(s) for s in draft.steps.order_by("position", "id")]
    errors = policy_rules.publish_errors(steps)
    for data in steps:
        # Checked again here: someone named may have left since the edit.
        problem = _named_user_problem(data.named_user_id, draft.service)
        key = f"steps.{data.position}.named_user"
        if problem and key not in errors:
            errors[key] = [problem]
    if errors:
        raise PolicyInvalid(errors)
    if EscalationPolicy.objects.filter(
        service_id=draft.service_id, number__gt=draft.number, published_at__isnull=False
    ).exists():
        # Cannot happen while drafts are numbered after every policy, but a
        # published policy that would not become current must not go live.
        raise Conflict(f"An escalation policy newer than v{draft.number} is already published.")
    draft.published_at = now
    draft._history_user = user  # type: ignore[attr-defined]
    draft.save(update_fields=["published_at"])
    return draft
