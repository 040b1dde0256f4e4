from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from referrals.codes import Sex


class Patient(models.Model):
    """A person, known by NHS number. Seen only through referrals in scope."""

    nhs_number = models.CharField(max_length=10, unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=16, choices=choices(Sex))
    postcode = models.CharField(max_length=8)
    # Index of Multiple Deprivation decile (1 most deprived), for the inequality
    # reports of NG234 1.1.13; derived from postcode where known.
    imd_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.family_name.upper()}, {self.given_name} ({self.formatted_nhs_number})"

    @property
    def formatted_nhs_number(self) -> str:
        n = self.nhs_number
        return f"{n[:3]} {n[3:6]} {n[6:]}"
