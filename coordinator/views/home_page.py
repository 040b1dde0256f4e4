"""Home: each role's first page."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from coordinator.views.common import PageRequest, page
from core.permissions import ACTION_ROLES
from core.roles import Role
from core.versioned import is_configurer


@page()
@require_GET
def home(request: PageRequest) -> HttpResponse:
    """Each role's first page: the queue, their referrals, the audit
    dashboard (an alliance lead), or a page of links."""
    role = request.user.role
    if role in ACTION_ROLES["queue"]:
        return redirect("queue")
    if role in ACTION_ROLES["referral_list"]:
        return redirect("referral_mine")
    if role == Role.ALLIANCE_LEAD:
        # By URL name: the audit app sits above this one and is never imported here.
        return redirect("audit_dashboard")
    user = request.user
    return render(
        request,
        "referrals/home_later.html",
        {
            # The configuration admin opens for an active service admin who
            # may use the admin site (core/admin_versions.py).
            "configures": bool(user.is_staff and is_configurer(user)),
        },
    )
