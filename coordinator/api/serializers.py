"""Input and output serializers for referrals. Inputs are strict: unknown
fields, unknown codes, naive datetimes and impossible dates are refused with
the field named; outputs never carry integer keys."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coordinator.selectors import clock_view, referral_prompts
from core.api.fields import (
    _codes,
)
from notifications.api.escalations import EscalationOutput
from notifications.selectors.escalations import referral_escalations
from pathways.codes import ClockKind, ClockStatus
from referrals import rules
from referrals.codes import (
    Category,
)
from referrals.models import Referral
from referrals.selectors import triage_input_for

# --- Outputs ------------------------------------------------------------------


class PromptOutput(serializers.Serializer):
    code = serializers.CharField()
    recommendation = serializers.CharField()
    text = serializers.CharField()


_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


class ClockOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=_codes(ClockKind))
    status = serializers.ChoiceField(choices=_codes(ClockStatus))
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField(allow_null=True)
    target_hours = serializers.FloatField()
    reference = serializers.CharField()
    stop_reason = serializers.CharField()
    not_appropriate = serializers.BooleanField()
    not_appropriate_reason = serializers.CharField()
    seconds_left = serializers.IntegerField(allow_null=True)
    time_left = serializers.CharField(allow_null=True)

    def to_representation(self, view: dict[str, Any]) -> dict[str, Any]:
        """Built by hand from ``clock_view``: the queue renders a hundred clocks
        a page. A test holds it to what DRF's generic path gives."""
        stopped = view["stopped_at"]
        return {
            **view,
            "id": str(view["id"]),
            "started_at": _DATETIME.to_representation(view["started_at"]),
            "due_at": _DATETIME.to_representation(view["due_at"]),
            "stopped_at": _DATETIME.to_representation(stopped) if stopped else None,
        }


# One instance for every row: building a serializer per referral copied its
# fields each time, and that garbage was most of the queue's tail latency.
_CLOCK_OUTPUT = ClockOutput()


class EventOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    details = serializers.CharField()
    corrects = serializers.UUIDField(source="corrects_id", allow_null=True)
    withdrawn = serializers.SerializerMethodField()

    def get_withdrawn(self, event: Any) -> bool:
        """Withdrawn by a later entered_in_error event (context: withdrawn ids)."""
        return event.pk in self.context.get("withdrawn_ids", ())


