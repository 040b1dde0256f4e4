"""Tenancy: a cancer alliance runs MSCC services; organisations refer to them."""

from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from referrals.codes import OrganisationKind


class Alliance(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    # For incidence per 100,000 a year in the audit reports; optional (no rates
    # without it).
    population = models.PositiveIntegerField(null=True, blank=True)
    # Counts from 1 up to this are suppressed in audit breakdowns.
    suppression_threshold = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1)]
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Service(models.Model):
    """An MSCC service with its 24/7 coordinator (NG234 1.1.6, 1.1.7)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="services")
    # The 24/7 number referrers are told to ring for an emergency (NG234 1.3.2).
    coordinator_phone = models.CharField(max_length=32, blank=True)
    # The service lead, escalated to when a clock stays breached.
    lead = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Where the webhook channel POSTs (a pager or SMS gateway), HMAC-signed
    # with the secret; both optional.
    webhook_url = models.URLField(blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True)
    # The webhook secret is kept out of the history tables.
    history = HistoricalRecords(excluded_fields=["webhook_secret"])

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Organisation(models.Model):
    """A referring organisation: GP practice, hospital ward, emergency department."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=choices(OrganisationKind))
    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="organisations")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
