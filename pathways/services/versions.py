"""Pathway versions: the NG234 default for a new service (and, with the
admin, drafts and publishing)."""

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from pathways.defaults import NG234_DEFAULT_CLOCKS
from pathways.models import ClockDefinition, PathwayVersion
from referrals.models import Service, User


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
