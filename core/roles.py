"""The roles a user may hold: every app decides who may do what by these
(core/permissions.py has each API action's roles)."""

from enum import StrEnum


class Role(StrEnum):
    REFERRER = "referrer"
    COORDINATOR = "coordinator"
    SENIOR_CLINICIAN = "senior_clinician"
    ALLIANCE_LEAD = "alliance_lead"
    SERVICE_ADMIN = "service_admin"
