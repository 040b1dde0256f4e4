import copy
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from pathways.codes import EventKind
from pathways.models import ClinicalEvent, PathwayVersion
from referrals.models import Service

# Published versions never change (core/versioned.py): each is read once per
# process, keyed by its id and publication time (a key no later version can
# share, even where a rolled-back transaction frees an id for reuse). Which
# version is current is never cached: it is a query every time, so a version
# applies from the moment it is published.
_PUBLISHED: dict[tuple[int, datetime], PathwayVersion] = {}
_PUBLISHED_LIMIT = 64


def pathway_versions_published(service: Any) -> "QuerySet[PathwayVersion]":
    """A service's published versions, newest first; ``service`` a value or
    an ``OuterRef`` (intake reads the current version's key in a subquery)."""
    return PathwayVersion.objects.filter(service=service, published_at__isnull=False).order_by(
        "-number"
    )


def pathway_version_published(*, pk: int, published_at: datetime) -> PathwayVersion:
    """A published version with its clock definitions (read once, then from
    memory). Each caller gets its own copy of the version row, so nothing a
    caller caches on it reaches another; the definitions are shared and must
    not be changed (they are frozen in the database too)."""
    key = (pk, published_at)
    version = _PUBLISHED.get(key)
    if version is None:
        version = PathwayVersion.objects.prefetch_related("clock_definitions").get(
            pk=pk, published_at=published_at
        )
        if len(_PUBLISHED) >= _PUBLISHED_LIMIT:
            _PUBLISHED.clear()
        _PUBLISHED[key] = version
    mine = copy.copy(version)
    mine._prefetched_objects_cache = dict(version._prefetched_objects_cache)  # type: ignore[attr-defined]
    return mine


def published_cache_clear() -> None:
    """Forget the versions read (tests whose rolled-back rows reuse ids)."""
    _PUBLISHED.clear()


def pathway_version_current(*, service: Service) -> PathwayVersion | None:
    """The newest published version of a service's pathway, with its clock
    definitions: the one new referrals start on (drafts apply to nobody).
    One query for which one it is; its definitions from memory."""
    key = pathway_versions_published(service).values_list("pk", "published_at").first()
    if key is None or key[1] is None:
        return None
    return pathway_version_published(pk=key[0], published_at=key[1])


def active_event_kinds(events: list[ClinicalEvent]) -> frozenset[str]:
    """The kinds of the events in ``events`` that stand (not withdrawn as
    entered in error)."""
    withdrawn = {e.corrects_id for e in events if e.kind == EventKind.ENTERED_IN_ERROR}
    return frozenset(
        e.kind for e in events if e.kind != EventKind.ENTERED_IN_ERROR and e.pk not in withdrawn
    )
