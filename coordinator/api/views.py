"""The referral API: a thin shell over services and selectors."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coordinator import selectors, services
from coordinator.api import idempotency
from coordinator.api.serializers import (
    ReferralCreatedOutput,
    ReferralDetailOutput,
    ReferralSummaryOutput,
)
from coordinator.inputs import (
    CategoryOverrideInput,
    LinkInput,
    ReferralCreateInput,
    SuspectedAtInput,
)
from core.api.pagination import Pagination
from core.api.schema import paginated
from core.permissions import RolePermission
from referrals.codes import Category, ReferralStatus
from referrals.models import Referral


class MeView(APIView):
    """Who the token belongs to. Also the benchmark's trivial baseline endpoint."""

    permission_classes = [RolePermission]
    permission_action = "me"

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "username": user.username,
                "role": user.role,
                "organisation": user.organisation.code if user.organisation_id else None,
                "service": user.service.code if user.service_id else None,
                "alliance": user.alliance.code if user.alliance_id else None,
            }
        )


class ReferralListFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s.value for s in ReferralStatus], required=False)
    category = serializers.ChoiceField(choices=[c.value for c in Category], required=False)
    open = serializers.BooleanField(required=False, allow_null=True, default=None)
    nhs_number = serializers.CharField(required=False, max_length=20)
    received_from = serializers.DateTimeField(required=False)
    received_to = serializers.DateTimeField(required=False)


def _output_context(request: Request, now: datetime | None = None) -> dict[str, Any]:
    """What the referral outputs need: the time clocks are judged at, and who
    asks (a referrer sees the patient as sent, never what is held)."""
    return {"now": now or timezone.now(), "user": request.user}


def _record_access(request: Request, view: str, referrals: list[Referral]) -> None:
    services.access_record(
        user=request.user,
        view=view,
        path=request.get_full_path(),
        referral_ids=[r.pk for r in referrals],
    )


class ReferralListCreateView(APIView):
    permission_classes = [RolePermission]
    permission_actions = {"GET": "referral_list", "POST": "referral_create"}

    @extend_schema(
        parameters=[
            ReferralListFilters,
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={200: paginated(ReferralSummaryOutput)},
        operation_id="v1_referrals_list",
    )
    def get(self, request: Request) -> Response:
        filters = ReferralListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.referral_list(user=request.user, filters=filters.validated_data),
            request,
            view=self,
        )
        _record_access(request, "api.referral.list", page)
        data = ReferralSummaryOutput(page, many=True, context=_output_context(request)).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request=ReferralCreateInput,
        responses={201: ReferralCreatedOutput},
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                str,
                OpenApiParameter.HEADER,
                description="Makes a retried POST return the first answer",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        now = timezone.now()
        key = request.headers.get(idempotency.HEADER)
        if key is not None:
            problem = idempotency.key_problem(key)
            if problem:
                return Response({idempotency.HEADER: [problem]}, status=400)
        # Validate before touching the idempotency record: a rejected body
        # stores nothing, and may be corrected and resent with the same key.
        serializer = ReferralCreateInput(data=request.data, context={"now": now})
        serializer.is_valid(raise_exception=True)

        def create() -> Response:
            # One transaction (one commit) for the referral and its access record.
            referral = services.referral_create_from_input(
                user=request.user,
                now=now,
                data=serializer.validated_data,
                then=lambda made: _record_access(request, "api.referral.create", [made]),
            )
            # The new referral's relations are already in memory, its clocks
            # too (intake wrote them): nothing is read again.
            if not services.referral_answer_relations(referral):
                selectors.referral_load_clocks(referral)
            body = ReferralCreatedOutput(referral, context=_output_context(request, now)).data
            return Response(body, status=status.HTTP_201_CREATED)

        if key is None:
            return create()
        response = idempotency.run_once(
            user=request.user, key=key, data=request.data, action=create
        )
        if idempotency.replayed(response) and status.is_success(response.status_code):
            # A replay answers with the stored body, patient data included:
            # it is a read like any other, and is recorded before it is sent.
            services.access_record(
                user=request.user,
                view="api.referral.create.replay",
                path=request.get_full_path(),
                referral_ids=[response.data["id"]],
            )
        return response


