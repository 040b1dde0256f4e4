"""Shared fixtures: one object at a time (``service``, ``coordinator``,
``referrer``, ``referral`` ...), or the two-tenant ``world`` composed of them;
API clients signed in by token. The rows come from tests/factories.py, which
makes each through the service that owns it.

Tests that need a real service (PostgreSQL, Chromium) are marked; on a bare
machine they skip with the reason, but under CI (``CI=true``) a missing
service fails the run instead, so CI can never pass by skipping them.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import token_create
from notifications.models import EscalationPolicy
from notifications.selectors import escalation_policy_current
from pathways.models import PathwayVersion
from pathways.selectors import pathway_version_current
from referrals.codes import OrganisationKind
from referrals.models import Alliance, Organisation, Referral, Service, User
from tests.factories import (
    PASSWORD,
    AllianceFactory,
    AllianceLeadFactory,
    CoordinatorFactory,
    OrganisationFactory,
    ReferralFactory,
    ReferrerFactory,
    SeniorClinicianFactory,
    ServiceAdminFactory,
    ServiceFactory,
    ShiftFactory,
    next_nhs_number,
)

__all__ = ["CHROMIUM", "PASSWORD", "hours", "next_nhs_number", "referral_body"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every worker, browser and hypothesis test is ``slow``, marked in its
    file; this adds the mark to one that forgot it, so a developer's
    ``-m "not slow"`` never starts a worker or a browser. CI deselects nothing."""
    for item in items:
        function = getattr(item, "function", None)
        if (
            item.get_closest_marker("worker")
            or item.get_closest_marker("browser")
            or getattr(function, "is_hypothesis_test", False)
        ) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's deliberate slowness is for real passwords, not test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_sign_in_settings(settings: Any, request: pytest.FixtureRequest) -> None:
    """The test settings: two-factor off (tests of it turn it on), and a cache
    of this test's own, so no test's sign-in attempts count against another's
    throttle (the deployment's cache is shared by every process: settings)."""
    settings.MSCC_REQUIRE_2FA = False
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{request.node.nodeid}",
        }
    }


@pytest.fixture(autouse=True)
def _published_configuration_forgotten() -> Iterator[None]:
    """Intake keeps published pathway versions and escalation policies in
    memory by id and publication time; a test's rolled-back rows free their
    ids (SQLite) and frozen clocks repeat times, so each test starts empty."""
    from notifications.selectors.policies import published_cache_clear as policies_clear
    from pathways.selectors import published_cache_clear as versions_clear

    versions_clear()
    policies_clear()
    yield
    versions_clear()
    policies_clear()


@pytest.fixture
def now() -> datetime:
    return timezone.now()


# The small fixtures: one tenant of alliance A, asked for one at a time. Each
# fixture makes just its object and those it depends on; ``world`` below is
# these plus a second tenant, so ``coordinator`` and ``world.coordinator`` are
# one user in a test that asks for both.


@pytest.fixture
def alliance(db: Any) -> Alliance:
    return AllianceFactory(code="A", name="Alliance A")


@pytest.fixture
def service(alliance: Alliance) -> Service:
    """A-MSCC, provisioned with NG234's default pathway and escalation policy."""
    return ServiceFactory(
        code="A-MSCC", name="A MSCC", alliance=alliance, coordinator_phone="01632 960 001"
    )


@pytest.fixture
def pathway(service: Service) -> PathwayVersion:
    """A-MSCC's current pathway version (NG234's default, version 1)."""
    return pathway_version_current(service=service)


@pytest.fixture
def escalation_policy(service: Service) -> EscalationPolicy:
    """A-MSCC's current escalation policy (the default)."""
    return escalation_policy_current(service=service)


@pytest.fixture
def organisation(alliance: Alliance) -> Organisation:
    """GP-A1, a GP practice referring to A-MSCC (``referral_body``'s defaults)."""
    return OrganisationFactory(code="GP-A1", name="GP-A1", alliance=alliance)


