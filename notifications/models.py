from django.db import models


class Heartbeat(models.Model):
    """The last time a periodic task ran in a worker: proof that beat and a
    worker are both alive. One row per name, overwritten each beat."""

    name = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField()
    worker = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class Shift(models.Model):
    """Who is on call for a role in a service, from ``starts_at`` to ``ends_at``
    (NG234 1.1.6, 1.1.7, 1.1.18: a coordinator and a senior clinician at all times)."""

    ROLE_CHOICES = [("coordinator", "MSCC coordinator"), ("senior_clinician", "Senior clinician")]

    service = models.ForeignKey(
        "referrals.Service", on_delete=models.PROTECT, related_name="shifts"
    )
    role = models.CharField(max_length=32, choices=ROLE_CHOICES)
    user = models.ForeignKey("referrals.User", on_delete=models.PROTECT, related_name="shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["service", "role", "starts_at"], name="shift_lookup")]

    def __str__(self) -> str:
        return f"{self.role} {self.user} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"
