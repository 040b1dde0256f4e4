"""The roles a user may hold: every app decides who may do what by these
(core/permissions.py has each API action's roles)."""

from core.labels import LabelledEnum


class Role(LabelledEnum):
    REFERRER = "referrer", "Referrer"
    COORDINATOR = "coordinator", "Coordinator"
    SENIOR_CLINICIAN = "senior_clinician", "Senior clinician"
    ALLIANCE_LEAD = "alliance_lead", "Alliance lead"
    SERVICE_ADMIN = "service_admin", "Service admin"
