"""The nav's live notifications badge with what the optional audible alert
needs (issue 11): the unread count, and the id of the newest unread
notification about an emergency referral, so a page can tell a new one from
one it has already seen."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from core.permissions import ACTION_ROLES
from notifications.alert_words import UK
from notifications.selectors.escalations import inbox_latest_emergency_unread, inbox_unread_count
from referrals.models import User

register = template.Library()


@register.inclusion_tag("notifications/_badge.html", takes_context=True)
def notifications_badge_live(context: template.Context) -> dict[str, Any]:
    """ "Notifications (N)", N unread, for the roles with an inbox; it fetches
    itself again every 30 seconds (the ``notifications_badge`` view)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or user.role not in ACTION_ROLES["notifications_inbox"]:
        return {"shown": False}
    return {
        "shown": True,
        "unread": inbox_unread_count(user=user),
        "emergency": inbox_latest_emergency_unread(user=user) or "",
        "current": context.get("nav") == "notifications",
    }


@register.filter
def as_of(value: datetime) -> str:
    """``17:45 GMT``: the UK time a page's live figures were worked out at."""
    local = timezone.localtime(value, UK)
    return f"{local:%H:%M} {local.tzname()}"
