"""Every write of sign-in state: API tokens, two-factor devices and recovery
codes, the record of signed-in web sessions, and "sign out everywhere"."""

from base64 import b32decode
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.models import SignedInSession
from core.logs import get_logger

log = get_logger(__name__)

RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def token_id(token: AuthToken) -> str:
    """A short id for logs: the start of the token's stored digest (a one-way
    hash), never any part of the token itself."""
    return str(token.digest)[:12]


# --- API tokens -------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, to the client that signed in; only its hash is kept
    instance: AuthToken

    @property
    def expires_at(self) -> datetime:
        """When it lapses if it is not used (each use moves this on)."""
        expiry: datetime = self.instance.expiry
        return expiry

    @property
    def expires_at_latest(self) -> datetime:
        """When it lapses however much it is used (MSCC_TOKEN_MAX_AGE_SECONDS)."""
        created: datetime = self.instance.created
        return created + timedelta(seconds=settings.MSCC_TOKEN_MAX_AGE_SECONDS)


def token_create(*, user: Any) -> IssuedToken:
    """A new token for one sign-in (every sign-in has its own), and the
    user's lapsed ones cleared away."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(
        user=user, expiry=timedelta(seconds=settings.MSCC_TOKEN_IDLE_SECONDS)
    )
    log.info("token.created", user_id=user.pk, token_id=token_id(instance))
    return IssuedToken(token=token, instance=instance)


def token_revoke(*, token: AuthToken, reason: str) -> None:
    user_id = token.user_id
    ident = token_id(token)
    token.delete()
    log.info("token.revoked", user_id=user_id, token_id=ident, tokens=1, reason=reason)


def tokens_revoke_all(*, user: Any, reason: str) -> int:
    count: int = AuthToken.objects.filter(user=user).delete()[0]
    if count:
        log.info("token.revoked", user_id=user.pk, tokens=count, reason=reason)
    return count


# --- Web sessions -------------------------------------------------------------------


def session_record(*, user: Any, session_key: str | None) -> None:
    """Remember that this session is signed in as the user, so that "sign out
    everywhere" can end it; records older than any session could live are
    cleared on the way."""
    if not session_key:
        return
    oldest = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    SignedInSession.objects.filter(user=user, created_at__lt=oldest).delete()
    SignedInSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def session_forget(*, session_key: str | None) -> None:
    if session_key:
        SignedInSession.objects.filter(session_key=session_key).delete()


def sessions_end_all(*, user: Any) -> int:
    """End every web session the user has signed in (whatever the session
    store: each is deleted through it)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(SignedInSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    SignedInSession.objects.filter(user=user).delete()
    if keys:
        log.info("session.ended", user_id=user.pk, sessions=len(keys), reason="sign_out_everywhere")
    return len(keys)


@dataclass(frozen=True)
class SignedOut:
    tokens: int
    sessions: int


@transaction.atomic
def sign_out_everywhere(*, user: Any) -> SignedOut:
    """Every API token revoked and every web session ended, this one included."""
    tokens = tokens_revoke_all(user=user, reason="sign_out_everywhere")
    sessions = sessions_end_all(user=user)
    log.info("sign_out.everywhere", user_id=user.pk, tokens=tokens, sessions=sessions)
    return SignedOut(tokens=tokens, sessions=sessions)


# --- Two-factor devices ----------------------------------------------------------


def totp_device_start(*, user: Any) -> TOTPDevice:
    """The authenticator app being set up: an unconfirmed device (reused if
    one is waiting, so a reloaded page shows the same QR code). A device in
    use stays in use until the new one is confirmed."""
    waiting = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if waiting is not None:
        return waiting
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]


@transaction.atomic
def totp_device_confirm(*, user: Any, code: str) -> Enrolled | None:
    """Confirm the waiting device with a code it shows: it replaces any
    earlier one, and a fresh set of recovery codes is issued. None (nothing
    changed) when the code is wrong or nothing is waiting."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-id")
        .first()
    )
    code = "".join((code or "").split())
    if device is None or not code.isdigit():
        return None
    # The page shows this device's secret to the signed-in user: a wrong code
    # here guesses nothing, so it does not make the next one wait.
    device.throttle_reset(commit=False)
    if not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = recovery_codes_create(user=user)
    log.info("two_factor.enrolled", user_id=user.pk, device_id=device.pk)
    return Enrolled(device=device, recovery_codes=codes)


@transaction.atomic
def recovery_codes_create(*, user: Any) -> list[str]:
    """A new set of recovery codes (each good once); the old set stops working.
    The codes are shown once: only the user keeps them."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": RECOVERY_DEVICE_NAME, "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    log.info("two_factor.recovery_codes_issued", user_id=user.pk, codes=len(codes))
    return codes


@transaction.atomic
def totp_device_install(*, user: Any, secret_base32: str) -> TOTPDevice:
    """A confirmed authenticator with a secret chosen elsewhere: only for the
    demo's and the benchmarks' scripted sign-ins (seed_demo,
    MSCC_DEMO_TOTP_SECRET). Idempotent."""
    key = b32decode(secret_base32.replace(" ", "").upper()).hex()
    device = TOTPDevice.objects.filter(user=user, key=key, confirmed=True).first()
    if device is None:
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True)
    return device
