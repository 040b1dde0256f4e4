"""factory_boy factories for the rows the tests build.

Each factory makes the smallest valid object and the objects it cannot exist
without, so a test asks for what it needs (``CoordinatorFactory()`` is a
coordinator with an alliance and a provisioned service) and names only what
it cares about (``ReferralFactory(service=service, neuro_features=[])``).

A factory never bypasses the service that owns a fact: a Service is given its
pathway and escalation policy by ``service_provision``; a Referral is taken by
``referral_create`` (so it is triaged and its clocks start as in production);
a Patient is matched or created by ``patient_match_or_create``; clinical
events go through ``referral_event_add``; shifts and overrides through
``shift_create`` and ``override_create``, with their overlap and role checks.
Alliances, organisations and users have no write service (the admin makes
them), so those factories save the row.

Synthetic data only: NHS numbers from the never-issued 999 range with a valid
Modulus 11 check digit, and names that are plainly not people's.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import factory
from django.utils import timezone

from coordinator.services import referral_create, referral_event_add, service_provision
from core.roles import Role
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from notifications.services import override_create, shift_create
from pathways.codes import EventKind
from pathways.models import ClinicalEvent
from referrals.codes import OrganisationKind
from referrals.inputs import PatientDetails
from referrals.models import Alliance, Organisation, Patient, Referral, Service, User
from referrals.nhs_number import check_digit
from referrals.services import patient_match_or_create

PASSWORD = "correct-horse-battery-staple"


def _valid_test_nhs_numbers() -> Iterator[str]:
    """Valid Modulus 11 numbers from the never-issued 999 range (from
    999 100 0000, clear of the hand-picked 999 000 ... numbers in tests,
    fixtures and the README)."""
    for stem in range(999_100_000, 999_999_999):
        digit = check_digit(str(stem))
        if digit is not None:
            yield f"{stem}{digit}"


_NHS_NUMBERS = _valid_test_nhs_numbers()


def next_nhs_number() -> str:
    """A valid synthetic NHS number no other call in this run has returned."""
    return next(_NHS_NUMBERS)


def patient_details(**overrides: Any) -> PatientDetails:
    """Identity details for a new synthetic patient, as a referral carries them."""
    fields: dict[str, Any] = {
        "nhs_number": next_nhs_number(),
        "given_name": "Test",
        "family_name": "Patient",
        "date_of_birth": date(1955, 4, 1),
        "sex": "female",
        "postcode": "LS1 4AP",
    }
    fields.update(overrides)
    return PatientDetails(**fields)


class AllianceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alliance

    code = factory.Sequence(lambda n: f"ALL{n}")
    name = factory.LazyAttribute(lambda o: f"Alliance {o.code}")


class ServiceFactory(factory.django.DjangoModelFactory):
    """An MSCC service, provisioned (NG234 default pathway version 1 and the
    default escalation policy) by ``service_provision``, as admin and intake do."""

    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"SVC{n}-MSCC")
    name = factory.LazyAttribute(lambda o: f"{o.code} service")
    alliance = factory.SubFactory(AllianceFactory)

    @classmethod
    def _create(cls, model_class: type[Service], *args: Any, **kwargs: Any) -> Service:
        service = super()._create(model_class, *args, **kwargs)
        service_provision(service=service)
        return service


class OrganisationFactory(factory.django.DjangoModelFactory):
    """A referring organisation (a GP practice unless ``kind`` says otherwise)."""

    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"ORG{n}")
    name = factory.SelfAttribute("code")
    kind = OrganisationKind.GP_PRACTICE
    alliance = factory.SubFactory(AllianceFactory)


class UserFactory(factory.django.DjangoModelFactory):
    """A signed-in-able user (password ``PASSWORD``) with no role; use the
    per-role factories below, which give each role the scope it needs."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user-{n}")
    first_name = factory.LazyAttribute(lambda o: o.username.title())
    role = ""

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        kwargs.setdefault("password", PASSWORD)
        return model_class.objects.create_user(*args, **kwargs)


class ReferrerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"referrer-{n}")
    role = Role.REFERRER
    organisation = factory.SubFactory(OrganisationFactory)


class CoordinatorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"coordinator-{n}")
    role = Role.COORDINATOR
    service = factory.SubFactory(ServiceFactory)


class SeniorClinicianFactory(UserFactory):
    username = factory.Sequence(lambda n: f"senior-{n}")
    role = Role.SENIOR_CLINICIAN
    service = factory.SubFactory(ServiceFactory)


class ServiceAdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin-{n}")
    role = Role.SERVICE_ADMIN
    service = factory.SubFactory(ServiceFactory)