class ScoreOutput(serializers.Serializer):
    """A recorded SINS or revised Tokuhashi score (support, never a decision)."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    inputs = serializers.JSONField()
    score = serializers.IntegerField()
    band = serializers.CharField()
    predicted_survival = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(source="recorded_by.username")


class MdtDecisionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    decided_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    participants = serializers.CharField()
    decision = serializers.CharField()
    reasons = serializers.CharField()
    care_plan = serializers.CharField()
    high_risk_of_side_effects = serializers.BooleanField()


class PatientOutput(serializers.Serializer):
    nhs_number = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    sex = serializers.CharField()
    postcode = serializers.CharField()


class ReferralSummaryFields(serializers.Serializer):
    """The fields of a referral in a list or the queue: what a coordinator
    scans a row for. The declaration is the contract (and the OpenAPI schema)."""

    id = serializers.UUIDField()
    reference = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    triage_category = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()
    suspected_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    identity_check_required = serializers.BooleanField()
    patient = PatientOutput()
    referring_organisation = serializers.CharField(source="referring_organisation.code")
    service = serializers.CharField(source="service.code")
    clocks = serializers.SerializerMethodField()

    @extend_schema_field(ClockOutput(many=True))
    def get_clocks(self, referral: Referral) -> list[dict[str, Any]]:
        now = self.context["now"]
        return [_CLOCK_OUTPUT.to_representation(clock_view(c, now)) for c in referral.clocks.all()]


class ReferralSummaryOutput(ReferralSummaryFields):
    """ReferralSummaryFields, built by hand: the queue and lists render many
    rows, and DRF's field-by-field path was most of their time. A test holds
    this to exactly what the generic path gives."""

    def to_representation(self, referral: Referral) -> dict[str, Any]:
        patient = referral.patient
        acknowledged = referral.acknowledged_at
        return {
            "id": str(referral.id),
            "reference": referral.reference,
            "category": referral.category,
            "category_label": referral.category_label,
            "triage_category": referral.triage_category,
            "status": referral.status,
            "received_at": _DATETIME.to_representation(referral.received_at),
            "suspected_at": _DATETIME.to_representation(referral.suspected_at),
            "acknowledged_at": _DATETIME.to_representation(acknowledged) if acknowledged else None,
            "identity_check_required": referral.identity_check_required,
            "patient": {
                "nhs_number": patient.nhs_number,
                "given_name": patient.given_name,
                "family_name": patient.family_name,
                "date_of_birth": _DATE.to_representation(patient.date_of_birth),
                "sex": patient.sex,
                "postcode": patient.postcode,
            },
            "referring_organisation": referral.referring_organisation.code,
            "service": referral.service.code,
            "clocks": self.get_clocks(referral),
        }


class ReferralCreatedOutput(ReferralSummaryFields):
    """The answer to a new referral (README, "API"): the summary, the
    identity check, and the initial advice for its category."""

    identity_check_note = serializers.CharField()
    prompts = serializers.SerializerMethodField()

    @extend_schema_field(PromptOutput(many=True))
    def get_prompts(self, referral: Referral) -> list[dict[str, Any]]:
        # A new referral has no events yet: the advice is the triage advice.
        prompts = rules.prompts_for(triage_input_for(referral), Category(referral.category))
        return PromptOutput(prompts, many=True).data


class ReferralDetailOutput(ReferralSummaryFields):
    """One referral with everything known of it."""

    category_override_reason = serializers.CharField()
    identity_check_note = serializers.CharField()
    cancer_status = serializers.CharField()
    primary_tumour = serializers.CharField()
    haematological = serializers.CharField()
    pain_features = serializers.ListField(child=serializers.CharField())
    neuro_features = serializers.ListField(child=serializers.CharField())
    neuro_onset_at = serializers.DateTimeField(allow_null=True)
    neuro_progressing = serializers.BooleanField(allow_null=True)
    imaging_findings = serializers.CharField()
    known_spinal_metastases = serializers.BooleanField()
    back_pain = serializers.BooleanField()
    instability_signs = serializers.BooleanField()
    movement_pain = serializers.CharField()
    performance_status = serializers.IntegerField(allow_null=True)
    frailty_score = serializers.IntegerField(allow_null=True)
    ambulatory = serializers.BooleanField(allow_null=True)
    presentation = serializers.CharField()
    neurological_assessment = serializers.CharField()
    imaging_report = serializers.CharField()
    oncology_history = serializers.CharField()
    individual_needs = serializers.CharField()
    referrer_contact = serializers.CharField()
    pathway_version = serializers.IntegerField(source="pathway_version.number")
    status_changed_at = serializers.DateTimeField(allow_null=True)
    status_reason = serializers.CharField()
    redirected_to = serializers.CharField()
    prompts = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    mdt_decisions = MdtDecisionOutput(many=True)
    scores = ScoreOutput(many=True)
    escalations = serializers.SerializerMethodField()

    @extend_schema_field(EscalationOutput(many=True))
    def get_escalations(self, referral: Referral) -> list[dict[str, Any]]:
        """Who was told what, when (docs/architecture.md, section 5)."""
        return EscalationOutput(referral_escalations(referral), many=True).data

    @extend_schema_field(EventOutput(many=True))
    def get_events(self, referral: Referral) -> list[dict[str, Any]]:
        events = list(referral.events.all())
        withdrawn = {e.corrects_id for e in events if e.corrects_id}
        return EventOutput(events, many=True, context={"withdrawn_ids": withdrawn}).data

    @extend_schema_field(PromptOutput(many=True))
    def get_prompts(self, referral: Referral) -> list[dict[str, Any]]:
        return PromptOutput(referral_prompts(referral), many=True).data
