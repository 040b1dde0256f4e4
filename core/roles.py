"""The roles a user may hold (DESIGN.md section 7): every app decides who may
do what by these."""

from enum import StrEnum


class Role(StrEnum):
    REFERRER = "referrer"
    COORDINATOR = "coordinator"
    SENIOR_CLINICIAN = "senior_clinician"
    ALLIANCE_LEAD = "alliance_lead"
    SERVICE_ADMIN = "service_admin"
