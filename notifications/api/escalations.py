"""The escalation and in-app notification API (thin over services)."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import Pagination
from core.api.schema import paginated
from core.permissions import RolePermission
from notifications.models import Delivery, Escalation
from notifications.selectors.escalations import inbox, inbox_unread_count
from notifications.services.escalations import (
    clock_escalations_acknowledge,
    notification_mark_read,
)


class DeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    round = serializers.IntegerField()
    channel = serializers.CharField()
    recipient = serializers.CharField(source="recipient.username", allow_null=True, default=None)
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()


class EscalationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    clock = serializers.CharField(source="clock.kind")
    step = serializers.IntegerField(source="step.position")
    when = serializers.CharField(source="step.when")
    recipient = serializers.CharField(source="step.recipient")
    fire_at = serializers.DateTimeField()
    raised_at = serializers.DateTimeField()
    round = serializers.IntegerField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", allow_null=True, default=None
    )
    # Catch-up (issue 11): raised with a later step to the same person, which
    # was sent instead; this one has no deliveries and no repeats.
    superseded_by = serializers.UUIDField(source="superseded_by_id", allow_null=True)
    superseded_at = serializers.DateTimeField(allow_null=True)
    deliveries = DeliveryOutput(many=True)


class EscalationAcknowledgeOutput(EscalationOutput):
    acknowledged_with = serializers.ListField(
        child=serializers.UUIDField(),
        help_text="The other escalations of the same clock this call acknowledged.",
    )


class NotificationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    subject = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    escalation = serializers.UUIDField(source="escalation_id", allow_null=True)
    acknowledged = serializers.SerializerMethodField()
    referral = serializers.SerializerMethodField()

    def get_acknowledged(self, delivery: Delivery) -> bool | None:
        """None for a notice that is not an escalation (e.g. rota gaps)."""
        if delivery.escalation is None:
            return None
        return delivery.escalation.acknowledged_at is not None

    def get_referral(self, delivery: Delivery) -> str | None:
        return str(delivery.escalation.clock.referral_id) if delivery.escalation else None


class EscalationAcknowledgeView(APIView):
    """Acknowledge an escalation and, with it, its clock: every escalation of
    that clock not yet acknowledged is acknowledged and stops repeating."""

    permission_classes = [RolePermission]
    permission_action = "escalation_acknowledge"

    @extend_schema(
        request=None,
        responses={200: EscalationAcknowledgeOutput},
        description=(
            "Acknowledges this escalation and every other escalation of the same clock "
            "not yet acknowledged (issue 11: one acknowledge per clock), never another "
            "clock's, even on the same referral. Their repeats stop and their in-app "
            "notifications become read. `acknowledged_with` lists the others. 409 "
            "`already_acknowledged` when the clock has none left to acknowledge; 404 "
            "for another service's escalation."
        ),
    )
    def post(self, request: Request, escalation_id: Any) -> Response:
        done = clock_escalations_acknowledge(
            escalation_id=escalation_id, user=request.user, now=timezone.now()
        )
        escalation = (
            Escalation.objects.select_related("step", "clock", "acknowledged_by")
            .prefetch_related("deliveries__recipient")
            .get(pk=done[0].pk)
        )
        escalation.acknowledged_with = [row.pk for row in done[1:]]  # type: ignore[attr-defined]
        return Response(EscalationAcknowledgeOutput(escalation).data)


class InboxView(APIView):
    """The signed-in user's in-app notifications, newest first, with the
    unread count (the live badge on coordinator pages)."""

    permission_classes = [RolePermission]
    permission_action = "notifications_inbox"

    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: paginated(NotificationOutput, unread=serializers.IntegerField())},
        operation_id="v1_notifications_list",
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(inbox(user=request.user), request, view=self)
        response = paginator.get_paginated_response(NotificationOutput(page, many=True).data)
        response.data["unread"] = inbox_unread_count(user=request.user)
        return response


class InboxReadView(APIView):
    permission_classes = [RolePermission]
    permission_action = "notifications_inbox"

    @extend_schema(request=None, responses={200: NotificationOutput})
    def post(self, request: Request, delivery_id: Any) -> Response:
        delivery = notification_mark_read(
            delivery_id=delivery_id, user=request.user, now=timezone.now()
        )
        return Response(NotificationOutput(delivery).data)
