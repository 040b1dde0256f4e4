from pathways.models import PathwayVersion
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
