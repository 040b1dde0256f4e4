"""Who may see which audit figures (docs/clinical-rules.md, section 6): an
alliance lead, their alliance (or one of its services); a service admin,
their own service whatever is asked; nobody else. Never patient identifiers:
the summary holds none."""

from audit.selectors.summary import AuditScope
from core.errors import DomainError, Forbidden
from core.roles import Role
from referrals.models import Alliance, Service, User

AUDIT_ROLES = frozenset({Role.ALLIANCE_LEAD, Role.SERVICE_ADMIN})


def _code(value: str | None, parameter: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 32 or "\x00" in value:
        raise DomainError("Not a code.", field=parameter)
    return value.strip()


def audit_scope_for(
    *, user: User, alliance_code: str | None = None, service_code: str | None = None
) -> AuditScope:
    """The scope ``user`` may see for what was asked; 400 naming the parameter
    for an unknown code, 403 for one outside the user's own."""
    alliance_code = _code(alliance_code, "alliance")
    service_code = _code(service_code, "service")
    alliance = service = None
    if alliance_code is not None:
        alliance = Alliance.objects.filter(code=alliance_code).first()
        if alliance is None:
            raise DomainError(f"No alliance has the code {alliance_code}.", field="alliance")
    if service_code is not None:
        service = Service.objects.select_related("alliance").filter(code=service_code).first()
        if service is None:
            raise DomainError(f"No service has the code {service_code}.", field="service")
    if user.role == Role.SERVICE_ADMIN and user.service_id is not None:
        # Their own service, whatever is asked.
        own = Service.objects.select_related("alliance").get(pk=user.service_id)
        return AuditScope(alliance=own.alliance, service=own)
    if user.role == Role.ALLIANCE_LEAD and user.alliance_id is not None:
        if alliance is not None and alliance.pk != user.alliance_id:
            raise Forbidden("An alliance lead sees their own alliance only.")
        alliance = alliance or Alliance.objects.get(pk=user.alliance_id)
        if service is not None and service.alliance_id != alliance.pk:
            raise Forbidden("That service is not in your alliance.")
        return AuditScope(alliance=alliance, service=service)
    raise Forbidden("Your role may not see the audit.")
