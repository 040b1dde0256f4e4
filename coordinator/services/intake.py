"""Intake: a referral taken, triaged by NG234 box 1, its first clocks started."""

from datetime import datetime
from typing import Any

from django.db import transaction

from coordinator.services.clocks import referral_clocks_follow
from coordinator.services.intake_limits import intake_limit_check
from coordinator.services.provision import service_provision
from core.errors import DomainError
from core.logs import get_logger
from notifications.selectors import escalation_policy_current
from pathways.selectors import pathway_version_current
from referrals import rules
from referrals.inputs import PatientDetails, referral_input_checked
from referrals.models import Organisation, Referral, Service, User
from referrals.selectors import triage_input_for
from referrals.services import patient_match_or_create, referral_may_be_made

log = get_logger(__name__)


@transaction.atomic
def referral_create(
    *,
    user: User,
    now: datetime,
    organisation: Organisation,
    service: Service,
    patient: PatientDetails,
    clinical: dict[str, Any],
) -> Referral:
    """Take a referral: triage it by NG234 box 1 and start its first clocks.

    ``clinical`` holds validated triage inputs and key information (the fields
    of Referral other than patient, organisation and service).
    """
    referral_may_be_made(user=user, organisation=organisation, service=service)
    # The input's rules, for every caller (the API and the page have parsed it;
    # seed, fixtures and benchmarks have not).
    patient, clinical = referral_input_checked(patient=patient, clinical=clinical, now=now)
    version = pathway_version_current(service=service)
    if version is None:
        raise DomainError(f"{service.code} has no pathway configured.", field="service")
    held_patient, identity_note = patient_match_or_create(details=patient, user=user)
    policy = escalation_policy_current(service=service)
    if policy is None:
        # Never take a referral that nobody would be escalated about: a service
        # set up without a policy gets the defaults (a referral is never refused).
        _, policy = service_provision(service=service, user=user)

    fields = dict(clinical)
    # Clocks run from suspicion (QS56 statement 3); a blank is taken as the
    # time of receipt and shown as assumed, for the coordinator to confirm.
    fields["suspected_at_assumed"] = not fields.get("suspected_at")
    fields["suspected_at"] = fields.get("suspected_at") or now
    referral = Referral(
        patient=held_patient,
        referring_organisation=organisation,
        service=service,
        referred_by=user,
        pathway_version=version,
        escalation_policy=policy,
        received_at=now,
        identity_check_required=bool(identity_note),
        identity_check_note=identity_note,
        # What the referrer sent, and all they are ever shown of the patient.
        sent_given_name=patient.given_name,
        sent_family_name=patient.family_name,
        sent_date_of_birth=patient.date_of_birth,
        sent_sex=patient.sex,
        sent_postcode=patient.postcode,
        **fields,
    )
    category = rules.categorise(triage_input_for(referral))
    referral.triage_category = referral.category = category
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save()
    referral_clocks_follow(referral=referral, user=user, now=now, new=True)
    log.info(
        "referral.created",
        reference=referral.reference,
        referral_id=str(referral.pk),
        category=referral.category,
        service=service.code,
    )
    return referral


@transaction.atomic
def referral_create_from_input(*, user: User, now: datetime, data: dict[str, Any]) -> Referral:
    """``referral_create`` from ReferralCreateInput's validated data (the API
    and the referral page both validate with it), within the intake limits
    (``intake_limits.py``: a 429 past them)."""
    fields = dict(data)
    organisation = fields.pop("referring_organisation")
    service = fields.pop("service")
    referral_may_be_made(user=user, organisation=organisation, service=service)
    intake_limit_check(user=user, organisation=organisation, service=service, now=now)
    return referral_create(
        user=user,
        now=now,
        organisation=organisation,
        service=service,
        patient=PatientDetails(**fields.pop("patient")),
        clinical=fields,
    )
