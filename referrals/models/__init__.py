from referrals.models.access import PatientDataAccess
from referrals.models.idempotency import IdempotencyRecord
from referrals.models.patients import Patient
from referrals.models.referral import Referral
from referrals.models.tenancy import Alliance, Organisation, Service
from referrals.models.users import User

__all__ = [
    "Alliance",
    "IdempotencyRecord",
    "Organisation",
    "Patient",
    "PatientDataAccess",
    "Referral",
    "Service",
    "User",
]
