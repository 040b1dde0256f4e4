"""Two-factor authentication: who needs it, and checking a code.

A code is either the 6 digits an authenticator app shows (the user's TOTP
device) or one of their recovery codes (a django-otp static token, good
once). Two-factor *applies* to a user when the deployment requires it of
their role (``MSCC_REQUIRE_2FA`` and a staff role), or when they have set it
up anyway: a user with a device is always asked for a code.

Guessing codes is bounded twice: each wrong code counts as a failed sign-in
of the (username, client address) pair (accounts/lockout.py), and the
device itself makes the next try wait 1, 2, 4 ... seconds, capped at
``MAX_CODE_DELAY_SECONDS``, so guesses from many addresses stay slow while
the holder of the device is never kept out for more than that.
"""

import re
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import Role

# Roles that work on patients' cases or configure the service: everyone but a
# referrer (a GP or ward doctor referring their own patients).
STAFF_ROLES = frozenset(
    {Role.COORDINATOR, Role.SENIOR_CLINICIAN, Role.ALLIANCE_LEAD, Role.SERVICE_ADMIN}
)
# The longest the authenticator makes anyone wait after wrong codes: the
# delay doubles from 1 s with each wrong code (django-otp), up to 2**(cap-1)
# s = 512 s. That caps guessing at about 170 codes a day however many
# addresses try (about 1 in 2,000 a day of hitting one of the 3 codes valid at
# a time); the phone's owner, if someone with their password is guessing,
# waits at most that long or signs in at once with a recovery code.
_THROTTLE_COUNT_CAP = 10
MAX_CODE_DELAY_SECONDS = 2 ** (_THROTTLE_COUNT_CAP - 1)

_TOTP_CODE = re.compile(r"^\d{6}$")


def is_staff(user: Any) -> bool:
    """A staff role, or anyone who may open the admin site."""
    return bool(user.role in STAFF_ROLES or user.is_staff or user.is_superuser)


def two_factor_required(user: Any) -> bool:
    """Whether this deployment requires a second factor of this user."""
    return bool(settings.MSCC_REQUIRE_2FA) and is_staff(user)


def totp_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def two_factor_applies(user: Any) -> bool:
    """Whether a sign-in of this user needs a code: required of them, or set up."""
    return two_factor_required(user) or totp_device(user) is not None


def recovery_codes_left(user: Any) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device else 0


def secret_text(device: TOTPDevice) -> str:
    """The device's secret as an authenticator app takes it typed in: base32,
    in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code, drawn here (no
    external service ever sees the secret)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg: str = image.to_string(encoding="unicode")
    return svg


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of a code: ``method`` is ``totp`` or ``recovery_code`` when
    it was accepted; ``wait_until`` is set when the device refused to check
    it yet (too many wrong codes just now)."""

    device: TOTPDevice | StaticDevice | None
    method: str = ""
    wait_until: datetime | None = None

    @property
    def accepted(self) -> bool:
        return self.device is not None

    @property
    def wait_seconds(self) -> int:
        if self.wait_until is None:
            return 0
        return max(1, int((self.wait_until - timezone.now()).total_seconds()) + 1)


def _normalised(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _allowed(device: TOTPDevice | StaticDevice) -> datetime | None:
    """None when the device will check a code now, else until when it waits.
    The count behind the wait is capped first (see MAX_CODE_DELAY_SECONDS)."""
    if device.throttling_failure_count > _THROTTLE_COUNT_CAP:
        device.throttling_failure_count = _THROTTLE_COUNT_CAP
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    locked_until: datetime | None = (data or {}).get("locked_until")
    return locked_until or timezone.now()


def code_check(user: Any, code: str) -> CodeCheck:
    """Check a code against the user's own devices: six digits against the
    authenticator app, anything else against the recovery codes (used up
    when accepted). Under the devices' row locks, so one code is never
    accepted twice by two requests at once."""
    code = _normalised(code)
    if not code:
        return CodeCheck(device=None)
    with transaction.atomic():
        if _TOTP_CODE.match(code):
            totp = (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, confirmed=True)
                .order_by("-id")
                .first()
            )
            if totp is None:
                return CodeCheck(device=None)
            wait = _allowed(totp)
            if wait is not None:
                return CodeCheck(device=None, wait_until=wait)
            if totp.verify_token(code):
                return CodeCheck(device=totp, method="totp")
            return CodeCheck(device=None)
        static = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if static is None:
            return CodeCheck(device=None)
        wait = _allowed(static)
        if wait is not None:
            return CodeCheck(device=None, wait_until=wait)
        if static.verify_token(code):
            return CodeCheck(device=static, method="recovery_code")
        return CodeCheck(device=None)
