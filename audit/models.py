"""Audit reference data: the postcode → deprivation lookup (NG234 1.1.13)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class PostcodeDeprivation(models.Model):
    """One postcode's Lower layer Super Output Area and its Index of Multiple
    Deprivation decile (1 = most deprived tenth), as published. Loaded by an
    admin with ``manage.py load_imd FILE.csv``; a referral's decile is looked
    up here by the patient's postcode at report time, so a lookup loaded later
    reaches earlier referrals too."""

    # Stored as the service stores a patient's postcode: upper case, one space
    # before the inward code ("LS1 4AP"), so the report joins on equality.
    postcode = models.CharField(max_length=8, primary_key=True)
    lsoa_code = models.CharField(max_length=16)
    imd_decile = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(imd_decile__gte=1, imd_decile__lte=10),
                name="postcode_deprivation_decile_1_to_10",
            )
        ]

    def __str__(self) -> str:
        return f"{self.postcode}: decile {self.imd_decile}"
