"""Writes for referrals: intake, acknowledgement, category override, access log.

Every state change is a guarded service: one transaction, the referral row
re-read under ``select_for_update()``, the transition map checked, a domain
error raised otherwise. Views, the API, commands and tasks all call these.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mscc.errors import Conflict, DomainError, Forbidden
from notifications.selectors import escalation_policy_current
from notifications.services import escalation_policy_create_default
from pathways.codes import ClockStatus, EventKind
from pathways.models import ClinicalEvent
from pathways.selectors import pathway_version_current
from pathways.services import (
    clock_cancel,
    clocks_apply_category,
    clocks_start_at_intake,
    event_record,
    event_time_checked,
    referral_event_record,
    referral_event_withdraw,
)
from referrals import rules
from referrals.codes import TERMINAL_STATUSES, Category, ReferralStatus, Role
from referrals.models import Organisation, Patient, PatientDataAccess, Referral, Service, User
from referrals.selectors import triage_input_for
from referrals.transitions import missing_fields, transition_problem


@dataclass(frozen=True)
class PatientDetails:
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    postcode: str


def referral_may_be_made(*, user: User, organisation: Organisation, service: Service) -> None:
    """Raise unless ``user`` may refer from ``organisation`` to ``service``."""
    if user.role == Role.REFERRER:
        if organisation.pk != user.organisation_id:
            raise Forbidden(
                "You may refer only on behalf of your own organisation.",
                field="referring_organisation",
            )
    elif user.role in (Role.COORDINATOR, Role.SENIOR_CLINICIAN):
        # A coordinator logs phoned-in referrals for their own service.
        if service.pk != user.service_id:
            raise Forbidden(
                "You may record referrals only for your own MSCC service.", field="service"
            )
    else:
        raise Forbidden("Your role cannot make referrals.")
    if service.alliance_id != organisation.alliance_id:
        raise DomainError(
            f"{service.code} is not an MSCC service of {organisation.code}'s cancer alliance.",
            field="service",
        )


def patient_match_or_create(*, details: PatientDetails, user: User) -> tuple[Patient, str]:
    """The patient with this NHS number, created if new.

    Returns the patient and a note of the identity details that differ from
    those already held. A referral is never refused for a mismatch (that would
    lose an emergency referral over a typo); it is flagged for the coordinator
    to confirm identity, and the held record is not overwritten.
    """
    patient = Patient.objects.filter(nhs_number=details.nhs_number).first()
    if patient is None:
        try:
            # Savepoint: a concurrent intake may create the same patient first.
            with transaction.atomic():
                patient = Patient(**details.__dict__)
                patient._history_user = user  # type: ignore[attr-defined]
                patient.save()
                return patient, ""
        except IntegrityError:
            patient = Patient.objects.get(nhs_number=details.nhs_number)
    differing = [
        label
        for label, held, given in (
            ("given name", patient.given_name.casefold(), details.given_name.casefold()),
            ("family name", patient.family_name.casefold(), details.family_name.casefold()),
            ("date of birth", patient.date_of_birth, details.date_of_birth),
        )
        if held != given
    ]
    if not differing:
        return patient, ""
    return patient, (
        "The " + ", ".join(differing) + " given differ from the record held for this NHS "
        "number. Confirm the patient's identity with the referrer before acting."
    )


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
    version = pathway_version_current(service=service)
    if version is None:
        raise DomainError(f"{service.code} has no pathway configured.", field="service")
    held_patient, identity_note = patient_match_or_create(details=patient, user=user)
    policy = escalation_policy_current(service=service)
    if policy is None:
        # Never take a referral that nobody would be escalated about: a service
        # set up without a policy gets the defaults (a referral is never refused).
        policy = escalation_policy_create_default(service=service, user=user)

    fields = dict(clinical)
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
        **fields,
    )
    category = rules.categorise(triage_input_for(referral))
    referral.triage_category = referral.category = category
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save()
    clocks_start_at_intake(referral=referral, user=user)
    return referral


def referral_create_from_input(*, user: User, now: datetime, data: dict[str, Any]) -> Referral:
    """``referral_create`` from ReferralCreateInput's validated data (the API
    and the referral page both validate with it)."""
    fields = dict(data)
    return referral_create(
        user=user,
        now=now,
        organisation=fields.pop("referring_organisation"),
        service=fields.pop("service"),
        patient=PatientDetails(**fields.pop("patient")),
        clinical=fields,
    )


def _locked(referral_id: Any) -> Referral:
    # Row lock: two coordinators acting at once are served one after the other,
    # and the second sees what the first did.
    return Referral.objects.select_for_update().get(pk=referral_id)


@transaction.atomic
def referral_acknowledge(
    *, referral: Referral, user: User, now: datetime, at: datetime | None = None
) -> Referral:
    """The coordinator has seen the referral: stop the acknowledgement clock.
    ``at`` is when (defaults to now; earlier when recorded after the fact)."""
    at = now if at is None else event_time_checked(at, now)
    referral = _locked(referral.pk)
    if at < referral.received_at:
        raise DomainError(
            "A referral cannot be acknowledged before it was received.", field="occurred_at"
        )
    if referral.acknowledged_at is not None:
        who = referral.acknowledged_by.get_full_name() or referral.acknowledged_by.username
        raise Conflict(
            f"Already acknowledged by {who} at {referral.acknowledged_at.isoformat()}.",
            code="already_acknowledged",
        )
    problem = transition_problem(referral.status, ReferralStatus.TRIAGED)
    if problem:
        raise Conflict(problem, code="invalid_transition")
    event_record(referral=referral, kind=EventKind.ACKNOWLEDGED, occurred_at=at, user=user)
    referral.status = ReferralStatus.TRIAGED
    referral.status_changed_at = now
    referral.acknowledged_at = at
    referral.acknowledged_by = user
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save(
        update_fields=["status", "status_changed_at", "acknowledged_at", "acknowledged_by"]
    )
    return referral


def referral_event_add(
    *,
    referral: Referral,
    user: User,
    now: datetime,
    kind: str,
    occurred_at: datetime,
    details: str = "",
    corrects: Any = None,
) -> ClinicalEvent:
    """Any clinical event of DESIGN.md section 8, routed to the service that
    owns it: acknowledgement moves the referral on; entered_in_error withdraws
    an earlier event; the rest move the clocks."""
    if kind == EventKind.ACKNOWLEDGED:
        referral = referral_acknowledge(referral=referral, user=user, now=now, at=occurred_at)
        return referral.events.filter(kind=kind).latest("recorded_at")
    if kind == EventKind.ENTERED_IN_ERROR:
        if corrects is None:
            raise DomainError("Name the event entered in error.", field="corrects")
        return referral_event_withdraw(
            referral=referral, event_id=corrects, reason=details, user=user, now=now
        )
    return referral_event_record(
        referral=referral,
        kind=kind,
        occurred_at=occurred_at,
        user=user,
        now=now,
        details=details,
    )


@transaction.atomic
def referral_status_change(
    *,
    referral: Referral,
    user: User,
    now: datetime,
    status: str,
    reason: str = "",
    redirected_to: str = "",
    occurred_at: datetime | None = None,
) -> Referral:
    """Move a referral along the state map (referrals/transitions.py), with
    the fields the move needs. A move to a terminal state cancels the clocks
    still running; "died" is recorded as the clinical event it is."""
    target = ReferralStatus(status)
    if target == ReferralStatus.TRIAGED:
        return referral_acknowledge(referral=referral, user=user, now=now)
    reason, redirected_to = reason.strip(), redirected_to.strip()
    missing = missing_fields(
        target, {"reason": reason, "redirected_to": redirected_to, "occurred_at": occurred_at}
    )
    if missing:
        raise ValidationError({name: [why] for name, why in missing.items()})
    if target == ReferralStatus.DIED and occurred_at is not None:  # missing_fields checked it
        referral_event_record(
            referral=referral,
            kind=EventKind.DIED,
            occurred_at=occurred_at,
            user=user,
            now=now,
            details=reason,
        )
        return Referral.objects.get(pk=referral.pk)
    referral = _locked(referral.pk)
    problem = transition_problem(referral.status, target)
    if problem:
        raise Conflict(problem, code="invalid_transition")
    if (
        target == ReferralStatus.CLOSED_NOT_MSCC
        and not referral.events.filter(
            kind=EventKind.MSCC_RULED_OUT, correction__isnull=True
        ).exists()
    ):
        # Closing as not MSCC says MSCC was ruled out: record it, so the
        # clocks and the advice (stop dexamethasone, 1.8.2) follow.
        event_record(
            referral=referral,
            kind=EventKind.MSCC_RULED_OUT,
            occurred_at=now,
            user=user,
            details=reason,
        )
    if target in TERMINAL_STATUSES:
        for clock in referral.clocks.filter(status=ClockStatus.RUNNING):
            clock_cancel(
                clock=clock,
                at=now,
                user=user,
                reason=f"Referral {target.value.replace('_', ' ')}: {reason}",
            )
    referral.status = target
    referral.status_changed_at = now
    referral.status_reason = reason
    referral.redirected_to = redirected_to
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save(update_fields=["status", "status_changed_at", "status_reason", "redirected_to"])
    return referral


@transaction.atomic
def referral_override_category(
    *, referral: Referral, user: User, now: datetime, category: str, reason: str
) -> Referral:
    """A coordinator's clinical judgement replaces the rules' category, with a
    recorded reason; the clocks follow the new category."""
    referral = _locked(referral.pk)
    if referral.status in TERMINAL_STATUSES:
        raise Conflict(
            "The referral is closed: its category cannot change.", code="invalid_transition"
        )
    reason = reason.strip()
    if not reason:
        raise DomainError("Give the reason for changing the category.", field="reason")
    category = Category(category)
    if category == referral.category:
        raise Conflict(f"The referral is already {category.value}.", code="unchanged")
    referral.category = category
    referral.category_override_reason = reason
    referral.category_overridden_by = user
    referral.category_overridden_at = now
    referral._history_user = user  # type: ignore[attr-defined]
    referral.save(
        update_fields=[
            "category",
            "category_override_reason",
            "category_overridden_by",
            "category_overridden_at",
        ]
    )
    clocks_apply_category(
        referral=referral,
        at=now,
        reason=f"Category changed to {category.value}: {reason}",
        user=user,
    )
    return referral


def access_record(*, user: User, view: str, path: str, referral_ids: list[Any]) -> None:
    """Record that ``user`` saw these referrals' patient data (append-only)."""
    if not referral_ids:
        return
    PatientDataAccess.objects.create(
        user=user, view=view, path=path[:512], referral_ids=[str(i) for i in referral_ids]
    )
