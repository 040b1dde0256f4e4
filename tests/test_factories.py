"""The factories make valid rows through the services that own them."""

from datetime import timedelta

import pytest
from django.http import HttpRequest
from django.utils import timezone

from core.roles import Role
from notifications.selectors import escalation_policy_current
from pathways.codes import EventKind
from pathways.selectors import pathway_version_current
from referrals import nhs_number
from tests.factories import (
    PASSWORD,
    ROLE_FACTORIES,
    ClinicalEventFactory,
    PatientFactory,
    ReferralFactory,
    RotaOverrideFactory,
    ServiceFactory,
    ShiftFactory,
    next_nhs_number,
)


def test_nhs_numbers_are_valid_and_from_the_never_issued_999_range():
    numbers = [next_nhs_number() for _ in range(200)]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert nhs_number.is_valid(number)
        assert "9990000000" <= number <= "9999999999"


def test_a_service_is_provisioned_with_the_default_pathway_and_policy(db):
    service = ServiceFactory()
    assert pathway_version_current(service=service).number == 1
    assert escalation_policy_current(service=service) is not None


@pytest.mark.parametrize("role", list(Role))
def test_each_role_factory_gives_the_role_its_scope(db, client, role):
    user = ROLE_FACTORIES[role]()
    user.full_clean()  # User.clean checks the role's scope
    assert user.role == role
    # django-axes checks each sign-in against its (username, address) pair,
    # so authenticate() needs a request.
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)


def test_a_referral_is_triaged_and_its_clocks_started_by_intake(db):
    referral = ReferralFactory()
    assert referral.category == referral.triage_category
    assert referral.category
    assert referral.clocks.filter(kind="acknowledgement", status="running").exists()
    assert referral.pathway_version == pathway_version_current(service=referral.service)
    assert nhs_number.is_valid(referral.patient.nhs_number)


def test_a_patient_is_matched_by_nhs_number_not_duplicated(db):
    first = PatientFactory()
    assert PatientFactory(nhs_number=first.nhs_number).pk == first.pk


def test_a_clinical_event_moves_the_clocks(db):
    referral = ReferralFactory(now=timezone.now() - timedelta(hours=2))
    event = ClinicalEventFactory(referral=referral, kind=EventKind.MRI_PERFORMED)
    assert event.recorded_by.service == referral.service
    assert referral.clocks.get(kind="mri").status == "met"


def test_rota_factories_put_the_right_role_on_call(db):
    service = ServiceFactory()
    senior = ShiftFactory(service=service, role="senior_clinician")
    assert senior.user.role == Role.SENIOR_CLINICIAN
    cover = RotaOverrideFactory(service=service)
    assert cover.user.role == Role.COORDINATOR
    assert cover.user.service == service
