"""Shared fixtures: a small world of two alliances, users of every role, and
API clients signed in by token.

Tests that need a real service (PostgreSQL, Chromium) are marked; on a bare
machine they skip with the reason, but under CI (``CI=true``) a missing
service fails the run instead, so CI can never pass by skipping them.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from coordinator.services import referral_create, service_provision
from core.roles import Role
from notifications.models import Shift
from referrals.codes import OrganisationKind
from referrals.inputs import PatientDetails
from referrals.models import Alliance, Organisation, Service, User
from referrals.nhs_number import check_digit

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "correct-horse-battery-staple"


def _missing_service(item: pytest.Item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        return f"needs Debian's chromium at {CHROMIUM}"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _missing_service(item)
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI must run every test, but this one {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's deliberate slowness is for real passwords, not test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def now() -> datetime:
    return timezone.now()


class World:
    """Two alliances. Alliance A: service A-MSCC, GP-A1, GP-A2, WARD-A.
    Alliance B: service B-MSCC, GP-B. One user of every role in each scope."""

    def __init__(self) -> None:
        self.alliance = Alliance.objects.create(code="A", name="Alliance A")
        self.other_alliance = Alliance.objects.create(code="B", name="Alliance B")
        self.service = Service.objects.create(
            code="A-MSCC", name="A MSCC", alliance=self.alliance, coordinator_phone="01632 960 001"
        )
        self.other_service = Service.objects.create(
            code="B-MSCC", name="B MSCC", alliance=self.other_alliance
        )
        self.gp = self._org("GP-A1", OrganisationKind.GP_PRACTICE, self.alliance)
        self.gp2 = self._org("GP-A2", OrganisationKind.GP_PRACTICE, self.alliance)
        self.ward = self._org("WARD-A", OrganisationKind.WARD, self.alliance)
        self.other_gp = self._org("GP-B", OrganisationKind.GP_PRACTICE, self.other_alliance)
        self.pathway, self.policy = service_provision(service=self.service)
        self.other_pathway, _ = service_provision(service=self.other_service)

        self.referrer = self._user("referrer", Role.REFERRER, organisation=self.gp)
        self.referrer_same_alliance = self._user(
            "referrer-gp2", Role.REFERRER, organisation=self.gp2
        )
        self.referrer_other = self._user("referrer-b", Role.REFERRER, organisation=self.other_gp)
        self.coordinator = self._user("coordinator", Role.COORDINATOR, service=self.service)
        self.senior = self._user("senior", Role.SENIOR_CLINICIAN, service=self.service)
        self.coordinator_other = self._user(
            "coordinator-b", Role.COORDINATOR, service=self.other_service
        )
        self.lead = self._user("lead", Role.ALLIANCE_LEAD, alliance=self.alliance)
        self.admin = self._user("admin", Role.SERVICE_ADMIN, service=self.service)

    @staticmethod
    def _org(code: str, kind: str, alliance: Alliance) -> Organisation:
        return Organisation.objects.create(code=code, name=code, kind=kind, alliance=alliance)

    @staticmethod
    def _user(username: str, role: str, **scope: Any) -> User:
        user = User.objects.create_user(
            username=username, password=PASSWORD, role=role, first_name=username.title(), **scope
        )
        return user

    def all_users(self) -> dict[str, User]:
        return {
            "referrer": self.referrer,
            "referrer_same_alliance": self.referrer_same_alliance,
            "referrer_other": self.referrer_other,
            "coordinator": self.coordinator,
            "senior": self.senior,
            "coordinator_other": self.coordinator_other,
            "lead": self.lead,
            "admin": self.admin,
        }


@pytest.fixture
def world(db: Any) -> World:
    return World()


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    """An API client signed in as ``user`` by token (anonymous for None)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def _valid_test_nhs_numbers() -> Iterator[str]:
    """Valid Modulus 11 numbers from the never-issued 999 range."""
    for stem in range(999_100_000, 999_999_999):
        digit = check_digit(str(stem))
        if digit is not None:
            yield f"{stem}{digit}"


_NHS_NUMBERS = _valid_test_nhs_numbers()


def next_nhs_number() -> str:
    return next(_NHS_NUMBERS)


def referral_body(**overrides: Any) -> dict[str, Any]:
    """A valid suspected-MSCC referral body from GP-A1 to A-MSCC."""
    body: dict[str, Any] = {
        "patient": {
            "nhs_number": next_nhs_number(),
            "given_name": "Test",
            "family_name": "Patient",
            "date_of_birth": "1955-04-01",
            "sex": "female",
            "postcode": "LS1 4AP",
        },
        "referring_organisation": "GP-A1",
        "service": "A-MSCC",
        "cancer_status": "current_or_past",
        "primary_tumour": "breast",
        "pain_features": ["progressive"],
        "neuro_features": ["limb_weakness"],
        "presentation": "Synthetic test referral.",
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_referral(world: World) -> Callable[..., Any]:
    """Create a referral through the service layer (not HTTP)."""

    def make(
        *,
        user: User | None = None,
        now: datetime | None = None,
        organisation: Organisation | None = None,
        service: Service | None = None,
        **clinical: Any,
    ) -> Any:
        defaults: dict[str, Any] = {
            "cancer_status": "current_or_past",
            "primary_tumour": "breast",
            "neuro_features": ["limb_weakness"],
        }
        defaults.update(clinical)
        return referral_create(
            user=user or world.referrer,
            now=now or timezone.now(),
            organisation=organisation or world.gp,
            service=service or world.service,
            patient=PatientDetails(
                nhs_number=next_nhs_number(),
                given_name="Test",
                family_name="Patient",
                date_of_birth=date(1955, 4, 1),
                sex="female",
                postcode="LS1 4AP",
            ),
            clinical=defaults,
        )

    return make


@pytest.fixture
def on_call(world):
    """The coordinator and senior clinician on call from yesterday to tomorrow."""
    start = timezone.now() - timedelta(days=1)
    for role, user in (("coordinator", world.coordinator), ("senior_clinician", world.senior)):
        Shift.objects.create(
            service=world.service,
            role=role,
            user=user,
            starts_at=start,
            ends_at=start + timedelta(days=2),
        )
    world.coordinator.email = "coordinator@example.invalid"
    world.coordinator.save()
    return world


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
