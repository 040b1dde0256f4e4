"""Intake: a referral taken, triaged by NG234 box 1, its first clocks started."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery

from coordinator.services.clocks import referral_clocks_follow
from coordinator.services.intake_limits import intake_limit_check
from coordinator.services.provision import service_provision
from core.errors import DomainError
from core.logs import get_logger
from notifications.models import EscalationPolicy
from notifications.selectors import (
    escalation_policies_published,
    escalation_policy_published,
)
from pathways.models import PathwayVersion
from pathways.selectors import pathway_version_published, pathway_versions_published
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
    return _referral_create(
        user=user,
        now=now,
        organisation=organisation,
        service=service,
        patient=patient,
        clinical=clinical,
    )


def _referral_create(
    *,
    user: User,
    now: datetime,
    organisation: Organisation,
    service: Service,
    patient: PatientDetails,
    clinical: dict[str, Any],
) -> Referral:
    """``referral_create`` inside a transaction the caller holds (no savepoint
    of its own: ``referral_create_from_input``'s rolls back with it)."""
    referral_may_be_made(user=user, organisation=organisation, service=service)
    # The input's rules, for every caller (the API and the page have parsed it;
    # seed, fixtures and benchmarks have not).
    patient, clinical = referral_input_checked(patient=patient, clinical=clinical, now=now)
    version, policy = _configuration_current(service)
    if version is None:
        raise DomainError(f"{service.code} has no pathway configured.", field="service")
    held_patient, identity_note = patient_match_or_create(details=patient, user=user)
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
    clocks = referral_clocks_follow(referral=referral, user=user, now=now, new=True)
    # For the answer (referral_answer_relations), not read by anything else.
    referral.clocks_created = clocks  # type: ignore[attr-defined]
    referral.patient_created_now = getattr(held_patient, "created_now", False)  # type: ignore[attr-defined]
    log.info(
        "referral.created",
        reference=referral.reference,
        referral_id=str(referral.pk),
        category=referral.category,
        service=service.code,
    )
    return referral


def _configuration_current(
    service: Service,
) -> tuple[PathwayVersion | None, EscalationPolicy | None]:
    """The service's current pathway version and escalation policy: which
    ones, in one query every time (one published a moment ago applies at
    once); their contents from memory (published ones never change)."""
    versions = pathway_versions_published(OuterRef("pk"))
    policies = escalation_policies_published(OuterRef("pk"))
    version_pk, version_at, policy_pk, policy_at = (
        Service.objects.filter(pk=service.pk)
        .values_list(
            Subquery(versions.values("pk")[:1]),
            Subquery(versions.values("published_at")[:1]),
            Subquery(policies.values("pk")[:1]),
            Subquery(policies.values("published_at")[:1]),
        )
        .get()
    )
    version = (
        pathway_version_published(pk=version_pk, published_at=version_at)
        if version_pk is not None
        else None
    )
    policy = (
        escalation_policy_published(pk=policy_pk, published_at=policy_at)
        if policy_pk is not None
        else None
    )
    return version, policy


def referral_answer_relations(referral: Referral) -> bool:
    """Fill in, without reading them, what the answer to a create shows of a
    referral ``referral_create`` returned: the clocks it wrote (in the order
    the API shows them: due first, measured last), no events, and no other
    open referral when its patient was created with it. Only for the
    instance that is answered and then dropped (later changes to the
    referral would not show on it). False when it was not made here."""
    clocks = getattr(referral, "clocks_created", None)
    if clocks is None:
        return False
    ordered = sorted(
        clocks, key=lambda c: (c.due_at is None, c.due_at or c.started_at, c.started_at)
    )
    cache = getattr(referral, "_prefetched_objects_cache", {})
    for name, rows in (("clocks", ordered), ("events", [])):
        known = getattr(referral, name).all()  # not evaluated: no query
        known._result_cache = rows
        known._prefetch_done = True
        cache[name] = known
    referral._prefetched_objects_cache = cache  # type: ignore[attr-defined]
    if getattr(referral, "patient_created_now", False):
        referral.open_duplicate_reference = None  # type: ignore[attr-defined]
    return True


@transaction.atomic
def referral_create_from_input(
    *,
    user: User,
    now: datetime,
    data: dict[str, Any],
    then: Callable[[Referral], None] | None = None,
) -> Referral:
    """``referral_create`` from ReferralCreateInput's validated data (the API
    and the referral page both validate with it), within the intake limits
    (``intake_limits.py``: a 429 past them). ``then`` runs on the new
    referral inside the same transaction (the API records the access there:
    one transaction, one commit, no savepoint)."""
    fields = dict(data)
    organisation = fields.pop("referring_organisation")
    service = fields.pop("service")
    referral_may_be_made(user=user, organisation=organisation, service=service)
    intake_limit_check(user=user, organisation=organisation, service=service, now=now)
    referral = _referral_create(
        user=user,
        now=now,
        organisation=organisation,
        service=service,
        patient=PatientDetails(**fields.pop("patient")),
        clinical=fields,
    )
    if then is not None:
        then(referral)  # in the same transaction (the API's access record)
    return referral
