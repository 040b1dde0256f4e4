from pathways.codes import EventKind
from pathways.models import ClinicalEvent, PathwayVersion
from referrals.models import Service


def pathway_version_current(*, service: Service) -> PathwayVersion | None:
    """The newest published version of a service's pathway, with its clock
    definitions: the one new referrals start on (drafts apply to nobody)."""
    return (
        PathwayVersion.objects.filter(service=service, published_at__isnull=False)
        .prefetch_related("clock_definitions")
        .order_by("-number")
        .first()
    )


def active_event_kinds(events: list[ClinicalEvent]) -> frozenset[str]:
    """The kinds of the events in ``events`` that stand (not withdrawn as
    entered in error)."""
    withdrawn = {e.corrects_id for e in events if e.kind == EventKind.ENTERED_IN_ERROR}
    return frozenset(
        e.kind for e in events if e.kind != EventKind.ENTERED_IN_ERROR and e.pk not in withdrawn
    )
