"""The audit API: a thin shell over the summary selector."""

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.inputs import format_from, period_from
from audit.selectors.access import audit_scope_for
from audit.selectors.summary import audit_summary
from audit.summary_csv import summary_csv
from core.logs import get_logger
from core.permissions import RolePermission

log = get_logger(__name__)


class _FormatIsOurs(DefaultContentNegotiation):
    """``format`` is this endpoint's own parameter (json or csv), read and
    checked by the view, so DRF must not treat ``format=csv`` as a renderer
    it lacks (a 404)."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def _query(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, required=False, description=description)


class AuditSummaryView(APIView):
    """Incidence, timeliness, outcomes and intervals by month and in total."""

    permission_classes = [RolePermission]
    permission_action = "audit_summary"
    content_negotiation_class = _FormatIsOurs

    @extend_schema(
        parameters=[
            _query("alliance", "Alliance code (an alliance lead's own by default)."),
            _query("service", "One service of the alliance (a service admin: always theirs)."),
            _query("from", "First month, YYYY-MM (default: 12 months before `to`)."),
            _query("to", "Last month, YYYY-MM (default: last month)."),
            _query("format", "json (default) or csv."),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
        },
        operation_id="v1_audit_summary",
    )
    def get(self, request: Request) -> Response | HttpResponse:
        now = timezone.now()
        query = request.query_params
        output = format_from(query)
        scope = audit_scope_for(
            user=request.user,  # type: ignore[arg-type]  # signed in: RolePermission
            alliance_code=query.get("alliance"),
            service_code=query.get("service"),
        )
        period = period_from(query, now=now, zone=timezone.get_current_timezone())
        summary = audit_summary(scope=scope, first=period.first, last=period.last, now=now)
        log.info(
            "audit.summary",
            alliance=summary["alliance"],
            service=summary["service"],
            first=summary["from"],
            last=summary["to"],
            output=output,
        )
        if output == "csv":
            response = HttpResponse(summary_csv(summary), content_type="text/csv; charset=utf-8")
            whose = summary["service"] or summary["alliance"]
            name = f"mscc-audit-{whose}-{summary['from']}-{summary['to']}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return Response(summary)
