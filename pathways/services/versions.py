"""Pathway versions: the NG234 default for a new service, drafts and
publishing.

A published version is never changed: referrals started on it keep it
(STYLE.md habit 6). A service admin starts a draft from a version, edits its
clock definitions, and publishes it; from then on new referrals start on it.
One draft per service at a time.

Locks, always taken in this order so two admins cannot deadlock: the service
row (serialises drafting and publishing for one service), then the version row
(serialises edits of a draft against its publishing, so publish validates
exactly what goes live).
"""

from dataclasses import fields as dataclass_fields
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.errors import Conflict, DomainError, Forbidden
from core.roles import Role
from core.versioning import rows_copy
from pathways import definition_rules
from pathways.defaults import NG234_DEFAULT_CLOCKS
from pathways.definition_rules import DefinitionData, Errors
from pathways.models import ClockDefinition, PathwayVersion
from referrals.models import Service, User


class PathwayInvalid(DomainError):
    """A clock definition or a whole draft breaks pathways/definition_rules.py;
    ``errors`` names every field at fault."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(errors=errors)


@transaction.atomic
def pathway_create_default(*, service: Service, user: User | None = None) -> PathwayVersion:
    """Version 1 of a service's pathway, with NG234's default clocks."""
    version = PathwayVersion(
        service=service,
        number=1,
        created_by=user,
        note="NG234 defaults",
        published_at=timezone.now(),
        published_by=user,
    )
    version._history_user = user  # type: ignore[attr-defined]
    version.save()
    bulk_create_with_history(
        [
            ClockDefinition(
                version=version,
                kind=d.kind,
                categories=list(d.categories),
                start_event=d.start_event,
                stop_event=d.stop_event,
                target=d.target,
                warning_fractions=list(d.warning_fractions),
                reference=d.reference,
                ng234_target=d.ng234_target,
            )
            for d in NG234_DEFAULT_CLOCKS
        ],
        ClockDefinition,
        default_user=user,
    )
    return version


def pathway_may_configure(*, user: User, service_id: int | None) -> bool:
    """A superuser may configure any service's pathway; a service admin only
    their own service's; nobody else any."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return (
        user.role == Role.SERVICE_ADMIN
        and user.service_id is not None
        and user.service_id == service_id
    )


def _require_may_configure(user: User, service_id: int) -> None:
    if not pathway_may_configure(user=user, service_id=service_id):
        raise Forbidden("Only an admin of this service can change its pathway.", field="service")


def _lock_service(service_id: int) -> Service:
    return Service.objects.select_for_update().get(pk=service_id)


def _lock_draft(version_id: int, user: User) -> PathwayVersion:
    """The version, locked, if ``user`` may configure it and it is still a draft."""
    version = PathwayVersion.objects.select_for_update().get(pk=version_id)
    _require_may_configure(user, version.service_id)
    if version.published_at is not None:
        raise Conflict(
            f"v{version.number} is published and can never be changed: referrals started "
            "on it keep it. Start a new draft from it instead.",
            field="version",
        )
    return version


def definition_data(definition: ClockDefinition) -> DefinitionData:
    """The rule-checkable part of a stored definition."""
    return DefinitionData(
        **{f.name: getattr(definition, f.name) for f in dataclass_fields(DefinitionData)}
    )


def _check(data: DefinitionData) -> None:
    errors = definition_rules.definition_errors(data)
    if errors:
        raise PathwayInvalid(errors)


def _apply(definition: ClockDefinition, data: DefinitionData) -> None:
    definition.kind = data.kind
    definition.categories = list(data.categories)
    definition.start_event = data.start_event
    definition.stop_event = data.stop_event
    definition.target = data.target
    definition.warning_fractions = list(data.warning_fractions)
    definition.reference = data.reference
    definition.justification = data.justification
    # Derived, never typed: otherwise raising it would dodge the
    # justification a longer-than-NG234 target needs.
    definition.ng234_target = definition_rules.ng234_target_for(data.kind, data.categories)