class ReferralDetailView(APIView):
    permission_classes = [RolePermission]
    permission_action = "referral_detail"

    @extend_schema(responses={200: ReferralDetailOutput})
    def get(self, request: Request, referral_id: Any) -> Response:
        referral = get_object_or_404(
            selectors.referral_detail(user=request.user).select_related("pathway_version"),
            pk=referral_id,
        )
        _record_access(request, "api.referral.detail", [referral])
        return Response(ReferralDetailOutput(referral, context=_output_context(request)).data)


class QueueView(APIView):
    """The service's open referrals, most urgent first."""

    permission_classes = [RolePermission]
    permission_action = "queue"

    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: paginated(ReferralSummaryOutput)},
        operation_id="v1_queue_list",
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.queue_for(user=request.user), request, view=self
        )
        _record_access(request, "api.queue", page)
        data = ReferralSummaryOutput(page, many=True, context=_output_context(request)).data
        return paginator.get_paginated_response(data)


class ReferralActionView(APIView):
    permission_classes = [RolePermission]

    def _referral(self, request: Request, referral_id: Any) -> Referral:
        # Scoped fetch: another service's referral is a 404, not a 403.
        return get_object_or_404(selectors.referrals_visible_to(request.user), pk=referral_id)

    def _answer(self, request: Request, referral: Referral) -> Response:
        referral = (
            selectors.referral_detail(user=request.user)
            .select_related("pathway_version")
            .get(pk=referral.pk)
        )
        _record_access(request, f"api.{self.permission_action}", [referral])
        return Response(ReferralDetailOutput(referral, context=_output_context(request)).data)

    def _act(
        self,
        request: Request,
        referral_id: Any,
        body_class: type[serializers.Serializer],
        step: Callable[..., Referral],
    ) -> Response:
        """Parse the body, run the workflow step on the (scoped) referral,
        answer with the whole referral."""
        referral = self._referral(request, referral_id)
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        referral = step(
            referral=referral, user=request.user, now=timezone.now(), **body.validated_data
        )
        return self._answer(request, referral)


class AcknowledgeView(ReferralActionView):
    permission_action = "referral_acknowledge"

    @extend_schema(request=None, responses={200: ReferralDetailOutput})
    def post(self, request: Request, referral_id: Any) -> Response:
        referral = services.referral_acknowledge(
            referral=self._referral(request, referral_id), user=request.user, now=timezone.now()
        )
        return self._answer(request, referral)


class LinkView(ReferralActionView):
    """The same episode referred twice: this, the later referral, closes as a
    duplicate of the earlier one."""

    permission_action = "referral_link"

    @extend_schema(request=LinkInput, responses={200: ReferralDetailOutput})
    def post(self, request: Request, referral_id: Any) -> Response:
        return self._act(request, referral_id, LinkInput, services.referral_link_duplicate)


class SuspectedAtView(ReferralActionView):
    """Confirm or correct when MSCC or spinal metastases were first suspected;
    the clocks that run from it move."""

    permission_action = "referral_suspected_at"

    @extend_schema(request=SuspectedAtInput, responses={200: ReferralDetailOutput})
    def post(self, request: Request, referral_id: Any) -> Response:
        return self._act(
            request, referral_id, SuspectedAtInput, services.referral_suspected_at_correct
        )


class CategoryOverrideView(ReferralActionView):
    permission_action = "referral_category"

    @extend_schema(request=CategoryOverrideInput, responses={200: ReferralDetailOutput})
    def post(self, request: Request, referral_id: Any) -> Response:
        return self._act(
            request, referral_id, CategoryOverrideInput, services.referral_override_category
        )
