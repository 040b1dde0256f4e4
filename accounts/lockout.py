"""The sign-in lockout, on django-axes: failed sign-ins are counted per
(username, client address) pair in the database (so every process and
server counts together), and MSCC_SIGN_IN_FAILURE_LIMIT of them pause that
pair for MSCC_SIGN_IN_COOLOFF_SECONDS after the last one. Never the account
outright: the same username from another address, and other usernames from
this one, carry on.

Django's ``authenticate`` counts wrong passwords through axes on its own;
a wrong second-factor code is counted here (``failure_record``), the same way.
"""

from datetime import timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from core.client_address import client_address

PAUSED_MESSAGE = (
    "Too many failed sign-ins for this username from this address: signing in is "
    "paused for {minutes} more minute(s). Other addresses and other users are not "
    "affected. If you cannot wait, phone the service admin, who can lift the pause."
)


# The longest username there is (the user model's); axes keeps 255 characters.
USERNAME_MAX = 150


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username a failure is counted under (AXES_USERNAME_CALLABLE): as
    typed, cut to the longest a username can be, so an over-long one is
    counted, never an error of the database."""
    if credentials is not None:
        value = credentials.get("username")
    else:
        value = request.POST.get("username") if request.method == "POST" else None
    return None if value is None else str(value)[:USERNAME_MAX]


def _http(request: Any) -> HttpRequest:
    """The Django request under a DRF one."""
    http: HttpRequest = getattr(request, "_request", request)
    return http


def is_paused(request: Any, username: str) -> bool:
    return bool(AxesProxyHandler.is_locked(_http(request), {"username": username}))


def failure_record(request: Any, username: str) -> bool:
    """Count a failed sign-in that ``authenticate`` did not see (a wrong
    code), as a failure of this pair. True if the pair is now paused."""
    http = _http(request)
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=http)
    return bool(getattr(http, "axes_locked_out", False))


def pause_seconds(request: Any, username: str | None) -> int:
    """Seconds until the pair's pause ends: the cool-off after its last
    counted failure (attempts while paused are not counted)."""
    cooloff = timedelta(seconds=settings.MSCC_SIGN_IN_COOLOFF_SECONDS)
    http = _http(request)
    last = AccessAttempt.objects.filter(
        username=lockout_username(http, {"username": username}),
        ip_address=client_address(http),
    ).aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return int(cooloff.total_seconds())
    return max(1, int((last + cooloff - timezone.now()).total_seconds()) + 1)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """What a paused pair is answered (AXES_LOCKOUT_CALLABLE): 429 with
    Retry-After; JSON on the API, the page elsewhere."""
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username") if request.method == "POST" else None
    seconds = pause_seconds(request, username)
    minutes = max(1, -(-seconds // 60))
    message = PAUSED_MESSAGE.format(minutes=minutes)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "retry_after_seconds": seconds}, status=429)
    else:
        response = TemplateResponse(
            request,
            "accounts/sign_in_paused.html",
            {"message": message, "minutes": minutes},
            status=429,
        )
        response.render()
    response["Retry-After"] = str(seconds)
    return response


def rate_limited_response(request: HttpRequest, seconds: int) -> HttpResponse:
    """The sign-in pages' answer past SIGN_IN_RATE from one address."""
    message = (
        "Too many sign-in attempts from this address just now: wait "
        f"{seconds} second(s) and try again."
    )
    response = TemplateResponse(
        request,
        "accounts/sign_in_paused.html",
        {"message": message, "minutes": max(1, -(-seconds // 60))},
        status=429,
    )
    response.render()
    response["Retry-After"] = str(seconds)
    return response