@transaction.atomic
def pathway_version_draft_create(
    *, version: PathwayVersion, user: User, note: str = ""
) -> PathwayVersion:
    """A new draft, numbered after the service's newest version, holding a copy
    of every clock definition of ``version``. Refused while the service
    already has a draft."""
    _require_may_configure(user, version.service_id)
    service = _lock_service(version.service_id)
    versions = PathwayVersion.objects.filter(service=service)
    open_draft = versions.filter(published_at__isnull=True).first()
    if open_draft is not None:
        raise Conflict(
            f"{service.code} already has a draft, v{open_draft.number}: publish it (or edit "
            "it) first. A service has one draft at a time.",
            field="version",
        )
    source = versions.get(pk=version.pk)
    number = (versions.aggregate(last=Max("number"))["last"] or 0) + 1
    draft = PathwayVersion(
        service=service,
        number=number,
        created_by=user,
        note=note or f"Draft from v{source.number}",
    )
    draft._history_user = user  # type: ignore[attr-defined]
    draft.save()
    rows_copy(
        rows=source.clock_definitions.order_by("id"),
        model=ClockDefinition,
        parent_field="version",
        parent=draft,
        user=user,
    )
    return draft


@transaction.atomic
def pathway_version_update(*, version: PathwayVersion, user: User, note: str) -> PathwayVersion:
    """Change a draft's note (what changed and why)."""
    draft = _lock_draft(version.pk, user)
    draft.note = note
    draft._history_user = user  # type: ignore[attr-defined]
    draft.save(update_fields=["note"])
    return draft


@transaction.atomic
def clock_definition_create(
    *, version: PathwayVersion, user: User, data: DefinitionData
) -> ClockDefinition:
    """Add a clock definition to a draft."""
    draft = _lock_draft(version.pk, user)
    _check(data)
    definition = ClockDefinition(version=draft)
    _apply(definition, data)
    definition._history_user = user  # type: ignore[attr-defined]
    definition.save()
    return definition


@transaction.atomic
def clock_definition_update(
    *, definition: ClockDefinition, user: User, data: DefinitionData
) -> ClockDefinition:
    """Change a clock definition of a draft."""
    draft = _lock_draft(definition.version_id, user)
    stored = ClockDefinition.objects.get(pk=definition.pk, version=draft)
    _check(data)
    _apply(stored, data)
    stored._history_user = user  # type: ignore[attr-defined]
    stored.save()
    return stored


@transaction.atomic
def clock_definition_delete(*, definition: ClockDefinition, user: User) -> None:
    """Remove a clock definition from a draft. A draft applies to nobody, so
    no clock refers to it; the history keeps the deletion and who made it."""
    draft = _lock_draft(definition.version_id, user)
    stored = ClockDefinition.objects.get(pk=definition.pk, version=draft)
    stored._history_user = user  # type: ignore[attr-defined]
    stored.delete()


@transaction.atomic
def pathway_version_publish(
    *, version: PathwayVersion, user: User, now: datetime
) -> PathwayVersion:
    """Check the whole draft and publish it: from ``now`` it is the version new
    referrals start on. Referrals already started keep theirs."""
    _require_may_configure(user, version.service_id)
    _lock_service(version.service_id)
    draft = _lock_draft(version.pk, user)
    errors = definition_rules.publish_errors(
        [definition_data(d) for d in draft.clock_definitions.order_by("id")]
    )
    if errors:
        raise PathwayInvalid(errors)
    if PathwayVersion.objects.filter(
        service_id=draft.service_id, number__gt=draft.number, published_at__isnull=False
    ).exists():
        # Cannot happen while drafts are numbered after every version, but a
        # published version that would not become current must not go live.
        raise Conflict(f"A version newer than v{draft.number} is already published.")
    draft.published_at = now
    draft.published_by = user
    draft._history_user = user  # type: ignore[attr-defined]
    draft.save(update_fields=["published_at", "published_by"])
    return draft
