"""The coordinator's queue: the page, its refreshed rows, the printed fallback
list, and acknowledging a referral from it.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from coordinator import selectors, services
from coordinator.views.common import (
    PageRequest,
    _already_acknowledged,
    _record_access,
    _safe_next,
    _scoped_referral,
    page,
    referral_path,
)
from core.errors import DomainError
from pathways.codes import ClockStatus, ClockUrgency
from referrals.models import Referral

# The queue page shows this many rows, then says how many more there are.
QUEUE_LIMIT = 200
# The printed fallback list is for an outage: it shows far more, never silently fewer.
PRINT_LIMIT = 1000


def _running_clocks(referral: Referral, now: datetime, fraction: float) -> list[dict[str, Any]]:
    """The running clocks with a due time: a measured clock (no target) is
    never urgent, so the queue leaves it to the referral's page."""
    views = (selectors.clock_view(c, now, fraction) for c in referral.clocks.all())
    return [
        v
        for v in views
        if v["status"] in (ClockStatus.RUNNING, ClockStatus.BREACHED) and not v["measured"]
    ]


def _queue_row(
    referral: Referral,
    now: datetime,
    fractions: dict[int, float] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    if fractions is None:
        fractions = selectors.due_soon_fractions_for([referral])
    clocks = _running_clocks(referral, now, selectors.due_soon_fraction_of(referral, fractions))
    return {
        "referral": referral,
        "clocks": clocks,
        "stage": selectors.referral_stage(referral),
        "overdue": any(c["status"] == ClockStatus.BREACHED for c in clocks),
        "due_soon": any(c["urgency"] == ClockUrgency.DUE_SOON for c in clocks),
        "notice": notice,
    }


def _queue(request: PageRequest, limit: int) -> dict[str, Any]:
    """The queue's rows (most urgent first, as the selector orders them)."""
    now = timezone.now()
    queue = selectors.queue_for(user=request.user)
    referrals = list(queue[: limit + 1])
    more = 0
    if len(referrals) > limit:
        referrals = referrals[:limit]
        more = queue.count() - limit
    fractions = selectors.due_soon_fractions_for(referrals)  # one query for the page
    return {
        "rows": [_queue_row(r, now, fractions) for r in referrals],
        "referrals": referrals,
        "more": more,
        "now": now,
    }


@page("queue")
@require_GET
def queue(request: PageRequest) -> HttpResponse:
    context = _queue(request, QUEUE_LIMIT)
    _record_access(request, "queue", context["referrals"])
    return render(request, "referrals/queue.html", {"nav": "queue", **context})


@page("queue")
@require_GET
def queue_rows(request: PageRequest) -> HttpResponse:
    """The queue table alone: the page fetches it every 15 seconds."""
    context = _queue(request, QUEUE_LIMIT)
    _record_access(request, "queue.rows", context["referrals"])
    return render(request, "referrals/_queue_rows.html", context)


@page("queue")
@require_GET
def queue_print(request: PageRequest) -> HttpResponse:
    """A printable fallback list for when the service or its workers are down:
    due times as clock times, since "time left" is stale once on paper."""
    context = _queue(request, PRINT_LIMIT)
    _record_access(request, "queue.print", context["referrals"])
    return render(request, "referrals/queue_print.html", context)


@page("referral_acknowledge")
@require_POST
def referral_acknowledge(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """Stop the acknowledgement clock. From the queue (htmx) the row is
    answered in place; without JavaScript the page is reloaded."""
    referral = _scoped_referral(request, referral_id)
    notice, ok = "", True
    try:
        services.referral_acknowledge(
            referral=referral,
            user=request.user,
            now=timezone.now(),
        )
    except DomainError as exc:
        ok = False
        notice = (
            _already_acknowledged(referral.pk)
            if exc.code == "already_acknowledged"
            else exc.message
        )
    if request.htmx:
        referral = _scoped_referral(request, referral_id)
        _record_access(request, "queue.acknowledge", [referral])
        row = _queue_row(
            referral, timezone.now(), notice=notice or f"Acknowledged {referral.reference}."
        )
        return render(request, "referrals/_queue_row.html", {"row": row, "ok": ok})
    if ok:
        messages.success(request, f"Acknowledged {referral.reference}.")
    else:
        messages.warning(request, notice)
    return redirect(_safe_next(request, referral_path(referral)))
