"""A new MSCC service's starting configuration: the one place it is made."""

from django.db import transaction

from core.errors import DomainError
from notifications.models import EscalationPolicy
from notifications.selectors import escalation_policy_current
from notifications.services import escalation_policy_create_default
from pathways.models import PathwayVersion
from pathways.selectors import pathway_version_current
from pathways.services import pathway_create_default
from referrals.models import Service, User


class ServiceNotConfigured(DomainError):
    """A service whose only versions are unpublished drafts."""


@transaction.atomic
def service_provision(
    *, service: Service, user: User | None = None
) -> tuple[PathwayVersion, EscalationPolicy]:
    """Give ``service`` NG234's default pathway (version 1) and the default
    escalation policy where it has none, and return the versions new referrals
    start on. Idempotent: a service that has its own versions keeps them.

    The admin, ``seed_demo``, intake, the tests and the benchmarks all come
    here, so that no service can exist on which a referral would be refused
    for want of a pathway, or taken with nobody to escalate to."""
    # Lock the service row: two first referrals for a new service at once
    # must not make two version 1s.
    Service.objects.select_for_update().get(pk=service.pk)
    version = pathway_version_current(service=service)
    if version is None and not service.pathway_versions.exists():
        version = pathway_create_default(service=service, user=user)
    policy = escalation_policy_current(service=service)
    if policy is None and not service.escalation_policies.exists():
        policy = escalation_policy_create_default(service=service, user=user)
    if version is None or policy is None:
        # Only drafts exist: nothing applies until an admin publishes.
        missing = "pathway" if version is None else "escalation policy"
        raise ServiceNotConfigured(f"{service.code} has no published {missing}.", field="service")
    return version, policy
