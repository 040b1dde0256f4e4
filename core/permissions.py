"""Who may call what: every API action's roles, declared in one place.

A view names its action in ``permission_action`` (or per HTTP method in
``permission_actions``); ``RolePermission`` looks the roles up here. Scope
(which organisation's or service's records) is applied separately by the
selectors, so a permitted role still sees only its own referrals.
"""

from typing import Any

from rest_framework.permissions import BasePermission

from core.roles import Role

CLINICAL = frozenset({Role.COORDINATOR, Role.SENIOR_CLINICIAN})
REFERRING = frozenset({Role.REFERRER}) | CLINICAL
EVERYONE = frozenset(Role)
ADMINS = frozenset({Role.SERVICE_ADMIN})
# The audit: an alliance lead their alliance, a service admin their service.
AUDITORS = frozenset({Role.ALLIANCE_LEAD, Role.SERVICE_ADMIN})

ACTION_ROLES: dict[str, frozenset[Role]] = {
    "me": EVERYONE,
    "sign_out": EVERYONE,
    "referral_create": REFERRING,
    "referral_list": REFERRING,
    "referral_detail": REFERRING,
    "referral_acknowledge": CLINICAL,
    "referral_category": CLINICAL,
    "referral_suspected_at": CLINICAL,
    "referral_link": CLINICAL,
    "queue": CLINICAL,
    "referral_event": CLINICAL,
    "referral_status": CLINICAL,
    "referral_mdt": CLINICAL,
    "clock_not_appropriate": CLINICAL,
    "score_calculate": REFERRING,
    "score_record": CLINICAL,
    "rota_view": CLINICAL | ADMINS,
    "rota_manage": ADMINS,
    "coverage_gaps": CLINICAL | ADMINS,
    "escalation_acknowledge": CLINICAL,
    "notifications_inbox": CLINICAL | ADMINS,
    "audit_summary": AUDITORS,
    # Not an endpoint: who sees what the service holds for a referral's NHS
    # number and any identity mismatch. Everyone else sees the patient details
    # exactly as their referral sent them (issue 8, hazard H18).
    "patient_identity_held": CLINICAL,
    # Not an endpoint: the team pages (invite, role, deactivate; issue 11).
    "team_manage": ADMINS,
    # The list's CSV download (issue 11): the service's clinicians, as a
    # fallback list; recorded in the access log like any page.
    "referral_export": CLINICAL,
}


class RolePermission(BasePermission):
    message = "Your role may not do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        actions = getattr(view, "permission_actions", None)
        action = actions.get(request.method) if actions else view.permission_action
        if action is None:
            return False
        return user.role in ACTION_ROLES[action]
