"""Fixtures for the sign-in tests: two-factor switched on, a user with an
authenticator app set up (a known secret, so a test can read its codes),
and the clock moved by hand (time-machine), never slept on."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import recovery_codes_create, totp_device_install
from referrals.models import User
from tests.conftest import PASSWORD

# A fixed secret (base32), test-only: nothing in the service knows it.
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/accounts/login/"
CODE_URL = "/accounts/login/code/"


def code_now(device: TOTPDevice) -> str:
    """The code the authenticator app shows at this (possibly travelled) instant."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@dataclass
class Enrolled:
    user: User
    device: TOTPDevice
    recovery_codes: list[str]

    def code(self) -> str:
        return code_now(self.device)


@pytest.fixture
def two_factor_on(settings: Any) -> None:
    settings.MSCC_REQUIRE_2FA = True


@pytest.fixture
def enrol() -> Callable[[User], Enrolled]:
    def make(user: User) -> Enrolled:
        device = totp_device_install(user=user, secret_base32=SECRET)
        return Enrolled(user=user, device=device, recovery_codes=recovery_codes_create(user=user))

    return make


@pytest.fixture
def clock() -> Any:
    """A stopped clock at a fixed instant; ``clock.move_to(t)`` or
    ``clock.shift(seconds)`` moves it."""
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def at(client_address: str) -> Client:
    """A browser whose requests come from this address (REMOTE_ADDR)."""
    return Client(REMOTE_ADDR=client_address)


def sign_in_page(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def token_call(
    client: Any, username: str, password: str = PASSWORD, *, otp: str | None = None, **extra: Any
) -> Any:
    """``POST /api/v1/auth/token/``; ``extra`` are request headers (``HTTP_...``)."""
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post(TOKEN_URL, body, format="json", **extra)


def later(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)
