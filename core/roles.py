"""The roles a user may hold (DESIGN.md section 7): every app decides who may
do what by these."""

from core.labels import LabelledEnum


class Role(LabelledEnum):
    REFERRER = "referrer", "Referrer"
    COORDINATOR = "coordinator", "Coordinator"
    SENIOR_CLINICIAN = "senior_clinician", "Senior clinician"
    ALLIANCE_LEAD = "alliance_lead", "Alliance lead"
    SERVICE_ADMIN = "service_admin", "Service admin"
