"""Staff whose web session has not passed a second factor, where one is
required, may only set it up or sign out.

The sign-in page asks a user with an authenticator for the code before it
signs them in, so the sessions stopped here are: a staff user who has not set
two-factor up yet (signed in with their password, sent to set it up), and a
session from before two-factor was required or from before the user set it up
elsewhere (signed out, to sign in again with the code). The admin site and
the API through a session are covered alike. API tokens are issued only
after the code, so token requests pass.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.two_factor import totp_device, two_factor_required

# Paths an unverified session may still open.
_OPEN = ("/accounts/login/", "/accounts/logout/", "/accounts/two-factor/setup/", "/static/")
_OPEN_EXACT = ("/health/", "/favicon.ico")


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_OPEN)
            and request.path not in _OPEN_EXACT
            and two_factor_required(user)  # before is_verified(), which may query
            and not user.is_verified()  # type: ignore[attr-defined]  # OTPMiddleware adds it
        ):
            return self._stop(request)
        return self.get_response(request)

    def _stop(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": "Two-factor authentication is required: sign in again with the "
                    "code from your authenticator app."
                },
                status=403,
            )
        if totp_device(request.user) is None:
            messages.info(request, "Set up two-factor authentication to go on.")
            response = redirect(reverse("two_factor_setup"))
        else:
            logout(request)
            response = redirect_to_login(request.get_full_path())
        if request.headers.get("HX-Request") == "true":
            # A live panel's request: the whole page goes, not the panel.
            redirected = HttpResponse(status=204)
            redirected["HX-Redirect"] = response["Location"]
            return redirected
        return response
