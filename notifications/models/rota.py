"""Rotas: who is on call for each role of a service, at any instant."""

from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from notifications.codes import OnCallRole


class Shift(models.Model):
    """Who is on call for a role in a service, from ``starts_at`` to ``ends_at``
    (NG234 1.1.6, 1.1.7, 1.1.18: a coordinator and a senior clinician at all times)."""

    service = models.ForeignKey(
        "referrals.Service", on_delete=models.PROTECT, related_name="shifts"
    )
    role = models.CharField(max_length=32, choices=choices(OnCallRole))
    user = models.ForeignKey("referrals.User", on_delete=models.PROTECT, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Who put whom on call, and who took them off (single shifts, weekly
    # patterns, a deactivation's release): the rota is a clinical control.
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["service", "role", "starts_at"], name="shift_lookup")]

    def __str__(self) -> str:
        return f"{self.role} {self.user} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class RotaOverride(models.Model):
    """A cover arrangement that wins over the shifts for its period (swap,
    sickness, leave). The newest override covering an instant applies."""

    service = models.ForeignKey(
        "referrals.Service", on_delete=models.PROTECT, related_name="rota_overrides"
    )
    role = models.CharField(max_length=32, choices=choices(OnCallRole))
    user = models.ForeignKey("referrals.User", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="override_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["service", "role", "starts_at"], name="override_lookup"),
        ]

    def __str__(self) -> str:
        return f"override {self.role} {self.user} {self.starts_at:%Y-%m-%d %H:%M}"
