"""Who looked at which patient's data, and when: append-only."""

from django.db import models

from core.models import AppendOnly


class PatientDataAccess(AppendOnly):
    """One row per view of patient-identifiable data (who saw what, and when).

    Append-only: the model refuses updates and deletes, and on PostgreSQL a
    trigger (migration 0002) refuses them in the database too.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey("referrals.User", on_delete=models.PROTECT, related_name="+")
    # What was viewed: e.g. "api.referral.detail", "page.queue", "admin.patient.list".
    view = models.CharField(max_length=64)
    # The path asked for, its query values redacted but for an allow-list
    # (referrals.services.access_path): an NHS number searched for is not kept.
    path = models.CharField(max_length=512)
    referral_ids = models.JSONField(default=list)
    # Patients whose record was shown as such (the admin's patient pages), as
    # well as the referrals they belong to in ``referral_ids``.
    patient_ids = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "patient data accesses"

    def __str__(self) -> str:
        return f"{self.user_id} {self.view} at {self.at:%Y-%m-%d %H:%M:%S}"
