"""Pathway versions: the NG234 default for a new service, drafts and
publishing.

A published version is never changed: referrals started on it keep it
(STYLE.md habit 6). A service admin starts a draft from a version, edits its
clock definitions, and publishes it; from then on new referrals start on it.
One draft per service at a time. Numbering, locks, drafts and publishing are
the shared versioned-configuration services (core/versioned.py); this module
adds the clock definitions and their rules.
"""

from dataclasses import fields as dataclass_fields
from datetime import datetime

from django.db import transaction

from core.versioned import ConfigurationInvalid, Versioning
from pathways import definition_rules
from pathways.defaults import NG234_DEFAULT_CLOCKS
from pathways.definition_rules import DefinitionData
from pathways.models import ClockDefinition, PathwayVersion
from referrals.models import Service, User


class PathwayInvalid(ConfigurationInvalid):
    """A clock definition or a whole draft breaks pathways/definition_rules.py;
    ``errors`` names every field at fault."""


VERSIONS = Versioning(
    model=PathwayVersion,
    rows_model=ClockDefinition,
    parent_field="version",
    rows_order=("id",),
    noun="pathway version",
    what="pathway",
    error_field="version",
    applies="on",
    invalid=PathwayInvalid,
)


def pathway_create_default(*, service: Service, user: User | None = None) -> PathwayVersion:
    """Version 1 of a service's pathway, with NG234's default clocks."""
    return VERSIONS.create_first(
        service=service,
        user=user,
        note="NG234 defaults",
        rows=[
            ClockDefinition(
                kind=d.kind,
                categories=list(d.categories),
                start_event=d.start_event,
                stop_event=d.stop_event,
                target=d.target,
                reference=d.reference,
                ng234_target=d.ng234_target,
                applies_when=d.applies_when,
            )
            for d in NG234_DEFAULT_CLOCKS
        ],
    )


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
    definition.reference = data.reference
    definition.justification = data.justification
    definition.applies_when = data.applies_when
    # Derived, never typed: otherwise raising it would dodge the
    # justification a longer-than-NG234 target needs.
    definition.ng234_target = definition_rules.ng234_target_for(
        data.kind, data.categories, data.applies_when
    )


def pathway_version_draft_create(
    *, version: PathwayVersion, user: User, note: str = ""
) -> PathwayVersion:
    """A new draft, numbered after the service's newest version, holding a copy
    of every clock definition of ``version``. Refused while the service
    already has a draft."""
    return VERSIONS.draft_create(source=version, user=user, note=note)


def pathway_version_update(*, version: PathwayVersion, user: User, note: str) -> PathwayVersion:
    """Change a draft's note (what changed and why)."""
    return VERSIONS.note_update(obj=version, user=user, note=note)


@transaction.atomic
def clock_definition_create(
    *, version: PathwayVersion, user: User, data: DefinitionData
) -> ClockDefinition:
    """Add a clock definition to a draft."""
    draft = VERSIONS.lock_draft(version.pk, user)
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
    draft = VERSIONS.lock_draft(definition.version_id, user)
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
    draft = VERSIONS.lock_draft(definition.version_id, user)
    stored = ClockDefinition.objects.get(pk=definition.pk, version=draft)
    stored._history_user = user  # type: ignore[attr-defined]
    stored.delete()


def pathway_version_publish(
    *, version: PathwayVersion, user: User, now: datetime
) -> PathwayVersion:
    """Check the whole draft and publish it: from ``now`` it is the version new
    referrals start on. Referrals already started keep theirs."""
    return VERSIONS.publish(
        obj=version,
        user=user,
        now=now,
        errors_of=lambda draft: definition_rules.publish_errors(
            [definition_data(d) for d in VERSIONS.rows_of(draft)]
        ),
    )