@pytest.fixture
def referrer(organisation: Organisation) -> User:
    return ReferrerFactory(username="referrer", organisation=organisation)


@pytest.fixture
def coordinator(service: Service) -> User:
    return CoordinatorFactory(username="coordinator", service=service)


@pytest.fixture
def senior_clinician(service: Service) -> User:
    return SeniorClinicianFactory(username="senior", service=service)


@pytest.fixture
def alliance_lead(alliance: Alliance) -> User:
    return AllianceLeadFactory(username="lead", alliance=alliance)


@pytest.fixture
def service_admin(service: Service) -> User:
    return ServiceAdminFactory(username="admin", service=service)


@pytest.fixture
def referral(referrer: User, service: Service) -> Referral:
    """A suspected-MSCC referral from GP-A1 to A-MSCC, received now."""
    return ReferralFactory(user=referrer, organisation=referrer.organisation, service=service)


class World:
    """Two alliances. Alliance A: service A-MSCC, GP-A1, GP-A2, WARD-A.
    Alliance B: service B-MSCC, GP-B. One user of every role in each scope.

    Composed of the fixtures above (alliance A's objects) and the factories
    (the rest), in the order the rows were always made."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        fixture = request.getfixturevalue
        self.alliance: Alliance = fixture("alliance")
        self.other_alliance = AllianceFactory(code="B", name="Alliance B")
        self.service: Service = fixture("service")
        self.other_service = ServiceFactory(
            code="B-MSCC", name="B MSCC", alliance=self.other_alliance
        )
        self.gp: Organisation = fixture("organisation")
        self.gp2 = OrganisationFactory(code="GP-A2", name="GP-A2", alliance=self.alliance)
        self.ward = OrganisationFactory(
            code="WARD-A", name="WARD-A", kind=OrganisationKind.WARD, alliance=self.alliance
        )
        self.other_gp = OrganisationFactory(code="GP-B", name="GP-B", alliance=self.other_alliance)
        self.pathway: PathwayVersion = fixture("pathway")
        self.policy: EscalationPolicy = fixture("escalation_policy")
        self.other_pathway = pathway_version_current(service=self.other_service)

        self.referrer: User = fixture("referrer")
        self.referrer_same_alliance = ReferrerFactory(
            username="referrer-gp2", organisation=self.gp2
        )
        self.referrer_other = ReferrerFactory(username="referrer-b", organisation=self.other_gp)
        self.coordinator: User = fixture("coordinator")
        self.senior: User = fixture("senior_clinician")
        self.coordinator_other = CoordinatorFactory(
            username="coordinator-b", service=self.other_service
        )
        self.lead: User = fixture("alliance_lead")
        self.admin: User = fixture("service_admin")

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
def world(db: Any, request: pytest.FixtureRequest) -> World:
    return World(request)


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    """An API client signed in as ``user`` by a token of its own (a sign-in's
    knox token, as ``POST /api/v1/auth/token/`` issues; anonymous for None)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            token = token_create(user=user).token
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


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
def make_referral(referrer: User, service: Service) -> Callable[..., Any]:
    """Make referrals through the service layer (not HTTP): by default from
    ``referrer`` at GP-A1 to A-MSCC (``world.referrer``, ``world.gp``,
    ``world.service`` in a test that also asks for ``world``)."""
    default_service = service

    def make(
        *,
        user: User | None = None,
        now: datetime | None = None,
        organisation: Organisation | None = None,
        service: Service | None = None,
        **clinical: Any,
    ) -> Any:
        return ReferralFactory(
            user=user or referrer,
            now=now or timezone.now(),
            organisation=organisation or referrer.organisation,
            service=service or default_service,
            **clinical,
        )

    return make


@pytest.fixture
def on_call(world):
    """The coordinator and senior clinician on call from yesterday to tomorrow."""
    start = timezone.now() - timedelta(days=1)
    for role, user in (("coordinator", world.coordinator), ("senior_clinician", world.senior)):
        ShiftFactory(
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
