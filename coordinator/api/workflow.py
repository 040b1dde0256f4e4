"""What coordinators record on a referral after intake: clinical events (and
their withdrawal), status moves, MDT decisions, and clocks marked not
appropriate. Each answers with the whole referral, so clients see the clocks
and the advice change at once."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from coordinator import services
from coordinator.api.serializers import ReferralDetailOutput
from coordinator.api.views import ReferralActionView
from coordinator.inputs import EventInput, MdtInput, NotAppropriateInput, StatusInput
from coordinator.services import referral_clock_not_appropriate, referral_mdt_record


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class EventView(ReferralActionView):
    """Record a clinical event; the clocks start and stop from it."""

    permission_action = "referral_event"

    @extend_schema(request=EventInput, responses={201: ReferralDetailOutput})
    def post(self, request: Request, referral_id: Any) -> Response:
        referral = self._referral(request, referral_id)
        data = _valid(EventInput, request)
        now = timezone.now()
        services.referral_event_add(
            referral=referral,
            user=request.user,
            now=now,
            kind=data["kind"],
            occurred_at=data["occurred_at"] or now,
            details=data["details"],
            corrects=data["corrects"],
            ambulatory=data["ambulatory"],
        )
        response = self._answer(request, referral)
        response.status_code = status.HTTP_201_CREATED
        return response


class StatusView(ReferralActionView):
    """Move the referral along the state map; a forbidden move is a 409."""

    permission_action = "referral_status"

    @extend_schema(request=StatusInput, responses={200: ReferralDetailOutput})
    def post(self, request: Request, referral_id: Any) -> Response:
        referral = self._referral(request, referral_id)
        services.referral_status_change(
            referral=referral, user=request.user, now=timezone.now(), **_valid(StatusInput, request)
        )
        return self._answer(request, referral)


class MdtView(ReferralActionView):
    """Record an MDT decision and care plan; a radiotherapy decision starts
    the 24-hour radiotherapy clock (NG234 1.10.4)."""

    permission_action = "referral_mdt"

    @extend_schema(request=MdtInput, responses={201: ReferralDetailOutput})
    def post(self, request: Request, referral_id: Any) -> Response:
        referral = self._referral(request, referral_id)
        referral_mdt_record(
            referral=referral, user=request.user, now=timezone.now(), **_valid(MdtInput, request)
        )
        response = self._answer(request, referral)
        response.status_code = status.HTTP_201_CREATED
        return response


class ClockNotAppropriateView(ReferralActionView):
    """Mark a clock "not appropriate" with a reason: out of the QS56 denominator."""

    permission_action = "clock_not_appropriate"

    @extend_schema(request=NotAppropriateInput, responses={200: ReferralDetailOutput})
    def post(self, request: Request, referral_id: Any, clock_id: Any) -> Response:
        referral = self._referral(request, referral_id)
        referral_clock_not_appropriate(
            referral=referral,
            clock_id=clock_id,
            reason=_valid(NotAppropriateInput, request)["reason"],
            user=request.user,
            now=timezone.now(),
        )
        return self._answer(request, referral)
