"""The team pages of a service admin: the coordinators and senior clinicians
of their own service, an invitation, a role change, a deactivation (after
the rota gaps it opens are shown) and a reactivation. A thin shell over
coordinator/services/team.py, which decides who may do what to whom.

Nobody's id is in a URL: the member a form acts on is posted
(``member``, their username).
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coordinator.services import team
from coordinator.views.common import PageRequest, page
from core.errors import DomainError, field_errors, http_status
from core.roles import Role

_ROLE_CHOICES = [(r.value, r.label) for r in team.TEAM_ROLES]
_INVITE_FIELDS = ("username", "first_name", "last_name", "email", "phone", "role")


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.username)


def _team_page(
    request: PageRequest, *, errors: dict[str, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "team/team.html",
        {
            "members": list(team.team_members(by=request.user)),
            "changes": list(team.team_changes(by=request.user)),
            "role_choices": _ROLE_CHOICES,
            "errors": errors or {},
            "service": request.user.service,
            "nav": "team",
        },
        status=status,
    )


@page("team_manage")
@require_GET
def team_list(request: PageRequest) -> HttpResponse:
    return _team_page(request)


@never_cache
@page("team_manage")
@require_http_methods(["GET", "POST"])
def team_invite(request: PageRequest) -> HttpResponse:
    """The invitation form; on success the link is shown once (never
    redirected to a page that could show it again)."""
    values: dict[str, str] = {"role": Role.COORDINATOR}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in _INVITE_FIELDS}
        try:
            invited = team.team_invite(by=request.user, now=timezone.now(), **values)
        except DomainError as error:
            errors, status = field_errors(error), http_status(error)
        else:
            return render(
                request,
                "team/invite_sent.html",
                {"invited": invited, "renewed": False, "nav": "team"},
            )
    return render(
        request,
        "team/invite.html",
        {
            "values": values,
            "errors": errors,
            "role_choices": _ROLE_CHOICES,
            "service": request.user.service,
            "invite_days": settings.MSCC_INVITE_DAYS,
            "nav": "team",
        },
        status=status,
    )


@never_cache
@page("team_manage")
@require_POST
def team_invite_renew(request: PageRequest) -> HttpResponse:
    try:
        invited = team.team_invite_renew(
            by=request.user, username=request.POST.get("member", ""), now=timezone.now()
        )
    except DomainError as error:
        return _team_page(request, errors=field_errors(error), status=http_status(error))
    return render(
        request, "team/invite_sent.html", {"invited": invited, "renewed": True, "nav": "team"}
    )


@page("team_manage")
@require_POST
def team_role(request: PageRequest) -> HttpResponse:
    try:
        changed = team.team_role_change(
            by=request.user,
            username=request.POST.get("member", ""),
            role=request.POST.get("role", ""),
            now=timezone.now(),
        )
    except DomainError as error:
        return _team_page(request, errors=field_errors(error), status=http_status(error))
    member = changed.member
    messages.success(request, f"{_name(member)} is now a {Role(member.role).in_sentence}.")
    if changed.rota_rows:
        messages.warning(
            request,
            f"{_name(member)} still has {changed.rota_rows} shift(s) or override(s) on the "
            f"rota as {Role(changed.role_from).in_sentence}: change those on the rota page.",
        )
    return redirect("team_list")


@never_cache
@page("team_manage")
@require_POST
def team_deactivate(request: PageRequest) -> HttpResponse:
    """Posted without ``confirm``: the confirmation page with the rota gaps
    the deactivation would open. With ``confirm``: done."""
    username = request.POST.get("member", "")
    now = timezone.now()
    try:
        if request.POST.get("confirm") != "yes":
            preview = team.team_deactivate_preview(by=request.user, username=username, now=now)
            return render(
                request,
                "team/deactivate.html",
                {
                    "member": preview.member,
                    "preview": preview.rota,
                    "service_lead": preview.service_lead,
                    "now": now,
                    "nav": "team",
                },
            )
        member = team.team_member(by=request.user, username=username)
        released = team.team_deactivate(by=request.user, username=username, now=now)
    except DomainError as error:
        return _team_page(request, errors=field_errors(error), status=http_status(error))
    text = f"{_name(member)} is deactivated: signed out everywhere and taken off the rota."
    if released.gaps:
        text += (
            f" {len(released.gaps)} rota gap(s) opened: cover them on the rota page "
            "with shifts or overrides."
        )
        messages.warning(request, text)
    else:
        messages.success(request, text)
    return redirect("team_list")


@page("team_manage")
@require_POST
def team_reactivate(request: PageRequest) -> HttpResponse:
    try:
        member = team.team_reactivate(
            by=request.user, username=request.POST.get("member", ""), now=timezone.now()
        )
    except DomainError as error:
        return _team_page(request, errors=field_errors(error), status=http_status(error))
    messages.success(
        request,
        f"{_name(member)} can sign in again. Add them back to the rota if they are on call.",
    )
    return redirect("team_list")
