"""What the API and the pages parse from a request, before a workflow step.

Strict parsers (DRF serializers used for parsing only): unknown fields,
unknown codes, naive datetimes and impossible dates are refused with the
field named. The rules a referral's input must keep live in
``referrals/inputs.py``, which these ask and intake enforces again for every
caller; the workflow services check the rest. The API views and the page
views both parse with these, so a page and the API accept exactly the same.
"""

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from core.api.fields import AwareDateTimeField, CodeField, CodeListField, StrictSerializer
from core.errors import DomainError
from pathways.codes import EventKind, MdtDecisionKind
from referrals import inputs
from referrals.codes import (
    CancerStatus,
    Category,
    Haematological,
    ImagingFindings,
    ImagingModality,
    MovementPain,
    NeuroFeature,
    PainFeature,
    PrimaryTumour,
    ReferralStatus,
    Sex,
)
from referrals.models import Organisation, Service

_TEXT_MAX = inputs.TEXT_MAX


class PatientInput(StrictSerializer):
    nhs_number = serializers.CharField(max_length=20)
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()
    sex = CodeField(Sex)
    postcode = serializers.CharField(max_length=10)

    def validate_nhs_number(self, value: str) -> str:
        return _checked(inputs.nhs_number_checked, value)

    def validate_date_of_birth(self, value: date) -> date:
        return _checked(inputs.date_of_birth_checked, value, timezone.localdate())

    def validate_postcode(self, value: str) -> str:
        return _checked(inputs.postcode_checked, value)


def _checked(check: Any, *args: Any) -> Any:
    """A rule of ``referrals/inputs.py``, its refusal as this field's error."""
    try:
        return check(*args)
    except DomainError as error:
        raise serializers.ValidationError(error.message) from None


class _CodeLookupField(serializers.SlugRelatedField):
    """A record named by its code. A code is short text: anything else (a
    number, a NUL character, which PostgreSQL cannot even compare) is refused
    as invalid before the lookup, never sent to the database."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or "\x00" in data or len(data) > 64:
            self.fail("invalid")
        return super().to_internal_value(data)


class OrganisationCodeField(_CodeLookupField):
    default_error_messages = {
        "does_not_exist": "No organisation has the code {value!r}.",
        "invalid": "Give the organisation's code.",
    }


class ServiceCodeField(_CodeLookupField):
    default_error_messages = {
        "does_not_exist": "No MSCC service has the code {value!r}.",
        "invalid": "Give the MSCC service's code.",
    }


class ReferralCreateInput(StrictSerializer):
    patient = PatientInput()
    referring_organisation = OrganisationCodeField(
        slug_field="code", queryset=Organisation.objects.all()
    )
    service = ServiceCodeField(slug_field="code", queryset=Service.objects.all())
    cancer_status = CodeField(CancerStatus)
    primary_tumour = CodeField(PrimaryTumour, required=False, allow_blank=True, default="")
    haematological = CodeField(Haematological, required=False, default=Haematological.NO.value)
    pain_features = CodeListField(PainFeature)
    neuro_features = CodeListField(NeuroFeature)
    neuro_onset_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    neuro_progressing = serializers.BooleanField(required=False, allow_null=True, default=None)
    suspected_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    imaging_modality = CodeField(ImagingModality, required=False, allow_blank=True, default="")
    imaging_findings = CodeField(
        ImagingFindings, required=False, default=ImagingFindings.NONE.value
    )
    known_spinal_metastases = serializers.BooleanField(required=False, default=False)
    back_pain = serializers.BooleanField(required=False, default=False)
    instability_signs = serializers.BooleanField(required=False, default=False)
    movement_pain = CodeField(MovementPain, required=False, default=MovementPain.NONE.value)
    performance_status = serializers.IntegerField(
        min_value=0, max_value=4, required=False, allow_null=True, default=None
    )
    frailty_score = serializers.IntegerField(
        min_value=1, max_value=9, required=False, allow_null=True, default=None
    )
    ambulatory = serializers.BooleanField(required=False, allow_null=True, default=None)
    presentation = serializers.CharField(
        max_length=_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    neurological_assessment = serializers.CharField(
        max_length=_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    imaging_report = serializers.CharField(
        max_length=_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    oncology_history = serializers.CharField(
        max_length=_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    individual_needs = serializers.CharField(
        max_length=_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    referrer_contact = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )

    def _now(self) -> datetime:
        return self.context.get("now") or timezone.now()

    def validate_neuro_onset_at(self, value: datetime | None) -> datetime | None:
        return _checked(
            _time, value, self._now(), "onset of neurological symptoms", "neuro_onset_at"
        )

    def validate_suspected_at(self, value: datetime | None) -> datetime | None:
        return _checked(
            _time,
            value,
            self._now(),
            "time MSCC or spinal metastases were suspected",
            "suspected_at",
            True,
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = inputs.clinical_problems(attrs, attrs["patient"]["date_of_birth"])
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _time(
    value: datetime | None, now: datetime, what: str, field: str, look_back: bool = False
) -> datetime | None:
    return inputs.time_checked(value, now, what=what, field=field, look_back=look_back)


class LinkInput(StrictSerializer):
    duplicate_of = serializers.UUIDField()
    reason = serializers.CharField(max_length=_TEXT_MAX)


class SuspectedAtInput(StrictSerializer):
    suspected_at = AwareDateTimeField()
    reason = serializers.CharField(max_length=_TEXT_MAX)


class CategoryOverrideInput(StrictSerializer):
    category = CodeField(Category)
    reason = serializers.CharField(max_length=_TEXT_MAX)


class EventInput(StrictSerializer):
    kind = CodeField(EventKind)
    occurred_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    details = serializers.CharField(
        max_length=_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    # For kind "entered_in_error": the id of the event withdrawn.
    corrects = serializers.UUIDField(required=False, allow_null=True, default=None)
    # For kind "ambulatory_assessed" only, and needed there: can the person walk?
    ambulatory = serializers.BooleanField(required=False, allow_null=True, default=None)


class StatusInput(StrictSerializer):
    status = CodeField(ReferralStatus)
    reason = serializers.CharField(
        max_length=_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    redirected_to = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    occurred_at = AwareDateTimeField(required=False, allow_null=True, default=None)


class MdtInput(StrictSerializer):
    decided_at = AwareDateTimeField()
    participants = serializers.CharField(max_length=_TEXT_MAX)
    decision = CodeField(MdtDecisionKind)
    reasons = serializers.CharField(max_length=_TEXT_MAX)
    care_plan = serializers.CharField(max_length=_TEXT_MAX)
    high_risk_of_side_effects = serializers.BooleanField(required=False, default=False)


class NotAppropriateInput(StrictSerializer):
    reason = serializers.CharField(max_length=_TEXT_MAX)
