"""The invitee's side of an invitation (accounts/invites.py): open the link,
choose a password (Django's password rules), and go on to set up two-factor
where the deployment requires it, as at any first sign-in.

The token arrives once, in the link's query (which the access log never
records); it is checked, kept in the session, and the browser is sent on to
a page whose address holds no token, so the token is not left in the
browser's history of the form page, nor sent on as a referrer by it.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import two_factor
from accounts.invites import InviteProblem, InviteRefused, invite_accept, invite_check
from core.logs import get_logger

log = get_logger(__name__)

_SESSION_KEY = "accounts.invite_token"
_BACKEND = "django.contrib.auth.backends.ModelBackend"

# What the invitee reads when the link does not work, and its status.
_PROBLEM_PAGES: dict[InviteProblem, tuple[int, str, str]] = {
    InviteProblem.UNKNOWN: (
        404,
        "This invitation link does not work",
        "The link is incomplete or not one of ours. Copy the whole link from the e-mail, "
        "or ask your service admin for a new one.",
    ),
    InviteProblem.USED: (
        410,
        "This invitation link has been used",
        "Each link works once, and a newer link replaces an older one. If you have set "
        "your password, sign in. If not, ask your service admin for a new link.",
    ),
    InviteProblem.EXPIRED: (
        410,
        "This invitation link has expired",
        "Invitation links work for {days} days. Ask your service admin for a new one.",
    ),
}


def _problem(request: HttpRequest, problem: InviteProblem) -> HttpResponse:
    request.session.pop(_SESSION_KEY, None)
    status, title, text = _PROBLEM_PAGES[problem]
    log.info("invite.refused", problem=problem.value)
    return render(
        request,
        "accounts/invite_problem.html",
        {"title": title, "text": text.format(days=settings.MSCC_INVITE_DAYS)},
        status=status,
    )


@never_cache
@require_GET
def invite_open(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("token", "")
    check = invite_check(token=token, now=timezone.now())
    if not check.ok:
        return _problem(request, check.problem or InviteProblem.UNKNOWN)
    request.session[_SESSION_KEY] = token
    return redirect("invite_password")


@never_cache
@require_http_methods(["GET", "POST"])
def invite_password(request: HttpRequest) -> HttpResponse:
    token = request.session.get(_SESSION_KEY)
    if not isinstance(token, str):
        return _problem(request, InviteProblem.UNKNOWN)
    now = timezone.now()
    check = invite_check(token=token, now=now)
    if not check.ok:
        return _problem(request, check.problem or InviteProblem.UNKNOWN)
    form = SetPasswordForm(check.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user: Any = invite_accept(
                token=token, password=form.cleaned_data["new_password1"], now=now
            )
        except InviteRefused as refused:
            return _problem(request, refused.problem)
        request.session.pop(_SESSION_KEY, None)
        login(request, user, backend=_BACKEND)
        if two_factor.two_factor_required(user):
            return redirect("two_factor_setup")
        return redirect("home")
    return render(
        request,
        "accounts/invite_password.html",
        {
            "form": form,
            "invitee": check.user,
            "min_length": settings.MSCC_PASSWORD_MIN_LENGTH,
            "two_factor": two_factor.two_factor_required(check.user),
        },
        status=400 if request.method == "POST" else 200,
    )
