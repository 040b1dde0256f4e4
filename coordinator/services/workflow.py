"""Intake, acknowledgement, events, status and category: the steps that
span apps, each one transaction under the referral's row lock."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from coordinator.services.provision import service_provision
from core.errors import Conflict, DomainError
from notifications.selectors import escalation_policy_current
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
from referrals.codes import TERMINAL_STATUSES, Category, ReferralStatus
from referrals.models import Organisation, Referral, Service, User
from referrals.selectors import triage_input_for
from referrals.services import PatientDetails, patient_match_or_create, referral_may_be_made
from referrals.transitions import missing_fields, transition_problem


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
        _, policy = service_provision(service=service, user=user)

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
