"""Input and output serializers for referrals. Inputs are strict: unknown
fields, unknown codes, naive datetimes and impossible dates are refused with
the field named; outputs never carry integer keys."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coordinator.selectors import (
    clock_view,
    due_soon_fraction_of,
    due_soon_fractions_for,
    open_duplicate_reference,
    referral_prompts,
    referral_stage,
    status_reason_shown_to,
    stop_reason_shown_to,
)
from core.api.fields import (
    _codes,
)
from notifications.api.escalations import EscalationOutput
from notifications.selectors.escalations import referral_escalations
from pathways.codes import ClockKind, ClockStatus, ClockUrgency, ReferralStage
from referrals import rules
from referrals.codes import (
    Category,
)
from referrals.models import Referral
from referrals.selectors import (
    PatientShown,
    identity_held_visible_to,
    patient_as_sent,
    patient_shown_to,
    triage_input_for,
)

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
    urgency = serializers.ChoiceField(
        choices=_codes(ClockUrgency),
        allow_null=True,
        help_text="How near a running clock with a due time is to it: overdue (past due), "
        "due_soon (no more than the fraction of its target at which the referral's escalation "
        "policy sends its latest warning left: 25% by default) or comfortable. Null for a "
        "stopped or measured clock. ``status`` is unchanged by it.",
    )
    started_at = serializers.DateTimeField()
    # Null for a measured clock (no target: never breached, never escalated).
    due_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    target_hours = serializers.FloatField(allow_null=True)
    measured = serializers.BooleanField()
    reference = serializers.CharField()
    stop_reason = serializers.CharField()
    not_appropriate = serializers.BooleanField()
    not_appropriate_reason = serializers.CharField()
    seconds_left = serializers.IntegerField(allow_null=True)
    time_left = serializers.CharField(allow_null=True)

    def to_representation(self, view: dict[str, Any]) -> dict[str, Any]:
        """Built by hand from ``clock_view``: the queue renders a hundred clocks
        a page. A test holds it to what DRF's generic path gives."""
        stopped, due = view["stopped_at"], view["due_at"]
        return {
            **view,
            "id": str(view["id"]),
            "started_at": _DATETIME.to_representation(view["started_at"]),
            "due_at": _DATETIME.to_representation(due) if due else None,
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
    # For ambulatory_assessed: whether the person walks (null otherwise).
    ambulatory = serializers.BooleanField(allow_null=True)
    withdrawn = serializers.SerializerMethodField()

    def get_withdrawn(self, event: Any) -> bool:
        """Withdrawn by a later entered_in_error event (context: withdrawn ids)."""
        return event.pk in self.context.get("withdrawn_ids", ())


class EventsOutput(EventOutput):
    """EventOutput built by hand, for a referral's whole list of events: a
    detail with 200 events spent most of its time in DRF's field-by-field
    path (issue 12). A test holds it to exactly what the generic path gives."""

    def to_representation(self, event: Any) -> dict[str, Any]:
        corrects = event.corrects_id
        return {
            "id": str(event.id),
            "kind": event.kind,
            "occurred_at": _DATETIME.to_representation(event.occurred_at),
            "recorded_at": _DATETIME.to_representation(event.recorded_at),
            "recorded_by": event.recorded_by.username,
            "details": event.details,
            "corrects": str(corrects) if corrects is not None else None,
            "ambulatory": event.ambulatory,
            "withdrawn": event.pk in self.context.get("withdrawn_ids", ()),
        }


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


def _patient_json(shown: PatientShown) -> dict[str, Any]:
    born = shown.date_of_birth
    return {
        "nhs_number": shown.nhs_number,
        "given_name": shown.given_name,
        "family_name": shown.family_name,
        "date_of_birth": _DATE.to_representation(born) if born else None,
        "sex": shown.sex,
        "postcode": shown.postcode,
    }


class PatientOutput(serializers.Serializer):
    """A referral's patient (``source="*"``: built from the referral). A
    referrer is shown the details as their referral sent them; the service's
    coordinators and senior clinicians the record held for the NHS number
    (``as_sent=True``: the details as sent, whoever asks). Null: not recorded
    (a referral from before the as-sent details were kept, with a mismatch)."""

    nhs_number = serializers.CharField()
    given_name = serializers.CharField(allow_null=True)
    family_name = serializers.CharField(allow_null=True)
    date_of_birth = serializers.DateField(allow_null=True)
    sex = serializers.CharField(allow_null=True)
    postcode = serializers.CharField(allow_null=True)

    def __init__(self, *args: Any, as_sent: bool = False, **kwargs: Any) -> None:
        self.as_sent = as_sent
        super().__init__(*args, **kwargs)

    def to_representation(self, referral: Referral) -> dict[str, Any]:
        if self.as_sent:
            return _patient_json(patient_as_sent(referral))
        return _patient_json(patient_shown_to(self.context["user"], referral))


# What only the service's coordinators and senior clinicians see (issue 8): the
# identity check compares the details sent with those held for the NHS number,
# so it would tell a referrer what is held, and that someone referred the person.
HELD_IDENTITY_ONLY = (
    "identity_check_required",
    "identity_check_note",
    "patient_as_sent",
    # Another referral for the same NHS number would tell the referrer that
    # the person was referred to a cancer service by someone else.
    "open_duplicate",
)


def _for_viewer(data: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """``data`` as the requesting user (``context["user"]``, required) may see it."""
    if identity_held_visible_to(context["user"]):
        return data
    return {k: v for k, v in data.items() if k not in HELD_IDENTITY_ONLY}


_SERVICE_ONLY = "Coordinators and senior clinicians of the service only."

# Context key: each page's due-soon fractions, by escalation policy id.
_FRACTIONS = "due_soon_fractions"


class _ReferralListSerializer(serializers.ListSerializer):  # type: ignore[type-arg]
    """A list or queue page: the due-soon fractions of every referral's
    escalation policy in one query, rather than one per referral."""

    def to_representation(self, data: Any) -> list[Any]:
        referrals = list(data.all() if hasattr(data, "all") else data)
        self.context[_FRACTIONS] = due_soon_fractions_for(referrals)
        return super().to_representation(referrals)  # type: ignore[no-any-return]


class ReferralSummaryFields(serializers.Serializer):
    """The fields of a referral in a list or the queue: what a coordinator
    scans a row for. The declaration is the contract (and the OpenAPI schema).
    Needs ``user`` in its context: ``patient`` is what that user may see, and
    the identity check is left out for a referrer."""

    id = serializers.UUIDField()
    reference = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    triage_category = serializers.CharField()
    status = serializers.CharField()
    stage = serializers.SerializerMethodField(
        help_text="Where the referral is in the clinical story, derived from its status, "
        "acknowledgement, clocks and the events that stand (never stored; ``status`` is "
        "unchanged by it)."
    )
    stage_label = serializers.SerializerMethodField()
    received_at = serializers.DateTimeField()
    suspected_at = serializers.DateTimeField()
    suspected_at_assumed = serializers.BooleanField(
        help_text="The referral gave no suspicion time: it is the time of receipt until a "
        "coordinator confirms or corrects it (POST …/suspected-at/)."
    )
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    outside_ng234_population = serializers.SerializerMethodField(
        help_text="Under 18 when referred: outside NG234's population (adults); paediatric or "
        "TYA oncology is signposted and no adult dose is stated. Triage and clocks stay."
    )
    identity_check_required = serializers.BooleanField(
        required=False,
        help_text="The details sent differ from those held for the NHS number. " + _SERVICE_ONLY,
    )
    # Not a method field: those are always required in the schema, and a
    # referrer's answer leaves this out (to_representation fills it in).
    open_duplicate = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="The reference of another open referral for the same NHS number in this "
        "service: link them with POST …/link/ if it is the same episode. " + _SERVICE_ONLY,
    )
    patient = PatientOutput(source="*")
    patient_as_sent = PatientOutput(
        source="*",
        as_sent=True,
        required=False,
        help_text="The patient details as the referral sent them. " + _SERVICE_ONLY,
    )
    referring_organisation = serializers.CharField(source="referring_organisation.code")
    service = serializers.CharField(source="service.code")
    clocks = serializers.SerializerMethodField()

    class Meta:
        list_serializer_class = _ReferralListSerializer

    def to_representation(self, referral: Referral) -> dict[str, Any]:
        data = dict(super().to_representation(referral))
        data["open_duplicate"] = self.get_open_duplicate(referral)
        return _for_viewer(data, self.context)

    def get_open_duplicate(self, referral: Referral) -> str | None:
        return open_duplicate_reference(referral)

    def get_outside_ng234_population(self, referral: Referral) -> bool:
        return rules.outside_ng234_population(triage_input_for(referral))

    @extend_schema_field(serializers.ChoiceField(choices=_codes(ReferralStage)))
    def get_stage(self, referral: Referral) -> str:
        return referral_stage(referral).value

    def get_stage_label(self, referral: Referral) -> str:
        return referral_stage(referral).label

    def _due_soon_fraction(self, referral: Referral) -> float:
        fractions = self.context.get(_FRACTIONS)
        if fractions is None:  # one referral: its own policy (one query)
            fractions = due_soon_fractions_for([referral])
        return due_soon_fraction_of(referral, fractions)

    @extend_schema_field(ClockOutput(many=True))
    def get_clocks(self, referral: Referral) -> list[dict[str, Any]]:
        now = self.context["now"]
        fraction = self._due_soon_fraction(referral)
        views = [clock_view(c, now, fraction) for c in referral.clocks.all()]
        if referral.duplicate_of_id is not None:
            # A duplicate's closure names the other referral: not to a referrer.
            for view in views:
                view["stop_reason"] = stop_reason_shown_to(
                    self.context["user"], referral, view["stop_reason"]
                )
        return [_CLOCK_OUTPUT.to_representation(view) for view in views]


class ReferralSummaryOutput(ReferralSummaryFields):
    """ReferralSummaryFields, built by hand: the queue and lists render many
    rows, and DRF's field-by-field path was most of their time. A test holds
    this to exactly what the generic path gives."""

    def to_representation(self, referral: Referral) -> dict[str, Any]:
        acknowledged = referral.acknowledged_at
        user = self.context["user"]
        stage = referral_stage(referral)
        return _for_viewer(
            {
                "id": str(referral.id),
                "reference": referral.reference,
                "category": referral.category,
                "category_label": referral.category_label,
                "triage_category": referral.triage_category,
                "status": referral.status,
                "stage": stage.value,
                "stage_label": stage.label,
                "received_at": _DATETIME.to_representation(referral.received_at),
                "suspected_at": _DATETIME.to_representation(referral.suspected_at),
                "suspected_at_assumed": referral.suspected_at_assumed,
                "acknowledged_at": (
                    _DATETIME.to_representation(acknowledged) if acknowledged else None
                ),
                "outside_ng234_population": self.get_outside_ng234_population(referral),
                "identity_check_required": referral.identity_check_required,
                "open_duplicate": self.get_open_duplicate(referral),
                "patient": _patient_json(patient_shown_to(user, referral)),
                "patient_as_sent": _patient_json(patient_as_sent(referral)),
                "referring_organisation": referral.referring_organisation.code,
                "service": referral.service.code,
                "clocks": self.get_clocks(referral),
            },
            self.context,
        )


class ReferralCreatedOutput(ReferralSummaryFields):
    """The answer to a new referral (README, "API"): the summary, the
    identity check (for the service's clinicians), and the initial advice for
    its category."""

    identity_check_note = serializers.CharField(required=False, help_text=_SERVICE_ONLY)
    prompts = serializers.SerializerMethodField()

    def _due_soon_fraction(self, referral: Referral) -> float:
        # Intake froze the referral to its policy as published, which brings
        # its due-soon fraction (None: no warning step): no query for it.
        policy = referral.escalation_policy if referral.escalation_policy_id else None
        frozen = getattr(policy, "frozen_due_soon", False)
        if policy is None or frozen is False:
            return super()._due_soon_fraction(referral)
        return due_soon_fraction_of(referral, {} if frozen is None else {policy.pk: frozen})

    @extend_schema_field(PromptOutput(many=True))
    def get_prompts(self, referral: Referral) -> list[dict[str, Any]]:
        # A new referral has no events yet: the advice is the triage advice.
        prompts = rules.prompts_for(triage_input_for(referral), Category(referral.category))
        return PromptOutput(prompts, many=True).data


class ReferralDetailOutput(ReferralSummaryFields):
    """One referral with everything known of it."""

    category_override_reason = serializers.CharField()
    # Why ``category`` is not ``triage_category`` now: a coordinator's
    # override, or MSCC confirmed or ruled out (docs/clinical-rules.md, section 4).
    category_reason = serializers.CharField()
    identity_check_note = serializers.CharField(required=False, help_text=_SERVICE_ONLY)
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
    status_reason = serializers.SerializerMethodField(
        help_text="Why the status is what it is. A referral closed as a duplicate names the "
        "referral it duplicates: " + _SERVICE_ONLY.lower().rstrip(".") + " (a referrer reads "
        "that it is closed, and whom to ask)."
    )
    redirected_to = serializers.CharField()
    prompts = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    mdt_decisions = MdtDecisionOutput(many=True)
    scores = ScoreOutput(many=True)
    escalations = serializers.SerializerMethodField()

    def get_status_reason(self, referral: Referral) -> str:
        return status_reason_shown_to(self.context["user"], referral)

    @extend_schema_field(EscalationOutput(many=True))
    def get_escalations(self, referral: Referral) -> list[dict[str, Any]]:
        """Who was told what, when (docs/architecture.md, section 5)."""
        return EscalationOutput(referral_escalations(referral), many=True).data

    @extend_schema_field(EventOutput(many=True))
    def get_events(self, referral: Referral) -> list[dict[str, Any]]:
        events = list(referral.events.all())
        withdrawn = {e.corrects_id for e in events if e.corrects_id}
        output = EventsOutput(context={"withdrawn_ids": withdrawn})
        return [output.to_representation(event) for event in events]

    @extend_schema_field(PromptOutput(many=True))
    def get_prompts(self, referral: Referral) -> list[dict[str, Any]]:
        return PromptOutput(referral_prompts(referral), many=True).data
