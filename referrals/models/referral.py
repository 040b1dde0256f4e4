"""A referral: one episode of suspected spinal metastases or MSCC."""

import secrets
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from core.labels import choices
from referrals.codes import (
    EMERGENCY_CATEGORIES,
    TERMINAL_STATUSES,
    CancerStatus,
    Category,
    Haematological,
    ImagingFindings,
    ImagingModality,
    MovementPain,
    PrimaryTumour,
    ReferralStatus,
    Sex,
)

# The terminal statuses (referrals.codes.TERMINAL_STATUSES), spelled out
# sorted: the partial index's condition must be the queue's, in a stable form
# for the migration.
QUEUE_CLOSED_STATUSES = sorted(s.value for s in TERMINAL_STATUSES)

_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at 3 a.m.


def new_reference() -> str:
    return "MSCC-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    patient = models.ForeignKey(
        "referrals.Patient", on_delete=models.PROTECT, related_name="referrals"
    )
    referring_organisation = models.ForeignKey(
        "referrals.Organisation", on_delete=models.PROTECT, related_name="referrals"
    )
    service = models.ForeignKey(
        "referrals.Service", on_delete=models.PROTECT, related_name="referrals"
    )
    referred_by = models.ForeignKey(
        "referrals.User", on_delete=models.PROTECT, related_name="referrals_made"
    )
    # The pathway version the referral started on; later edits never reach it.
    # The escalation policy it started under (issue 4): frozen like the pathway.
    escalation_policy = models.ForeignKey(
        "notifications.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    pathway_version = models.ForeignKey(
        "pathways.PathwayVersion", on_delete=models.PROTECT, related_name="referrals"
    )

    received_at = models.DateTimeField()
    # Clocks run from suspicion, not from receipt (NICE QS56 statement 3).
    suspected_at = models.DateTimeField()
    # The referrer left the suspicion time blank: it was taken as the time of
    # receipt, shown as assumed until a coordinator confirms or corrects it.
    suspected_at_assumed = models.BooleanField(default=False)
    # Why the suspicion time was last corrected (the history keeps each one).
    suspected_at_reason = models.TextField(blank=True)
    neuro_onset_at = models.DateTimeField(null=True, blank=True)
    neuro_progressing = models.BooleanField(null=True, blank=True)

    # Box 1 and the other triage inputs (docs/clinical-rules.md, section 1).
    cancer_status = models.CharField(max_length=32, choices=choices(CancerStatus))
    primary_tumour = models.CharField(max_length=32, choices=choices(PrimaryTumour), blank=True)
    haematological = models.CharField(
        max_length=16, choices=choices(Haematological), default=Haematological.NO
    )
    pain_features = models.JSONField(default=list, blank=True)
    neuro_features = models.JSONField(default=list, blank=True)
    imaging_findings = models.CharField(
        max_length=32, choices=choices(ImagingFindings), default=ImagingFindings.NONE
    )
    # How that imaging was done (optional): only a whole-spine MRI starts
    # the MRI clock met.
    imaging_modality = models.CharField(max_length=32, choices=choices(ImagingModality), blank=True)
    known_spinal_metastases = models.BooleanField(default=False)
    back_pain = models.BooleanField(default=False)
    instability_signs = models.BooleanField(default=False)
    movement_pain = models.CharField(
        max_length=16, choices=choices(MovementPain), default=MovementPain.NONE
    )

    # Key information the coordinator records (NG234 1.1.15).
    performance_status = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(4)], help_text="WHO 0-4"
    )
    frailty_score = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text="Clinical Frailty Scale 1-9",
    )
    ambulatory = models.BooleanField(null=True, blank=True)
    presentation = models.TextField(blank=True)
    neurological_assessment = models.TextField(blank=True)
    imaging_report = models.TextField(blank=True)
    oncology_history = models.TextField(blank=True)
    individual_needs = models.TextField(blank=True, help_text="e.g. language, communication")
    referrer_contact = models.CharField(max_length=100, blank=True)

    # Triage: what the rules said, and what applies now. ``category`` is
    # derived (pathways/clock_derivation.py): triage's, then a coordinator's
    # override (``overridden_category``, with its reason), then MSCC confirmed
    # or ruled out by clinical events, each by when it happened;
    # ``category_reason`` says why it differs from triage's.
    triage_category = models.CharField(max_length=32, choices=choices(Category))
    category = models.CharField(max_length=32, choices=choices(Category))
    overridden_category = models.CharField(max_length=32, choices=choices(Category), blank=True)
    category_reason = models.TextField(blank=True)
    category_override_reason = models.TextField(blank=True)
    category_overridden_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category_overridden_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(
        max_length=32, choices=choices(ReferralStatus), default=ReferralStatus.RECEIVED
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The state held before a terminal move: a closure or death entered in
    # error is reversed back to it, with a reason (blank while open).
    status_before_close = models.CharField(
        max_length=32, choices=choices(ReferralStatus), blank=True
    )
    # Why it moved to its current state (required for the terminal states).
    status_reason = models.TextField(blank=True)
    # The earlier referral this one repeats (same person, same service): this
    # one was closed as its duplicate, and the audit counts one episode.
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    # Where a redirected referral went (another service or pathway).
    redirected_to = models.CharField(max_length=200, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Set when the identity details differ from those held for this NHS number:
    # the coordinator must confirm who the patient is (wrong-patient hazard).
    identity_check_required = models.BooleanField(default=False)
    identity_check_note = models.TextField(blank=True)

    # The patient's details exactly as this referral sent them (issue 8): what
    # the referrer is shown. What is held for the NHS number (``patient``), and
    # any mismatch, is for the service's coordinators and senior clinicians
    # only: showing it to a referrer would disclose another organisation's
    # cancer referral. Blank on a referral made before these fields existed
    # and not backfilled (a flagged mismatch): "not recorded".
    sent_given_name = models.CharField(max_length=100, blank=True)
    sent_family_name = models.CharField(max_length=100, blank=True)
    sent_date_of_birth = models.DateField(null=True, blank=True)
    sent_sex = models.CharField(max_length=16, choices=choices(Sex), blank=True)
    sent_postcode = models.CharField(max_length=8, blank=True)

    # The queue's order, stored (issue 12): the category's rank
    # (referrals.codes.CATEGORY_URGENCY), then the earliest due time of a
    # running timed clock (null: none, after those that have one), then
    # ``received_at``. One writer, coordinator.services.clocks
    # ``referral_clocks_follow``, in the transaction of every step that moves
    # it; the partial index below makes the queue's page an index scan. Left
    # out of the history: derived from the category and the clocks, which
    # keep theirs. The default (0) puts a referral that somehow missed its
    # write at the top, never below a routine one.
    queue_rank = models.PositiveSmallIntegerField(default=0)
    queue_due_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["queue_rank", "queue_due_at"])

    class Meta:
        indexes = [
            # The queue: a service's open referrals.
            models.Index(fields=["service", "status"], name="referral_service_status"),
            models.Index(
                fields=["referring_organisation", "-received_at"], name="referral_org_received"
            ),
            # Intake limits: a referrer's referrals in the last hour.
            models.Index(fields=["referred_by", "-received_at"], name="referral_by_received"),
            # The audit: an alliance's referrals received in a period.
            models.Index(fields=["received_at"], name="referral_received"),
            # The queue's page: a service's open referrals in the queue's
            # order, read with LIMIT (coordinator.selectors.queue_for).
            # PostgreSQL sorts an ascending column's nulls last, as the queue
            # does (SQLite cannot say NULLS LAST in an index).
            models.Index(
                fields=["service", "queue_rank", "queue_due_at", "received_at"],
                name="referral_queue_order",
                condition=~models.Q(status__in=QUEUE_CLOSED_STATUSES),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(suspected_at__lte=models.F("received_at")),
                name="referral_suspected_not_after_received",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_emergency(self) -> bool:
        """Shown as an emergency on every screen (referrals.codes.EMERGENCY_CATEGORIES)."""
        return self.category in EMERGENCY_CATEGORIES

    @property
    def category_label(self) -> str:
        return Category(self.category).label
