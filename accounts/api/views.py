"""The token call and the API sign-outs."""

from typing import Any

from django.contrib.auth import authenticate, logout
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import lockout, services, two_factor
from accounts.api.serializers import SignedOutOutput, TokenInput, TokenOutput
from accounts.throttles import SignInThrottle
from core.api.parsers import StrictJSONParser
from core.client_address import client_address
from core.logs import get_logger
from core.permissions import RolePermission

log = get_logger(__name__)

WRONG_CREDENTIALS = "Unable to log in with provided credentials."
OTP_MISSING = (
    "This field is required for this account: the 6-digit code from your "
    "authenticator app, or a recovery code."
)
OTP_NOT_SET_UP = (
    "Two-factor authentication is required for this account and is not set up yet: "
    "sign in on the web page once to set it up."
)
OTP_WRONG = "The code is wrong or has expired."


class TokenView(APIView):
    """POST {username, password, otp} → {token, expires_at, expires_at_latest};
    then send ``Authorization: Token <token>``. ``otp`` where two-factor applies
    (staff when MSCC_REQUIRE_2FA is on, or anyone who set it up): a 400 naming
    it when it is missing. A new token every sign-in, lapsing after an idle
    hour and 12 hours in all (settings). Failed sign-ins pause the
    (username, client address) pair: 429 with Retry-After."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [SignInThrottle]
    parser_classes = [StrictJSONParser, FormParser]

    @extend_schema(
        request=TokenInput,
        responses={
            200: TokenOutput,
            400: OpenApiResponse(description="a field named: credentials, or otp"),
            429: OpenApiResponse(description="too many attempts: see Retry-After"),
        },
    )
    def post(self, request: Request) -> Response | Any:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        http = request._request
        user = authenticate(http, username=username, password=data.validated_data["password"])
        if getattr(http, "axes_locked_out", False):
            return lockout.lockout_response(http, None, {"username": username})
        if user is None:
            raise serializers.ValidationError({"non_field_errors": [WRONG_CREDENTIALS]})
        method = "none"
        if two_factor.two_factor_applies(user):
            if two_factor.totp_device(user) is None:
                raise serializers.ValidationError({"otp": [OTP_NOT_SET_UP]})
            otp = data.validated_data.get("otp") or ""
            if not otp.strip():
                raise serializers.ValidationError({"otp": [OTP_MISSING]})
            check = two_factor.code_check(user, otp)
            if check.wait_until is not None:
                response = Response(
                    {
                        "otp": [
                            f"Too many wrong codes: wait {check.wait_seconds} seconds, "
                            "or use a recovery code."
                        ]
                    },
                    status=status.HTTP_400_BAD_REQUEST,
                )
                response["Retry-After"] = str(check.wait_seconds)
                return response
            if not check.accepted:
                if lockout.failure_record(http, username):
                    return lockout.lockout_response(http, None, {"username": username})
                raise serializers.ValidationError({"otp": [OTP_WRONG]})
            method = check.method
        issued = services.token_create(user=user)
        # Django's and django-axes's own receivers: last_login, the access
        # log, and this pair's failed attempts cleared.
        user_logged_in.send(sender=type(user), request=http, user=user)
        log.info(
            "sign_in.succeeded",
            user_id=user.pk,
            channel="api",
            second_factor=method,
            token_id=services.token_id(issued.instance),
            client_address=client_address(http),
        )
        if method == "recovery_code":
            log.info(
                "two_factor.recovery_code_used",
                user_id=user.pk,
                left=two_factor.recovery_codes_left(user),
            )
        output = TokenOutput(
            {
                "token": issued.token,
                "expires_at": issued.expires_at,
                "expires_at_latest": issued.expires_at_latest,
            }
        )
        return Response(output.data)


class SignOutView(APIView):
    """Revokes the token this request was made with (or ends the session)."""

    permission_classes = [RolePermission]
    permission_action = "sign_out"

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            services.token_revoke(token=request.auth, reason="sign_out")
            log.info("sign_out", user_id=request.user.pk, channel="api")
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereView(APIView):
    """Revokes every token of the user and ends every web session."""

    permission_classes = [RolePermission]
    permission_action = "sign_out"

    @extend_schema(request=None, responses={200: SignedOutOutput})
    def post(self, request: Request) -> Response:
        done = services.sign_out_everywhere(user=request.user)
        if not isinstance(request.auth, AuthToken):
            logout(request._request)
        return Response(
            SignedOutOutput({"tokens_revoked": done.tokens, "sessions_ended": done.sessions}).data
        )
