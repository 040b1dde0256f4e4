"""The in-app notifications page, its acknowledge action and the nav's live
badge: a thin shell over the notifications services and selectors, as the
API is. The same roles as the API have an inbox (``ACTION_ROLES``), and
clinicians may acknowledge an escalation. Everything is scoped to the
signed-in user's own service (another service's escalation is a 404). Times
are UK time.
"""

from collections.abc import Callable
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from core.errors import Conflict, NotFound
from core.permissions import ACTION_ROLES
from notifications.page_access import role_page
from notifications.selectors.escalations import (
    inbox,
    inbox_grouped,
    inbox_latest_emergency_unread,
    inbox_unread_count,
)
from notifications.services.escalations import (
    clock_escalations_acknowledge,
    notification_mark_read,
    notifications_mark_read,
)
from pathways.codes import ClockKind
from referrals.models import User

View = Callable[..., HttpResponse]


class InboxRequest(HttpRequest):
    # Signed in or anonymous: the views check which before acting.
    user: User | AnonymousUser


def _member(request: InboxRequest) -> User:
    """The signed-in user (the page decorator has checked)."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101  # inbox_page let only a signed-in user in
    return user


# The pages' sign-in and role check, shared with the rota pages.
inbox_page = role_page


# --- Notifications -------------------------------------------------------------------

# Notifications per page of the inbox.
INBOX_PAGE_SIZE = 50


@inbox_page("notifications_inbox")
@require_GET
def notifications_inbox(request: InboxRequest) -> HttpResponse:
    """The user's in-app notifications, 50 a page (newest first), grouped per
    referral and, under it, per clock with its live time left. Opening the
    page marks nothing read: a notification is read once its clock is
    acknowledged or the user marks it. No patient data is shown, only
    referral references, so no access record is written (the referral page
    records its own)."""
    user = _member(request)
    # Newest first, with a tie-break: one sweep sends several at the same
    # instant, and a page must not repeat or skip one.
    deliveries = (
        inbox(user=user)
        .select_related("escalation__acknowledged_by", "escalation__clock__referral")
        .order_by("-created_at", "-pk")
    )
    page_obj = Paginator(deliveries, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    grouped = inbox_grouped(page_obj.object_list, now=now)
    shown = list(page_obj.object_list)
    return render(
        request,
        "notifications/inbox.html",
        {
            "page_obj": page_obj,
            "grouped": grouped,
            "unread_shown": [d for d in shown if d.read_at is None],
            "unread": inbox_unread_count(user=user),
            "now": now,
            "may_acknowledge": user.role in ACTION_ROLES["escalation_acknowledge"],
            "may_open_referral": user.role in ACTION_ROLES["referral_detail"],
            "nav": "notifications",
        },
    )


def _inbox_url(page: str, anchor: str = "") -> str:
    number = page if page.isdigit() else "1"
    return f"{reverse('notifications_inbox')}?{urlencode({'page': number})}{anchor}"


@inbox_page("escalation_acknowledge")
@require_POST
def notification_acknowledge(request: InboxRequest, escalation_id: UUID) -> HttpResponse:
    """Acknowledge a clock from the inbox: every escalation of the clock not
    yet acknowledged is, and their repeats stop; another clock's are
    untouched. Someone else got there first: said as a message (their name),
    not an error page."""
    back = _inbox_url(request.POST.get("page", ""))
    try:
        done = clock_escalations_acknowledge(
            escalation_id=escalation_id, user=_member(request), now=timezone.now()
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        clock = done[0].clock
        label = ClockKind(clock.kind).label
        count = len(done)
        messages.success(
            request,
            f"{label} clock of {clock.referral.reference} acknowledged "
            f"({count} escalation{pluralize(count)}): no more repeats will be sent.",
        )
    return redirect(back)


@inbox_page("notifications_inbox")
@require_POST
def notification_read(request: InboxRequest, delivery_id: UUID) -> HttpResponse:
    """Mark one of my notifications read (it stays on the page)."""
    try:
        notification_mark_read(delivery_id=delivery_id, user=_member(request), now=timezone.now())
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return redirect(_inbox_url(request.POST.get("page", "")))


@inbox_page("notifications_inbox")
@require_POST
def notifications_read_shown(request: InboxRequest) -> HttpResponse:
    """Mark the notifications the page showed read: only those (their ids
    come with the form), never one that arrived after the page was drawn."""
    ids = []
    for value in request.POST.getlist("delivery"):
        try:
            ids.append(UUID(value))
        except ValueError:
            return HttpResponseBadRequest("delivery: not a notification id.")
    count = notifications_mark_read(delivery_ids=ids, user=_member(request), now=timezone.now())
    messages.success(request, f"{count} notification{pluralize(count)} marked read.")
    return redirect(_inbox_url(request.POST.get("page", "")))


@require_GET
def notifications_badge(request: InboxRequest) -> HttpResponse:
    """The nav badge alone, fetched by htmx every 30 seconds. Unchanged (the
    unread count and the newest unread emergency notification) is 204:
    nothing swapped, nothing announced. Signed out: says so and stops
    polling, rather than taking the page away from a half-typed form."""
    user = request.user
    if not isinstance(user, User):
        response = render(request, "notifications/_badge.html", {"signed_out": True})
        return HttpResponseStopPolling(response.content)
    if user.role not in ACTION_ROLES["notifications_inbox"]:
        raise PermissionDenied("Your role has no notifications.")
    unread = inbox_unread_count(user=user)
    emergency = inbox_latest_emergency_unread(user=user) or ""
    if request.GET.get("shown") == str(unread) and request.GET.get("emergency", "") == emergency:
        return HttpResponse(status=204)
    context = {
        "shown": True,
        "unread": unread,
        "emergency": emergency,
        "current": request.GET.get("current") == "1",
    }
    return render(request, "notifications/_badge.html", context)
