"""Writes for referrals: intake, acknowledgement, category override, access log.

Every state change is a guarded service: one transaction, the referral row
re-read under ``select_for_update()``, the transition map checked, a domain
error raised otherwise. Views, the API, commands and tasks all call these.
"""

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from core.errors import DomainError, Forbidden
from core.redact import redact_path
from core.roles import Role
from referrals.inputs import PatientDetails
from referrals.models import Organisation, Patient, PatientDataAccess, Service, User


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
                patient.created_now = True  # type: ignore[attr-defined]
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


def access_path(path: str) -> str:
    """``path`` as the access log keeps it: identifiers redacted
    (``core/redact.py``: query values but codes, dates and page numbers, and
    any NHS number)."""
    return redact_path(path)[:512]


def access_record(
    *,
    user: User,
    view: str,
    path: str,
    referral_ids: Iterable[Any],
    patient_ids: Iterable[Any] = (),
) -> None:
    """Record that ``user`` saw these referrals' (and patients') data: append-only.

    Every interface that shows patient data calls this before answering (the
    API, the pages, the admin, an idempotent replay); nothing seen, nothing
    recorded. The path is kept redacted: a search by NHS number records that
    a search was made, not whom it was for."""
    referrals = [str(i) for i in referral_ids]
    patients = [str(i) for i in patient_ids]
    if not referrals and not patients:
        return
    PatientDataAccess.objects.create(
        user=user,
        view=view,
        path=access_path(path),
        referral_ids=referrals,
        patient_ids=patients,
    )
