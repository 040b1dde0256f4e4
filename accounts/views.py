"""The sign-in pages: password, then the second-factor code where it applies;
setting two-factor up; the account page (recovery codes, password, sign out
everywhere). The admin site signs in here too."""

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts import lockout, services, two_factor
from accounts.forms import CodeForm
from accounts.throttles import sign_in_throttled
from core.client_address import client_address
from core.logs import get_logger

log = get_logger(__name__)

# A password accepted, the code still to come: who, by which backend, since
# when, and where to go after. Kept in the (not yet signed-in) session.
PENDING = "accounts.pending_sign_in"
PENDING_SECONDS = 5 * 60


class SignInView(LoginView):
    """The password step. A user to whom two-factor applies and who has an
    authenticator is not signed in yet: the code page comes next. A staff
    user required to use two-factor who has not set it up is signed in to
    set it up, and can open nothing else (accounts/middleware.py)."""

    template_name = "registration/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = sign_in_throttled(request)
        if wait is not None:
            return lockout.rate_limited_response(request, wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        request = self.request
        if two_factor.totp_device(user) is not None:
            request.session.cycle_key()
            request.session[PENDING] = {
                "user_id": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": self.get_success_url(),
            }
            return redirect("sign_in_code")
        login(request, user)
        enrol = two_factor.two_factor_required(user)
        log.info(
            "sign_in.succeeded",
            user_id=user.pk,
            channel="page",
            second_factor="to_set_up" if enrol else "none",
            client_address=client_address(request),
        )
        if enrol:
            return redirect("two_factor_setup")
        return HttpResponseRedirect(self.get_success_url())


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user_id = pending.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return (user, pending) if user is not None else None


@never_cache
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The code step: the authenticator's six digits, or a recovery code.
    A wrong code counts as a failed sign-in of the pair, like a wrong password."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING, None)
        messages.info(request, "Sign in again: the time to enter the code ran out.")
        return redirect("login")
    user, pending = found
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        wait = sign_in_throttled(request)
        if wait is not None:
            return lockout.rate_limited_response(request, wait)
        username = user.get_username()
        if lockout.is_paused(request, username):
            request.session.pop(PENDING, None)
            return lockout.lockout_response(request, None, {"username": username})
        if form.is_valid():
            check = two_factor.code_check(user, form.cleaned_data["code"])
            if check.accepted:
                request.session.pop(PENDING, None)
                login(request, user, backend=pending["backend"])
                otp_login(request, check.device)
                left = two_factor.recovery_codes_left(user)
                log.info(
                    "sign_in.succeeded",
                    user_id=user.pk,
                    channel="page",
                    second_factor=check.method,
                    client_address=client_address(request),
                )
                if check.method == "recovery_code":
                    log.info("two_factor.recovery_code_used", user_id=user.pk, left=left)
                    messages.warning(
                        request,
                        f"You used a recovery code: {left} left. Make new ones on your "
                        "account page if you are running short.",
                    )
                return _redirect_next(request, pending.get("next"))
            if check.wait_until is not None:
                form.add_error(
                    "code",
                    f"Too many wrong codes: wait {check.wait_seconds} seconds, or use a "
                    "recovery code.",
                )
            else:
                if lockout.failure_record(request, username):
                    # The middleware answers with the pause (AXES_LOCKOUT_CALLABLE).
                    request.session.pop(PENDING, None)
                form.add_error("code", "That code is wrong or has expired. Try the next one.")
    return render(request, "accounts/sign_in_code.html", {"form": form})


def _redirect_next(request: HttpRequest, target: Any) -> HttpResponse:
    if isinstance(target, str) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect("home")


def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin site signs in through the same pages (the lockout, the code):
    its own password-only form is never served."""
    target = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': target})}")


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: a QR code (and the secret as text), then a
    code from the app to confirm it; the recovery codes are shown once."""
    user = request.user
    existing = two_factor.totp_device(user)
    if existing is not None and not user.is_verified():  # type: ignore[union-attr]
        # Replacing a device needs a session that passed the current one.
        logout(request)
        messages.info(request, "Sign in with your current code first.")
        return redirect(f"{reverse('login')}?{urlencode({'next': request.path})}")
    device = services.totp_device_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolled = services.totp_device_confirm(user=user, code=form.cleaned_data["code"])
        if enrolled is not None:
            otp_login(request, enrolled.device)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": enrolled.recovery_codes, "enrolled": True},
            )
        form.add_error("code", "That code does not match: check the app and try the next one.")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_svg(device),
            "secret": two_factor.secret_text(device),
            "replacing": existing is not None,
            "required": two_factor.two_factor_required(user),
        },
    )


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "nav": "account",
            "device": two_factor.totp_device(user),
            "required": two_factor.two_factor_required(user),
            "recovery_codes_left": two_factor.recovery_codes_left(user),
        },
    )


@never_cache
@require_POST
@login_required
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if two_factor.totp_device(user) is None or not user.is_verified():  # type: ignore[union-attr]
        messages.error(request, "Set up two-factor authentication first.")
        return redirect("account")
    codes = services.recovery_codes_create(user=user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "enrolled": False})


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """Every API token revoked, every web session ended, this one too."""
    services.sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, "You are signed out everywhere: every session and API token.")
    return redirect("login")


class PasswordChange(PasswordChangeView):
    """Django's own form (the password rules apply); this session stays
    signed in, every other one and every API token ends (accounts/signals.py
    and Django's session hash)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account")
    extra_context = {"nav": "account"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "min_length": settings.MSCC_PASSWORD_MIN_LENGTH,
        }

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The session's key changed with the password: record the new one.
        services.session_record(
            user=self.request.user, session_key=self.request.session.session_key
        )
        messages.success(
            self.request, "Password changed. Your other sessions and API tokens are signed out."
        )
        return response
