"""The scoring API (NG234 1.9): calculate a SINS or revised Tokuhashi score,
and record one on a referral. A thin shell over ``pathways.scoring`` (the
arithmetic) and ``pathways.services.score_record`` (the write).

Inputs are strict: an unknown field, an unknown code or a missing component
is a 400 naming it, and nothing is stored; a partial total is never given.
Every answer carries a note that the score supports, and never replaces, a
full clinical assessment (NG234 1.9.3).
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import CodeField, StrictSerializer
from core.permissions import RolePermission
from pathways import scoring
from pathways.codes import ScoreKind
from pathways.models import ScoreRecord
from pathways.services import score_record
from pathways.services.scores import ScoreInvalid
from referrals import services as referral_services
from referrals.models import Referral
from referrals.selectors import referrals_visible_to

# A missing component is refused by name: a total without it would look like
# a valid, lower score.
_COMPONENT_ERRORS = {
    "required": "This component is required: a score is never totalled without it.",
    "null": "This component is required: a score is never totalled without it.",
}


def _code(enum: type, help_text: str) -> CodeField:
    return CodeField(enum, help_text=help_text, error_messages=_COMPONENT_ERRORS)


def _count(min_value: int, help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=min_value, help_text=help_text, error_messages=_COMPONENT_ERRORS
    )


# --- Inputs ---------------------------------------------------------------------


class SinsInput(StrictSerializer):
    """The six SINS components (Fisher 2010), each a code."""

    location = _code(scoring.SinsLocation, "Junctional 3, mobile 2, semi-rigid 1, rigid 0.")
    pain = _code(scoring.SinsPain, "Mechanical 3, occasional (non-mechanical) 1, none 0.")
    bone_lesion = _code(scoring.SinsBoneLesion, "Lytic 2, mixed 1, blastic 0.")
    alignment = _code(scoring.SinsAlignment, "Subluxation/translation 4, de novo deformity 2.")
    collapse = _code(
        scoring.SinsCollapse,
        "Over 50% 3, under 50% 2, no collapse with over 50% of the body involved 1, none 0.",
    )
    posterolateral = _code(
        scoring.SinsPosterolateral, "Posterolateral involvement: bilateral 3, unilateral 1."
    )


class TokuhashiInput(StrictSerializer):
    """The six revised Tokuhashi components (Tokuhashi 2005)."""

    karnofsky = serializers.IntegerField(
        min_value=10,
        max_value=100,
        help_text="Karnofsky performance status, 10 to 100 in steps of 10.",
        error_messages=_COMPONENT_ERRORS,
    )
    extraspinal_bone_metastases = _count(0, "Number of extraspinal bone metastatic foci.")
    vertebral_metastases = _count(1, "Number of metastases in the vertebral bodies.")
    visceral_metastases = _code(scoring.TokuhashiVisceral, "Metastases to major internal organs.")
    primary_site = _code(scoring.TokuhashiPrimarySite, "Primary site of the cancer.")
    frankel = _code(scoring.Frankel, "Frankel grade of spinal cord palsy, A to E.")

    def validate_karnofsky(self, value: int) -> int:
        if value not in scoring.KARNOFSKY_VALUES:
            raise serializers.ValidationError(
                f"The Karnofsky performance status is 10 to 100 in steps of 10, not {value}."
            )
        return value


_INPUTS: Mapping[str, type[StrictSerializer]] = {
    ScoreKind.SINS: SinsInput,
    ScoreKind.TOKUHASHI: TokuhashiInput,
}

_INPUTS_SCHEMA = PolymorphicProxySerializer(
    component_name="ScoreInputs",
    serializers=[SinsInput, TokuhashiInput],
    resource_type_field_name=None,
)


@extend_schema_field(_INPUTS_SCHEMA)
class ScoreInputsField(serializers.DictField):
    """The components of the score ``kind`` names: SinsInput or TokuhashiInput."""


class ScoreRecordInput(StrictSerializer):
    """A score to record: its ``kind`` and the components that kind needs."""

    kind = CodeField(ScoreKind)
    inputs = ScoreInputsField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        components = _INPUTS[attrs["kind"]](data=attrs["inputs"])
        if not components.is_valid():
            raise serializers.ValidationError({"inputs": components.errors})
        attrs["inputs"] = components.validated_data
        return attrs


# --- Outputs --------------------------------------------------------------------


class SinsComponentsOutput(serializers.Serializer):
    location = serializers.IntegerField()
    pain = serializers.IntegerField()
    bone_lesion = serializers.IntegerField()
    alignment = serializers.IntegerField()
    collapse = serializers.IntegerField()
    posterolateral = serializers.IntegerField()


class TokuhashiComponentsOutput(serializers.Serializer):
    karnofsky = serializers.IntegerField()
    extraspinal_bone_metastases = serializers.IntegerField()
    vertebral_metastases = serializers.IntegerField()
    visceral_metastases = serializers.IntegerField()
    primary_site = serializers.IntegerField()
    frankel = serializers.IntegerField()


class SinsOutput(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=scoring.SINS_MAX)
    band = serializers.ChoiceField(choices=[b.value for b in scoring.SinsBand])
    components = SinsComponentsOutput(help_text="The points each component scored.")
    note = serializers.CharField()


class TokuhashiOutput(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=scoring.TOKUHASHI_MAX)
    band = serializers.ChoiceField(choices=[b.value for b in scoring.TokuhashiBand])
    predicted_survival = serializers.CharField()
    components = TokuhashiComponentsOutput(help_text="The points each component scored.")
    note = serializers.CharField()


_COMPONENTS_SCHEMA = PolymorphicProxySerializer(
    component_name="ScoreComponents",
    serializers=[SinsComponentsOutput, TokuhashiComponentsOutput],
    resource_type_field_name=None,
)


class ScoreRecordOutput(serializers.Serializer):
    """A recorded score: its inputs as stored, result, who recorded it and when."""

    id = serializers.UUIDField()
    # A plain string: ClockOutput also has a choice field "kind" (other codes),
    # and a second component sharing these codes would leave drf-spectacular
    # no unambiguous enum name (a warning, which fails the schema check).
    kind = serializers.CharField(help_text="sins or tokuhashi")
    inputs = ScoreInputsField()
    score = serializers.IntegerField()
    band = serializers.CharField()
    predicted_survival = serializers.SerializerMethodField()
    components = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(source="recorded_by.username")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_predicted_survival(self, record: ScoreRecord) -> str | None:
        return record.predicted_survival or None

    @extend_schema_field(_COMPONENTS_SCHEMA)
    def get_components(self, record: ScoreRecord) -> dict[str, int]:
        # Not stored on the row: recomputed from the stored inputs by the
        # same published tables, which do not change.
        return dict(scoring.calculate(record.kind, record.inputs).components)

    def get_note(self, record: ScoreRecord) -> str:
        return scoring.NOTE


# --- Views ----------------------------------------------------------------------


def _calculate(kind: ScoreKind, inputs: Mapping[str, Any]) -> scoring.ScoreResult:
    try:
        return scoring.calculate(kind, inputs)
    except scoring.ScoreInputError as exc:
        # The serializer has already refused anything the tables would; this
        # keeps the two in step should they ever differ.
        raise serializers.ValidationError(
            {name: [problem] for name, problem in exc.errors.items()}
        ) from exc


class SinsScoreView(APIView):
    """Spinal Instability Neoplastic Score (NG234 1.9.1), nothing stored."""

    permission_classes = [RolePermission]
    permission_action = "score_calculate"

    @extend_schema(
        request=SinsInput,
        responses={200: SinsOutput},
        summary="Calculate a SINS score",
        description=f"0-6 stable, 7-12 indeterminate, 13-18 unstable. {scoring.NOTE}",
    )
    def post(self, request: Request) -> Response:
        body = SinsInput(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(SinsOutput(_calculate(ScoreKind.SINS, body.validated_data)).data)


class TokuhashiScoreView(APIView):
    """Revised Tokuhashi score (Tokuhashi 2005; NG234 1.9.2), nothing stored."""

    permission_classes = [RolePermission]
    permission_action = "score_calculate"

    @extend_schema(
        request=TokuhashiInput,
        responses={200: TokuhashiOutput},
        summary="Calculate a revised Tokuhashi score",
        description=(
            "0-8: predicted survival under 6 months; 9-11: 6 months or more; 12-15: a year "
            f"or more. {scoring.NOTE}"
        ),
    )
    def post(self, request: Request) -> Response:
        body = TokuhashiInput(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(TokuhashiOutput(_calculate(ScoreKind.TOKUHASHI, body.validated_data)).data)


class ReferralScoresView(APIView):
    """A referral's recorded scores: list them, or record one."""

    permission_classes = [RolePermission]
    permission_actions = {"GET": "score_record", "POST": "score_record"}

    def _referral(self, request: Request, referral_id: Any) -> Referral:
        # Scoped fetch: another service's referral is a 404, not a 403, and it
        # comes before reading the body so a 400 reveals nothing either.
        return get_object_or_404(referrals_visible_to(request.user), pk=referral_id)

    @staticmethod
    def _record_access(request: Request, view: str, referral: Referral) -> None:
        referral_services.access_record(
            user=request.user, view=view, path=request.get_full_path(), referral_ids=[referral.pk]
        )

    @extend_schema(
        responses={200: ScoreRecordOutput(many=True)},
        summary="List a referral's recorded scores",
    )
    def get(self, request: Request, referral_id: Any) -> Response:
        referral = self._referral(request, referral_id)
        records = referral.scores.select_related("recorded_by").order_by("recorded_at", "id")
        self._record_access(request, "api.score_record.list", referral)
        return Response(ScoreRecordOutput(records, many=True).data)

    @extend_schema(
        request=ScoreRecordInput,
        responses={201: ScoreRecordOutput},
        summary="Record a SINS or revised Tokuhashi score on a referral",
        description=scoring.NOTE,
    )
    def post(self, request: Request, referral_id: Any) -> Response:
        referral = self._referral(request, referral_id)
        body = ScoreRecordInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                record = score_record(
                    referral=referral,
                    kind=body.validated_data["kind"],
                    inputs=body.validated_data["inputs"],
                    user=request.user,
                )
                self._record_access(request, "api.score_record.create", referral)
        except ScoreInvalid as exc:
            # Component errors belong under "inputs", as the serializer puts them.
            raise serializers.ValidationError({"inputs": exc.errors}) from exc
        return Response(ScoreRecordOutput(record).data, status=status.HTTP_201_CREATED)
