"""The audit dashboard page and its CSV download: a thin shell over the
summary selector, as the API is (audit/api/views.py).

Both read the same query (``from``, ``to``, ``service``; the page also
``breakdown``) with the API's parsers, so the page, its CSV and the API give
the same figures for the same question. A bad filter is a 400 page with the
message beside its input, never a 500; a scope outside the user's own is the
403 page.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.dashboard import INCIDENCE, dashboard, period_words
from audit.inputs import Period, period_from
from audit.labels import BREAKDOWN_TITLES
from audit.periods import Month
from audit.selectors.access import audit_scope_for
from audit.selectors.summary import AuditScope, audit_summary
from audit.spc import SpcRules
from audit.summary_csv import summary_csv
from coordinator.views.common import PageRequest, page
from core.errors import DomainError, Forbidden, field_errors
from core.logs import get_logger
from core.roles import Role
from referrals.models import Service

log = get_logger(__name__)

# The form's inputs, in the order the page shows them: query parameter, id, label.
FIELDS = (
    ("from", "audit-from", "From month"),
    ("to", "audit-to", "To month"),
    ("service", "audit-service", "Service"),
    ("breakdown", "audit-breakdown", "Referrals each month by"),
)
DEFAULT_BREAKDOWN = "category"


@dataclass(frozen=True)
class Query:
    scope: AuditScope
    period: Period
    breakdown: str


def _read(request: PageRequest) -> tuple[Query | None, dict[str, list[str]]]:
    """The scope, period and breakdown asked for, or the errors by parameter.
    Every parameter is checked, so each bad one is named at once."""
    query = request.GET
    errors: dict[str, list[str]] = {}
    scope = period = None
    try:
        scope = audit_scope_for(
            user=request.user,
            alliance_code=query.get("alliance"),
            service_code=query.get("service"),
        )
    except Forbidden as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        errors.update(field_errors(error, non_field="service"))
    try:
        period = period_from(query, now=timezone.now(), zone=timezone.get_current_timezone())
    except DomainError as error:
        errors.update(field_errors(error, non_field="from"))
    breakdown = query.get("breakdown") or DEFAULT_BREAKDOWN
    if breakdown not in INCIDENCE:
        errors["breakdown"] = ["Choose one of the breakdowns listed."]
    if errors or scope is None or period is None:
        return None, errors
    return Query(scope, period, breakdown), {}


def _services(request: PageRequest) -> list[Service]:
    """The services an alliance lead may choose between (a service admin has one)."""
    user = request.user
    if user.role != Role.ALLIANCE_LEAD or user.alliance_id is None:
        return []
    return list(Service.objects.filter(alliance_id=user.alliance_id).order_by("name"))


def _form(
    request: PageRequest, asked: Query | None, errors: dict[str, list[str]]
) -> dict[str, Any]:
    """The filter form's fields: the values in force (the period resolved from
    its defaults), or as typed when they were refused."""
    if asked is not None:
        values = {
            "from": asked.period.first.label,
            "to": asked.period.last.label,
            "service": asked.scope.service.code if asked.scope.service else "",
            "breakdown": asked.breakdown,
        }
    else:
        values = {name: request.GET.get(name, "") for name, _, _ in FIELDS}
        values["breakdown"] = values["breakdown"] or DEFAULT_BREAKDOWN
    fields = {
        name: {
            "name": name,
            "id": ident,
            "label": label,
            "value": values[name],
            "errors": errors.get(name, []),
        }
        for name, ident, label in FIELDS
    }
    # A message naming no input of this form (the alliance, say) goes on top.
    others = [m for name, ms in errors.items() if name not in fields for m in ms]
    return {
        "fields": fields,
        "other_errors": others,
        "error_list": [
            (fields[name]["id"], f"{fields[name]['label']}: {message}")
            for name, _, _ in FIELDS
            for message in errors.get(name, [])
        ],
        "services": _services(request),
        "breakdowns": [(code, BREAKDOWN_TITLES[code]) for code in INCIDENCE],
        "this_month": Month.of(timezone.now(), timezone.get_current_timezone()).label,
        "query": urlencode({k: v for k, v in values.items() if v}),
    }


def _refused(request: PageRequest, errors: dict[str, list[str]]) -> HttpResponse:
    context = {"nav": "audit", "form": _form(request, None, errors), "errors": errors}
    return render(request, "audit/dashboard.html", context, status=400)


def _summary(asked: Query, now: datetime) -> dict[str, Any]:
    return audit_summary(
        scope=asked.scope, first=asked.period.first, last=asked.period.last, now=now
    )


@page("audit_summary")
@require_GET
def audit_dashboard(request: PageRequest) -> HttpResponse:
    asked, errors = _read(request)
    if asked is None:
        return _refused(request, errors)
    now = timezone.now()
    summary = _summary(asked, now)
    log.info(
        "audit.dashboard",
        alliance=summary["alliance"],
        service=summary["service"],
        first=summary["from"],
        last=summary["to"],
        output="page",
    )
    view = dashboard(
        summary,
        breakdown=asked.breakdown,
        spc_target=settings.MSCC_AUDIT_SPC_TARGET_PERCENT,
        rules=SpcRules(
            run_length=settings.MSCC_AUDIT_SPC_RUN_LENGTH,
            trend_length=settings.MSCC_AUDIT_SPC_TREND_LENGTH,
            min_points_for_limits=settings.MSCC_AUDIT_SPC_RELIABLE_MONTHS,
        ),
    )
    return render(
        request,
        "audit/dashboard.html",
        {
            "nav": "audit",
            "form": _form(request, asked, {}),
            "scope": asked.scope,
            "summary": summary,
            "generated_at": now,
            "period": period_words(summary["from"], summary["to"]),
            "dash": view,
        },
    )


@page("audit_summary")
@require_GET
def audit_summary_csv(request: PageRequest) -> HttpResponse:
    """The summary as CSV, for the same filters as the page (the API's file)."""
    asked, errors = _read(request)
    if asked is None:
        return _refused(request, errors)
    summary = _summary(asked, timezone.now())
    log.info(
        "audit.dashboard",
        alliance=summary["alliance"],
        service=summary["service"],
        first=summary["from"],
        last=summary["to"],
        output="csv",
    )
    response = HttpResponse(summary_csv(summary), content_type="text/csv; charset=utf-8")
    whose = summary["service"] or summary["alliance"]
    name = f"mscc-audit-{whose}-{summary['from']}-{summary['to']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
