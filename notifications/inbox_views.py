"""The in-app notifications page, its acknowledge action and the nav's live
badge: a thin shell over the notifications services and selectors, as the
API is. The same roles as the API have an inbox (``ACTION_ROLES``), and
clinicians may acknowledge an escalation. Everything is scoped to the
signed-in user's own service (another service's escalation is a 404). Times
are UK time.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from core.errors import Conflict, NotFound
from core.permissions import ACTION_ROLES
from notifications.models import Delivery, Escalation
from notifications.selectors.escalations import inbox, inbox_unread_count
from notifications.services.escalations import escalation_acknowledge, notification_mark_read
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


def inbox_page(action: str) -> Callable[[View], View]:
    """Sign-in and role check from the API's permission table: signed out
    goes to the sign-in page, a wrong role is a 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: InboxRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not isinstance(user, User):
                return redirect_to_login(request.get_full_path())
            if user.role not in ACTION_ROLES[action]:
                raise PermissionDenied("Your role may not use this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- Notifications -------------------------------------------------------------------

# Notifications per page of the inbox.
INBOX_PAGE_SIZE = 50


@dataclass
class InboxItem:
    """One in-app notification as the inbox shows it."""

    delivery: Delivery
    # Unread until this page was opened (opening it marks it read).
    new: bool
    escalation: Escalation | None
    may_open_referral: bool
    may_acknowledge: bool


def _inbox_item(delivery: Delivery, user: User, new: bool) -> InboxItem:
    escalation = delivery.escalation
    own = escalation is not None and escalation.clock.referral.service_id == user.service_id
    return InboxItem(
        delivery=delivery,
        new=new,
        escalation=escalation,
        may_open_referral=own and user.role in ACTION_ROLES["referral_detail"],
        may_acknowledge=own
        and escalation is not None
        and escalation.acknowledged_at is None
        and user.role in ACTION_ROLES["escalation_acknowledge"],
    )


@inbox_page("notifications_inbox")
@require_GET
def notifications_inbox(request: InboxRequest) -> HttpResponse:
    """The user's in-app notifications, newest first, 50 a page. Opening a
    page marks what it shows read (the badge counts the rest); what was
    unread until then is marked "New". No patient data is shown, only
    referral references, so no access record is written (the referral page
    records its own)."""
    user = _member(request)
    # Newest first as the selector gives, with a tie-break: one sweep sends
    # several at the same instant, and a page must not repeat or skip one.
    deliveries = (
        inbox(user=user)
        .select_related("escalation__acknowledged_by")
        .order_by("-created_at", "-pk")
    )
    page_obj = Paginator(deliveries, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    items = []
    for delivery in page_obj.object_list:
        new = delivery.read_at is None
        if new:
            notification_mark_read(delivery_id=delivery.pk, user=user, now=now)
        items.append(_inbox_item(delivery, user, new))
    return render(
        request,
        "notifications/inbox.html",
        {
            "page_obj": page_obj,
            "items": items,
            "new_count": sum(item.new for item in items),
            "nav": "notifications",
        },
    )


def _inbox_url(page: str) -> str:
    number = page if page.isdigit() else "1"
    return f"{reverse('notifications_inbox')}?{urlencode({'page': number})}"


@inbox_page("escalation_acknowledge")
@require_POST
def notification_acknowledge(request: InboxRequest, escalation_id: UUID) -> HttpResponse:
    """Acknowledge an escalation from the inbox: its repeats stop. Someone
    else got there first: said as a message (their name), not an error page."""
    back = _inbox_url(request.POST.get("page", ""))
    try:
        escalation = escalation_acknowledge(
            escalation_id=escalation_id, user=_member(request), now=timezone.now()
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Escalation acknowledged for {escalation.clock.referral.reference}: "
            "no more repeats will be sent.",
        )
    return redirect(back)


@require_GET
def notifications_badge(request: InboxRequest) -> HttpResponse:
    """The nav badge alone, fetched by htmx every 30 seconds. Unchanged is
    204 (nothing swapped, nothing announced). Signed out: says so and stops
    polling, rather than taking the page away from a half-typed form."""
    user = request.user
    if not isinstance(user, User):
        response = render(request, "notifications/_badge.html", {"signed_out": True})
        return HttpResponseStopPolling(response.content)
    if user.role not in ACTION_ROLES["notifications_inbox"]:
        raise PermissionDenied("Your role has no notifications.")
    unread = inbox_unread_count(user=user)
    if request.GET.get("shown") == str(unread):
        return HttpResponse(status=204)
    context = {"shown": True, "unread": unread, "current": request.GET.get("current") == "1"}
    return render(request, "notifications/_badge.html", context)