class AllianceLeadFactory(UserFactory):
    username = factory.Sequence(lambda n: f"lead-{n}")
    role = Role.ALLIANCE_LEAD
    alliance = factory.SubFactory(AllianceFactory)


ROLE_FACTORIES: dict[Role, type[UserFactory]] = {
    Role.REFERRER: ReferrerFactory,
    Role.COORDINATOR: CoordinatorFactory,
    Role.SENIOR_CLINICIAN: SeniorClinicianFactory,
    Role.SERVICE_ADMIN: ServiceAdminFactory,
    Role.ALLIANCE_LEAD: AllianceLeadFactory,
}


class PatientFactory(factory.Factory):
    """A synthetic patient, created by ``patient_match_or_create`` as intake does."""

    class Meta:
        model = Patient

    nhs_number = factory.LazyFunction(next_nhs_number)
    given_name = "Test"
    family_name = "Patient"
    date_of_birth = date(1955, 4, 1)
    sex = "female"
    postcode = "LS1 4AP"

    @classmethod
    def _create(cls, model_class: type[Patient], **kwargs: Any) -> Patient:
        patient, _ = patient_match_or_create(details=PatientDetails(**kwargs), user=None)
        return patient


class ReferralFactory(factory.Factory):
    """A suspected-MSCC referral taken by ``referral_create``: triaged by NG234
    box 1 and its clocks started, as intake does.

    Every keyword other than ``user``, ``now``, ``organisation``, ``service``
    and ``patient`` (a ``PatientDetails``) is a clinical field of the referral
    (``neuro_features=[]``, ``suspected_at=...``). By default a new referrer of
    a new organisation in the service's alliance refers it; pass ``user`` and
    ``organisation`` together to choose who.
    """

    class Meta:
        model = Referral

    service = factory.SubFactory(ServiceFactory)
    organisation = factory.SubFactory(
        OrganisationFactory, alliance=factory.SelfAttribute("..service.alliance")
    )
    user = factory.SubFactory(ReferrerFactory, organisation=factory.SelfAttribute("..organisation"))
    now = factory.LazyFunction(timezone.now)
    patient = factory.LazyFunction(patient_details)
    cancer_status = "current_or_past"
    primary_tumour = "breast"
    neuro_features = factory.LazyFunction(lambda: ["limb_weakness"])

    @classmethod
    def _create(cls, model_class: type[Referral], **kwargs: Any) -> Referral:
        return referral_create(
            user=kwargs.pop("user"),
            now=kwargs.pop("now"),
            organisation=kwargs.pop("organisation"),
            service=kwargs.pop("service"),
            patient=kwargs.pop("patient"),
            clinical=kwargs,
        )


class ClinicalEventFactory(factory.Factory):
    """A clinical event recorded by ``referral_event_add`` (so the clocks move
    as they would for a coordinator), by a coordinator of the referral's service."""

    class Meta:
        model = ClinicalEvent

    referral = factory.SubFactory(ReferralFactory)
    user = factory.SubFactory(
        CoordinatorFactory, service=factory.SelfAttribute("..referral.service")
    )
    now = factory.LazyFunction(timezone.now)
    kind = EventKind.MRI_REQUESTED
    occurred_at = factory.SelfAttribute("now")
    details = "Synthetic"

    @classmethod
    def _create(cls, model_class: type[ClinicalEvent], **kwargs: Any) -> ClinicalEvent:
        return referral_event_add(**kwargs)


class _RotaFactory(factory.Factory):
    """Shared defaults of shifts and overrides: a coordinator of the service
    (a senior clinician when ``role`` is senior_clinician), from now for a day."""

    service = factory.SubFactory(ServiceFactory)
    role = OnCallRole.COORDINATOR
    user = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role == OnCallRole.SENIOR_CLINICIAN),
        yes_declaration=factory.SubFactory(
            SeniorClinicianFactory, service=factory.SelfAttribute("..service")
        ),
        no_declaration=factory.SubFactory(
            CoordinatorFactory, service=factory.SelfAttribute("..service")
        ),
    )
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=1))


class ShiftFactory(_RotaFactory):
    """A rota shift, made by ``shift_create`` (which refuses overlaps)."""

    class Meta:
        model = Shift

    @classmethod
    def _create(cls, model_class: type[Shift], **kwargs: Any) -> Shift:
        return shift_create(**kwargs)


class RotaOverrideFactory(_RotaFactory):
    """Cover that wins over the shifts, made by ``override_create``."""

    class Meta:
        model = RotaOverride

    reason = "Synthetic cover"

    @classmethod
    def _create(cls, model_class: type[RotaOverride], **kwargs: Any) -> RotaOverride:
        return override_create(**kwargs)
