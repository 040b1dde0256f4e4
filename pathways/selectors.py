from pathways.models import PathwayVersion
from referrals.models import Service


def pathway_version_current(*, service: Service) -> PathwayVersion | None:
    """The newest version of a service's pathway, with its clock definitions."""
    return (
        PathwayVersion.objects.filter(service=service)
        .prefetch_related("clock_definitions")
        .order_by("-number")
        .first()
    )
